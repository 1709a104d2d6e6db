#!/usr/bin/env bash
# Sensor logs: generate the month (MINUTES=43201 files of 1,914 rows), then (a) exercise ingest-data,
# (b) the minimal plain-DuckDB INSERT ... SELECT FROM read_parquet(glob) of the same files into the same
# table, (c) a no-op re-run.
source "$(dirname "$0")/common.sh"
MINUTES="${MINUTES:-43201}"
DATA="$OUT/sensor-logs-$MINUTES"
if [ ! -f "$DATA/.complete" ]; then
  measure "generate $MINUTES files" "$BIN" generate sensor-logs --minutes "$MINUTES" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $MINUTES files, $(du -sm "$DATA" | cut -f1) MiB"
sync
# Both sides read the same 43k files: read them once first, so neither pays alone for a cold page cache.
find "$DATA" -name '*.parquet' -print0 | xargs -0 cat > /dev/null

rm -f "$OUT/s.db" "$OUT/s.db.wal"
measure "(a) exercise ingest-data --dataset sensor-logs" "$BIN" --db "$OUT/s.db" ingest-data --dataset sensor-logs "$DATA"
A=$SECS; A_PEAK=$PEAK_MB
grep -E '^read |loaded' "$OUT/(a) exercise ingest-data --dataset sensor-logs.log" || tail -3 "$OUT/(a) exercise ingest-data --dataset sensor-logs.log"
ROWS=$("$BIN" --db "$OUT/s.db" query --format csv 'SELECT count(*) FROM dwh.data_sample' | tail -1)
echo "    rows loaded: $ROWS, rows/s: $(echo "$ROWS / $A" | bc), warehouse size: $(du -m "$OUT/s.db" | cut -f1) MiB"

rm -f "$OUT/p.db" "$OUT/p.db.wal"
"$BIN" --db "$OUT/p.db" migrate >/dev/null
measure "(b) plain DuckDB INSERT .. read_parquet(glob)" "$BIN" --db "$OUT/p.db" query --write \
  "INSERT INTO dwh.data_sample SELECT department_name, sensor_serial, create_at, product_name, product_expire, file_index FROM read_parquet('$DATA/*.parquet')"
B=$SECS
echo "    rows loaded: $("$BIN" --db "$OUT/p.db" query --format csv 'SELECT count(*) FROM dwh.data_sample' | tail -1), warehouse size: $(du -m "$OUT/p.db" | cut -f1) MiB"

measure "(c) no-op re-run" "$BIN" --db "$OUT/s.db" ingest-data --dataset sensor-logs "$DATA"
echo "ratio (a)/(b): $(echo "scale=2; $A / $B" | bc); peak memory (a): $A_PEAK MiB"
