#!/usr/bin/env bash
# The sensor-log month (43,201 Parquet files, bench/sensor_logs.sh's data) and 20M telemetry readings
# (bench/telemetry.sh's data) loaded (a) by `exercise ingest-data` on one machine and (b) by Spark over our
# binary (spark/bulk_load.py, spark/bulk_load_telemetry.py) on a standalone cluster of two one-core
# workers on the same 2-core machine; then an estimate for 100x the files on N workers from the measured
# cost. Peak memory of (b) is the driver's; each worker's executor is capped at WORKER_MEMORY (default 2g).
source "$(dirname "$0")/common.sh"
source spark/cluster.sh
DATA="$OUT/sensor-logs-43201"
[ -f "$DATA/.complete" ] || { echo "no $DATA: run bench/sensor_logs.sh first" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
machine
echo "data: $DATA, $(find "$DATA" -name '*.parquet' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB"
find "$DATA" -name '*.parquet' -print0 | xargs -0 cat > /dev/null

rm -f "$OUT/sl1.db" "$OUT/sl1.db.wal"
measure "(a) exercise ingest-data, one machine" "$BIN" --db "$OUT/sl1.db" ingest-data --dataset sensor-logs "$DATA"
A=$SECS
grep -E '^read ' "$OUT/(a) exercise ingest-data, one machine.log"

cluster_start "$WORK" "${WORKER_MEMORY:-2g}"
measure "(b) Spark, 2 workers x 1 core, 8 tasks" spark-submit --master "$SPARK_MASTER" \
  --conf spark.log.level=WARN --conf spark.executor.memory="${WORKER_MEMORY:-2g}" --files "$BIN" \
  spark/bulk_load.py --input "$DATA" --out "$OUT/spark-lake" --tasks 8
B=$SECS
grep -E '^(read|tasks|[0-9]+ files|failed|phases)' "$OUT/(b) Spark, 2 workers x 1 core, 8 tasks.log"
echo "rows in the Spark lake: $("$VENV/bin/python" -c "import duckdb; print(duckdb.connect().execute(\"SELECT count(*) FROM read_parquet('$OUT/spark-lake/dwh/data_sample_spark/*/*.parquet')\").fetchone()[0])")"
echo "ratio (b)/(a): $(echo "scale=2; $B / $A" | bc)"
# On paper: the work scales with the files and divides over the workers' cores; about 15 s of (b) is
# Spark starting and scheduling, which does not grow.
FIXED=15
for n in 10 50 100; do
  echo "estimate, 100x the files on $n one-core workers: $(echo "scale=0; $FIXED + 100 * ($B - $FIXED) * 2 / $n" | bc) s"
done

TDATA="$OUT/telemetry-20200000"
if [ -d "$TDATA" ]; then
  echo "data: $TDATA, $(find "$TDATA" -name '*.parquet' | wc -l) files, $(du -sm "$TDATA" | cut -f1) MiB"
  rm -f "$OUT/tl1.db" "$OUT/tl1.db.wal"
  measure "(c) telemetry, one machine" "$BIN" --db "$OUT/tl1.db" ingest-data --dataset telemetry --max-rejects 100000000 "$TDATA"
  C=$SECS
  grep -E '^read ' "$OUT/(c) telemetry, one machine.log"
  measure "(d) telemetry on Spark, 2 workers x 1 core" spark-submit --master "$SPARK_MASTER" \
    --conf spark.log.level=WARN --conf spark.executor.memory="${WORKER_MEMORY:-2g}" --files "$BIN" \
    spark/bulk_load_telemetry.py --input "$TDATA" --out "$OUT/spark-lake" --tasks 8
  D=$SECS
  grep -E '^(read|tasks|[0-9]+ files|failed|phases)' "$OUT/(d) telemetry on Spark, 2 workers x 1 core.log"
  echo "ratio (d)/(c): $(echo "scale=2; $D / $C" | bc)"
  for n in 10 50 100; do
    echo "estimate, 100x the runs on $n one-core workers: $(echo "scale=0; $FIXED + 100 * ($D - $FIXED) * 2 / $n" | bc) s"
  done
fi
