#!/usr/bin/env bash
# Sensor logs: generate the month (MINUTES=43201 files of 1,914 rows), then for ROUNDS rounds (default 3)
# alternate (a) exercise ingest-data into a fresh warehouse, (b1) the minimal plain-DuckDB
# INSERT ... SELECT FROM read_parquet(glob) of the same files into the same typed table, through the PyPI
# `duckdb` 2.x Python client, (b2) the same SQL through the DuckDB CLI 1.5 of the PyPI package
# `duckdb-cli` (bench/plain_duckdb.sh; each plain run into a fresh database file). This VM's speed
# drifts: each round's ratios compare neighbours in time, and the medians of the rounds are the figures
# to quote, against the faster client. Then (c) a no-op re-run.
source "$(dirname "$0")/common.sh"
source bench/plain_duckdb.sh
MINUTES="${MINUTES:-43201}"
ROUNDS="${ROUNDS:-3}"
DATA="$OUT/sensor-logs-$MINUTES"
if [ ! -f "$DATA/.complete" ]; then
  measure "generate $MINUTES files" "$BIN" generate sensor-logs --minutes "$MINUTES" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
plain_versions
echo "data: $DATA, $MINUTES files, $(du -sm "$DATA" | cut -f1) MiB"
sync
# All sides read the same 43k files: read them once first, so none pays alone for a cold page cache.
find "$DATA" -name '*.parquet' -print0 | xargs -0 cat > /dev/null

# The same table as ours (SENSOR_LOGS_TABLE in bench/plain_duckdb.sh), file_index in place of
# source_file_id; identical for both clients.
PLAIN_SQL="$SENSOR_LOGS_TABLE
INSERT INTO dwh.data_sample
SELECT department_name, sensor_serial, create_at, product_name, product_expire, file_index
FROM read_parquet('$DATA/*.parquet');"

LA="(a) exercise ingest-data --dataset sensor-logs"
LB1="(b1) plain DuckDB, Python client"
LB2="(b2) plain DuckDB, CLI"
AS=(); B1S=(); B2S=(); R1=(); R2=(); RMIN=()
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/s.db" "$OUT/s.db.wal"
  measure "$LA" "$BIN" --db "$OUT/s.db" ingest-data --dataset sensor-logs "$DATA"
  A=$SECS; A_PEAK=$PEAK_MB
  grep -E '^read |loaded' "$OUT/$LA.log" || tail -3 "$OUT/$LA.log"
  ROWS=$("$BIN" --db "$OUT/s.db" query --format csv 'SELECT count(*) FROM dwh.data_sample' | tail -1)

  plain_run b1 "$LB1" "$OUT/p1.db" "$PLAIN_SQL"
  B1=$SECS
  ROWS_B1=$(plain_count b1 "$OUT/p1.db" dwh.data_sample)
  plain_check "$LB1" "$ROWS_B1" "$ROWS"

  plain_run b2 "$LB2" "$OUT/p2.db" "$PLAIN_SQL"
  B2=$SECS
  ROWS_B2=$(plain_count b2 "$OUT/p2.db" dwh.data_sample)
  plain_check "$LB2" "$ROWS_B2" "$ROWS"

  AS+=("$A"); B1S+=("$B1"); B2S+=("$B2")
  R1+=("$(ratio "$A" "$B1")"); R2+=("$(ratio "$A" "$B2")"); RMIN+=("$(ratio "$A" "$(min2 "$B1" "$B2")")")
  echo "    round $round: (a)/(b1) ${R1[-1]}, (a)/(b2) ${R2[-1]}, (a)/min(b1,b2) ${RMIN[-1]}"
done
echo "    rows loaded: exercise $ROWS, (b1) $ROWS_B1, (b2) $ROWS_B2; rows/s (a, last round): $(echo "$ROWS / $A" | bc)"
echo "    database size: exercise $(du -m "$OUT/s.db" | cut -f1) MiB, (b1) $(du -m "$OUT/p1.db" | cut -f1) MiB, (b2) $(du -m "$OUT/p2.db" | cut -f1) MiB"

measure "(c) no-op re-run" "$BIN" --db "$OUT/s.db" ingest-data --dataset sensor-logs "$DATA"

MA=$(median "${AS[@]}"); MB1=$(median "${B1S[@]}"); MB2=$(median "${B2S[@]}")
FASTER=$(faster_client "$MB1" "$MB2")
echo "median times: (a) $MA s, (b1) $MB1 s, (b2) $MB2 s; faster plain client: $FASTER"
echo "ratios (a)/(b1) by round: ${R1[*]}; median: $(median "${R1[@]}")"
echo "ratios (a)/(b2) by round: ${R2[*]}; median: $(median "${R2[@]}")"
echo "ratios (a)/min(b1,b2) by round: ${RMIN[*]}; median: $(median "${RMIN[@]}"); peak memory (a, last round): $A_PEAK MiB"
