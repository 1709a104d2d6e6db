#!/usr/bin/env bash
# The floors of the two comparisons whose targets (issue 17) are not met: the sensor-log month against
# plain DuckDB (target 0.7x) and telemetry 20M against Polars (target 2x faster). For each, in the same
# run and alternating, ROUNDS rounds (default 3):
#   (a)  exercise ingest-data into a fresh warehouse, with EXERCISE_TIMINGS=1 (its phases);
#   (p)  the peer: sensor logs, plain DuckDB's default INSERT ... SELECT FROM read_parquet(glob) (the
#        Python client, as bench/sensor_logs.sh b1); telemetry, bench/telemetry_polars.py;
#   (r)  DuckDB reading the input once: every column of every row aggregated, nothing written;
#   (w)  DuckDB writing the same rows into a table of the same shape in a fresh file as fast as it can:
#        one statement, insertion order not kept, no constraint beyond the table's own, no provenance
#        lookups, no accounting.
# (w) is the floor of any tool that keeps the rows in a DuckDB file: it already includes (r). The script
# prints each side's median and (w) / (p), the share of the peer's time that writing alone takes. Each
# run is checked: the plain sides must hold (or count) the rows our load read, and it stops otherwise.
source "$(dirname "$0")/common.sh"
source bench/plain_duckdb.sh
ROUNDS="${ROUNDS:-3}"
SENSOR="$OUT/sensor-logs-43201"
TELEMETRY="$OUT/telemetry-20200000"
for data in "$SENSOR" "$TELEMETRY"; do
  [ -f "$data/.complete" ] || { echo "run bench/sensor_logs.sh and bench/telemetry.sh first (they generate $data)" >&2; exit 1; }
done
for module in duckdb polars pyarrow; do
  "$VENV/bin/python" -c "import $module" 2>/dev/null \
    || "$VENV/bin/pip" install --quiet --disable-pip-version-check "$module"
done
machine
echo "duckdb (Python) $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)'), polars $("$VENV/bin/python" -c 'import polars; print(polars.__version__)')"
find "$SENSOR" "$TELEMETRY" -name '*.parquet' -print0 | xargs -0 cat > /dev/null

# py DB SQL: runs SQL in a fresh connection to the file DB (removed first; :memory: for none), closes it.
py() {
  local db="$1" sql="$2"
  [ "$db" = ":memory:" ] || rm -f "$db" "$db.wal"
  "$VENV/bin/python" -c 'import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute(sys.argv[2])
print(con.fetchall() if con.description else "")
con.close()' "$db" "$sql"
}
export -f py
export VENV

SENSOR_SELECT="SELECT department_name, sensor_serial, create_at, product_name, product_expire, file_index
FROM read_parquet('$SENSOR/*.parquet')"
SENSOR_P="$SENSOR_LOGS_TABLE INSERT INTO dwh.data_sample $SENSOR_SELECT;"
SENSOR_R="SELECT count(*), sum(length(department_name) + length(sensor_serial) + length(product_name)),
       max(create_at), max(product_expire), sum(file_index) FROM ($SENSOR_SELECT);"
SENSOR_W="SET preserve_insertion_order = false; $SENSOR_P"

# readings_raw's shape since V015: field and sensor_type as ENUMs of their known values.
TELEMETRY_TABLE="CREATE TABLE readings_raw (source_file_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
    time TIMESTAMP, value DOUBLE, field ENUM('fx', 'fy', 'fz', 'x', 'y', 'z'), robot_id BIGINT, run_uuid UBIGINT,
    sensor_type ENUM('encoder', 'load_cell'), unparsed VARCHAR);"
TELEMETRY_SELECT="SELECT file_index, file_row_number + 1, time, value, TRY_CAST(field AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z')),
       robot_id, run_uuid, TRY_CAST(sensor_type AS ENUM('encoder', 'load_cell')),
       NULL FROM read_parquet('$TELEMETRY/*.parquet', file_row_number = true)"
TELEMETRY_R="SELECT count(*), sum(epoch_us(time)), sum(value), sum(length(field) + length(sensor_type)),
       sum(robot_id), sum(run_uuid::HUGEINT) FROM read_parquet('$TELEMETRY/*.parquet');"
TELEMETRY_W="SET preserve_insertion_order = false; $TELEMETRY_TABLE INSERT INTO readings_raw $TELEMETRY_SELECT;"

# phase LOG PATTERN: the sum of the EXERCISE_TIMINGS lines of LOG whose label matches PATTERN (0 when none).
phase() { { grep -E "^timing: ($2)" "$1" || true; } | awk '{s += $(NF-1)} END {printf "%.2f", s}'; }
# ours LABEL: the rows our load read ("read N = ..."); stops the script when the load did not finish.
ours() {
  local n; n=$({ grep -m1 -oE '^read [0-9]+' "$OUT/$1.log" || true; } | awk '{print $2}')
  if [ -z "$n" ]; then
    echo "FAILED: $1: no row accounting; end of $OUT/$1.log:" >&2; tail -n 20 "$OUT/$1.log" >&2; exit 1
  fi
  echo "$n"
}
# first_number LABEL: the first number of the result the run printed, [(count, ...)] (its log also holds
# DuckDB's progress bar).
first_number() { { grep -oE '\[\([0-9]+' "$OUT/$1.log" || true; } | head -1 | tr -d '[('; }

