#!/usr/bin/env bash
# Votes: (a) exercise ingest-data, (b) the minimal plain-DuckDB typed, deduplicated load through the same
# DuckDB library, (c) a no-op re-run. ROWS=10000000 by default. (a) and (b) alternate for ROUNDS rounds
# (default 3), because this VM's speed drifts: each round's ratio compares neighbours in time, and the
# median of the rounds is the figure to quote.
source "$(dirname "$0")/common.sh"
ROWS="${ROWS:-10000000}"
ROUNDS="${ROUNDS:-3}"
DATA="$OUT/votes-$ROWS.jsonl"
[ -f "$DATA" ] || "$BIN" generate votes --rows "$ROWS" --output "$DATA" >/dev/null
machine
echo "data: $DATA, $ROWS lines, $(du -m "$DATA" | cut -f1) MiB"
# Read the file once so that neither side pays alone for a cold page cache.
cat "$DATA" > /dev/null

plain_load() {
  rm -f "$OUT/b.db"
  "$BIN" --db "$OUT/b.db" migrate >/dev/null
  measure "(b) plain DuckDB INSERT .. SELECT read_json" "$BIN" --db "$OUT/b.db" query --write "
INSERT INTO blog_analysis.votes
SELECT DISTINCT ON (Id) Id, PostId, VoteTypeId, CreationDate, UserId, BountyAmount, 0
FROM (
  SELECT TRY_CAST(Id AS BIGINT) AS Id, TRY_CAST(PostId AS BIGINT) AS PostId,
         TRY_CAST(VoteTypeId AS SMALLINT) AS VoteTypeId, TRY_CAST(CreationDate AS TIMESTAMP) AS CreationDate,
         TRY_CAST(UserId AS BIGINT) AS UserId, TRY_CAST(BountyAmount AS INTEGER) AS BountyAmount
  FROM read_json('$DATA', format = 'newline_delimited', ignore_errors = true,
       columns = {Id: 'VARCHAR', PostId: 'VARCHAR', VoteTypeId: 'VARCHAR', CreationDate: 'VARCHAR',
                  UserId: 'VARCHAR', BountyAmount: 'VARCHAR'})
)
WHERE Id IS NOT NULL AND PostId IS NOT NULL AND VoteTypeId IS NOT NULL AND CreationDate IS NOT NULL"
}

RATIOS=()
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/a.db"
  measure "(a) exercise ingest-data" "$BIN" --db "$OUT/a.db" ingest-data "$DATA" --max-rejects "$ROWS"
  A=$SECS
  grep -E '^read ' "$OUT/(a) exercise ingest-data.log" || cat "$OUT/(a) exercise ingest-data.log"
  plain_load
  B=$SECS
  RATIOS+=("$(echo "scale=3; $A / $B" | bc)")
  echo "    ratio (a)/(b) in round $round: ${RATIOS[-1]}"
done
echo "    rows: exercise $("$BIN" --db "$OUT/a.db" query --format csv 'SELECT count(*) FROM blog_analysis.votes' | tail -1), plain $("$BIN" --db "$OUT/b.db" query --format csv 'SELECT count(*) FROM blog_analysis.votes' | tail -1)"

measure "(c) exercise ingest-data, unchanged file" "$BIN" --db "$OUT/a.db" ingest-data "$DATA"
echo "ratios (a)/(b) by round: ${RATIOS[*]}; median: $(median "${RATIOS[@]}")"
