#!/usr/bin/env bash
# Stocks: generate the full layout (SYMBOLS=8000, ROWS=28000000), then (a) exercise ingest-data through
# market.features, (b) the same work in plain DuckDB SQL (read_csv of all files, drop rows with missing
# values, one row per symbol and day, the rolling window), (c) a no-op re-run.
source "$(dirname "$0")/common.sh"
SYMBOLS="${SYMBOLS:-8000}"
ROWS="${ROWS:-28000000}"
DATA="$OUT/stocks-$SYMBOLS-$ROWS"
if [ ! -f "$DATA/.complete" ]; then
  measure "generate $SYMBOLS symbols" "$BIN" generate stocks --symbols "$SYMBOLS" --rows "$ROWS" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $(find "$DATA" -name '*.csv' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB"
# Read the files once so that neither side pays alone for a cold page cache.
find "$DATA" -name '*.csv' -print0 | xargs -0 cat > /dev/null

ROUNDS="${ROUNDS:-3}"
# The plain side runs with DuckDB's own default memory limit (80% of RAM), as a plain script would; ours
# runs with its default (a quarter of the RAM, at most 2 GiB).
PLAIN_ENV=(env EXERCISE_MEMORY_LIMIT=80%)
A_ALL=(); B_ALL=(); RATIOS=()
for round in $(seq "$ROUNDS"); do
echo "round $round"
rm -f "$OUT/k.db" "$OUT/k.db.wal"
measure "(a) exercise ingest-data --dataset stocks" "$BIN" --db "$OUT/k.db" ingest-data --dataset stocks "$DATA" --max-rejects "$ROWS"
A=$SECS; A_PEAK=$PEAK_MB
grep -E '^read ' "$OUT/(a) exercise ingest-data --dataset stocks.log" || { tail -20 "$OUT/(a) exercise ingest-data --dataset stocks.log"; echo "the load failed"; exit 1; }
echo "    features rows: $("$BIN" --db "$OUT/k.db" query --format csv 'SELECT count(*) FROM market.features' | tail -1)"

rm -f "$OUT/kp.db" "$OUT/kp.db.wal"
"$BIN" --db "$OUT/kp.db" migrate >/dev/null
measure "(b1) plain DuckDB: prices" "${PLAIN_ENV[@]}" "$BIN" --db "$OUT/kp.db" query --write "
INSERT INTO market.prices (Symbol, \"Security Name\", Date, Open, High, Low, Close, \"Adj Close\", Volume, is_etf, source_file_id)
WITH meta AS (SELECT Symbol, \"Security Name\" FROM read_csv('$DATA/symbols_valid_meta.csv', header = true, all_varchar = true)),
raw AS (
  SELECT regexp_extract(filename, '([^/]+)\\.csv\$', 1) AS Symbol, filename LIKE '%/etfs/%' AS is_etf, *
  FROM read_csv('$DATA/*/*.csv', filename = true, header = true,
       columns = {'Date': 'DATE', 'Open': 'DOUBLE', 'High': 'DOUBLE', 'Low': 'DOUBLE', 'Close': 'DOUBLE',
                  'Adj Close': 'DOUBLE', 'Volume': 'DOUBLE'})
  WHERE Open IS NOT NULL AND High IS NOT NULL AND Low IS NOT NULL AND Close IS NOT NULL
    AND \"Adj Close\" IS NOT NULL AND Volume IS NOT NULL
)
SELECT r.Symbol, m.\"Security Name\", Date, Open, High, Low, Close, \"Adj Close\", CAST(Volume AS BIGINT), is_etf, 0
FROM raw r LEFT JOIN meta m USING (Symbol)
QUALIFY row_number() OVER (PARTITION BY r.Symbol, Date) = 1"
B1=$SECS
measure "(b2) plain DuckDB: features" "${PLAIN_ENV[@]}" "$BIN" --db "$OUT/kp.db" query --write "
INSERT INTO market.features
SELECT Symbol, \"Security Name\", Date, Open, High, Low, Close, \"Adj Close\", Volume, is_etf,
       CASE WHEN count(*) OVER w = 30 THEN avg(Volume) OVER w END,
       CASE WHEN count(*) OVER w = 30 THEN median(\"Adj Close\") OVER w END
FROM market.prices
WINDOW w AS (PARTITION BY Symbol ORDER BY Date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)"
B=$(echo "$B1 + $SECS" | bc)
echo "    plain total: $B s; features rows: $("$BIN" --db "$OUT/kp.db" query --format csv 'SELECT count(*) FROM market.features' | tail -1)"

A_ALL+=("$A"); B_ALL+=("$B"); RATIOS+=("$(echo "scale=3; $A / $B" | bc)")
echo "    ratio (a)/(b) in round $round: ${RATIOS[-1]}"
done
measure "(c) no-op re-run" "$BIN" --db "$OUT/k.db" ingest-data --dataset stocks "$DATA"
echo "exercise by round: ${A_ALL[*]} s; plain: ${B_ALL[*]} s; medians $(median "${A_ALL[@]}") and $(median "${B_ALL[@]}") s"
echo "ratio (a)/(b) by round: ${RATIOS[*]}; median: $(median "${RATIOS[@]}"); peak memory (a): $A_PEAK MiB"
