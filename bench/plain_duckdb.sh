# Shared by bench/sensor_logs.sh, bench/votes.sh and bench/floors.sh (source it after common.sh): the plain-DuckDB side
# of their comparisons, run through the clients an outside user would use rather than through our own
# binary: (b1) the PyPI `duckdb` 2.x Python client and (b2) the DuckDB CLI 1.5 of the PyPI package
# `duckdb-cli`. Both are installed into the venv at $BENCH_VENV when missing.
VENV="${BENCH_VENV:-$HOME/.cache/exercise-interop-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c 'import duckdb, sys; sys.exit(not duckdb.__version__.startswith("2."))' 2>/dev/null \
   || ! "$VENV/bin/duckdb" --version 2>/dev/null | grep -q '^v1\.5\.'; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'duckdb>=2,<3' 'duckdb-cli>=1.5,<1.6'
fi
PY_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')
CLI_VERSION=$("$VENV/bin/duckdb" --version | awk '{print $1}')
# The sensor-log table as ours (sql/migrations/V003__dwh_sensor_logs.sql: names, types, NOT NULL, CHECKs),
# for the plain side of bench/sensor_logs.sh and bench/floors.sh.
SENSOR_LOGS_TABLE="CREATE SCHEMA dwh;
CREATE TABLE dwh.data_sample (
    department_name VARCHAR   NOT NULL CHECK (length(department_name) <= 32),
    sensor_serial   VARCHAR   NOT NULL CHECK (length(sensor_serial) <= 64),
    create_at       TIMESTAMP NOT NULL,
    product_name    VARCHAR   NOT NULL CHECK (length(product_name) <= 16),
    product_expire  TIMESTAMP NOT NULL,
    source_file_id  BIGINT    NOT NULL
);"
# Runs all statements of argv[2] in a fresh connection to the database file argv[1], then closes it
# (the checkpoint on close is timed, as the CLI's on exit). A failing statement raises: exit code 1.
PLAIN_PY='import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute(sys.argv[2])
con.close()'

plain_versions() {
  rm -f "$OUT/version.db" "$OUT/version.db.wal"
  "$BIN" --db "$OUT/version.db" migrate > /dev/null
  local ours; ours=$("$BIN" --db "$OUT/version.db" query --format csv 'SELECT version()' | tail -1)
  rm -f "$OUT/version.db" "$OUT/version.db.wal"
  echo "DuckDB: (a) exercise $ours, (b1) PyPI duckdb (Python) $PY_VERSION, (b2) duckdb CLI (PyPI duckdb-cli) $CLI_VERSION; venv: $VENV"
}

# plain_run b1|b2 LABEL DB SQL: removes DB and its WAL, then measures SQL through the Python client (b1)
# or the CLI (b2) into that fresh file ($SECS, $PEAK_MB as measure sets them).
plain_run() {
  local client="$1" label="$2" db="$3" sql="$4"
  rm -f "$db" "$db.wal"
  case "$client" in
    b1) measure "$label" "$VENV/bin/python" -c "$PLAIN_PY" "$db" "$sql" ;;
    b2) measure "$label" "$VENV/bin/duckdb" "$db" -c "$sql" ;;
  esac
}

# plain_count b1|b2 DB TABLE: count(*) of TABLE read back through the same client, read-only; empty when
# the table is missing (the load failed).
plain_count() {
  local client="$1" db="$2" table="$3"
  case "$client" in
    b1) "$VENV/bin/python" -c 'import duckdb, sys
print(duckdb.connect(sys.argv[1], read_only=True).execute(f"SELECT count(*) FROM {sys.argv[2]}").fetchone()[0])' \
          "$db" "$table" 2>/dev/null || true ;;
    b2) "$VENV/bin/duckdb" -readonly "$db" -csv -noheader -c "SELECT count(*) FROM $table" 2>/dev/null || true ;;
  esac
}

# plain_check LABEL COUNT [EXPECTED]: a plain run failed when its table cannot be counted, when its log
# says Error (the CLI prints the error and goes on to exit; measure does not look at exit codes), or
# when it loaded another number of rows than EXPECTED: the script stops there, with the log's end.
plain_check() {
  local label="$1" count="$2" expected="${3:-}"
  if [ -z "$count" ] || grep -qiE 'error|traceback' "$OUT/$label.log" \
     || { [ -n "$expected" ] && [ "$count" != "$expected" ]; }; then
    echo "FAILED: $label: rows ${count:-none}${expected:+, expected $expected}; end of $OUT/$label.log:" >&2
    tail -n 20 "$OUT/$label.log" >&2
    exit 1
  fi
}

# ratio X Y: X / Y to three decimals.
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {if (y == 0) print "inf"; else printf "%.3f\n", x / y}'; }
# min2 X Y: the smaller of two numbers.
min2() { awk -v x="$1" -v y="$2" 'BEGIN {print (x < y) ? x : y}'; }

# faster_client B1 B2: names the plain client with the smaller median time (b1 on a tie).
faster_client() {
  if awk -v x="$1" -v y="$2" 'BEGIN {exit !(x <= y)}'; then
    echo "(b1) Python client, duckdb $PY_VERSION"
  else
    echo "(b2) CLI, duckdb $CLI_VERSION"
  fi
}