declare -A T
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/f.db" "$OUT/f.db.wal"
  measure "sensor (a) exercise" env EXERCISE_TIMINGS=1 "$BIN" --db "$OUT/f.db" ingest-data --dataset sensor-logs "$SENSOR"
  T[sa]+=" $SECS"
  ROWS=$(ours "sensor (a) exercise")
  LOG="$OUT/sensor (a) exercise.log"
  echo "    phases: inserts $(phase "$LOG" 'load.sql #0') s, footer counts and accounting $(phase "$LOG" 'load.sql #[12]|rejects.sql') s, plan and hashes $(phase "$LOG" 'plan ') s, ledger and commits $(phase "$LOG" 'ledger|commit') s"
  measure "sensor (p) plain DuckDB, default" bash -c 'py "$1" "$2"' _ "$OUT/fp.db" "$SENSOR_P"; T[sp]+=" $SECS"
  plain_check "sensor (p) plain DuckDB, default" "$(plain_count b1 "$OUT/fp.db" dwh.data_sample)" "$ROWS"
  measure "sensor (r) read once" bash -c 'py :memory: "$1"' _ "$SENSOR_R"; T[sr]+=" $SECS"
  plain_check "sensor (r) read once" "$(first_number "sensor (r) read once")" "$ROWS"
  measure "sensor (w) write, fastest" bash -c 'py "$1" "$2"' _ "$OUT/fw.db" "$SENSOR_W"; T[sw]+=" $SECS"
  plain_check "sensor (w) write, fastest" "$(plain_count b1 "$OUT/fw.db" dwh.data_sample)" "$ROWS"

  rm -f "$OUT/f.db" "$OUT/f.db.wal"
  measure "telemetry (a) exercise" env EXERCISE_TIMINGS=1 "$BIN" --db "$OUT/f.db" ingest-data --dataset telemetry "$TELEMETRY" --max-rejects 100000000
  T[ta]+=" $SECS"
  ROWS=$(ours "telemetry (a) exercise")
  LOG="$OUT/telemetry (a) exercise.log"
  echo "    phases: raw write $(phase "$LOG" 'stage_parquet') s, rejects $(phase "$LOG" 'load.sql') s, sweep read $(phase "$LOG" 'sweep: read') s, sweep features and grid write $(phase "$LOG" 'sweep: features') s, accounting $(phase "$LOG" 'accounting') s, data tests $(phase "$LOG" 'data tests') s"
  T[tf]+=" $(phase "$LOG" 'sweep: features')"
  measure "telemetry (p) polars" "$VENV/bin/python" bench/telemetry_polars.py "$TELEMETRY" "$OUT/floors-polars.parquet"; T[tp]+=" $SECS"
  plain_check "telemetry (p) polars" "$([ -s "$OUT/floors-polars.parquet" ] && echo written)"
  measure "telemetry (r) read once" bash -c 'py :memory: "$1"' _ "$TELEMETRY_R"; T[tr]+=" $SECS"
  plain_check "telemetry (r) read once" "$(first_number "telemetry (r) read once")" "$ROWS"
  measure "telemetry (w) write, fastest" bash -c 'py "$1" "$2"' _ "$OUT/fw.db" "$TELEMETRY_W"; T[tw]+=" $SECS"
  plain_check "telemetry (w) write, fastest" "$(plain_count b1 "$OUT/fw.db" readings_raw)" "$ROWS"
done
rm -f "$OUT/f.db" "$OUT/f.db.wal" "$OUT/fp.db" "$OUT/fp.db.wal" "$OUT/fw.db" "$OUT/fw.db.wal" "$OUT/floors-polars.parquet"

m() { median ${T[$1]}; }
echo "sensor-log month, medians: (a) $(m sa) s, (p) $(m sp) s, (r) $(m sr) s, (w) $(m sw) s"
echo "    (a)/(p) $(ratio "$(m sa)" "$(m sp)"), (w)/(p) $(ratio "$(m sw)" "$(m sp)") (the write alone), target 0.7"
echo "telemetry 20M, medians: (a) $(m ta) s, (p) $(m tp) s, (r) $(m tr) s, (w) $(m tw) s, our sweep's features and grid write $(m tf) s"
echo "    (p)/(a) $(ratio "$(m tp)" "$(m ta)"), target 2; (p)/2 = $(awk -v p="$(m tp)" 'BEGIN {printf "%.2f", p / 2}') s against (w) + features = $(awk -v w="$(m tw)" -v f="$(m tf)" 'BEGIN {printf "%.2f", w + f}') s"
