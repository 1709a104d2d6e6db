#!/usr/bin/env bash
# STEDI: generate CUSTOMERS=100000 customers, ACCEL=10000000 accelerometer and STEPS=3000000 step-trainer
# readings, then time the whole landing-to-curated run side by side with plain DuckDB:
# (a) ingest-data, then `exercise stedi`, which evaluates every trusted and curated zone; (b) the plain
# reference bench/stedi_plain.sql (read_json of the three sources into typed tables, exact duplicates
# dropped, every trusted and curated zone materialised as a table) in a fresh database. `exercise query`
# runs one statement, so (b) runs through the DuckDB Python client of the venv at $BENCH_VENV, the same
# DuckDB release as ours. (a) and (b) alternate for ROUNDS rounds (default 3), because this VM's speed
# drifts: each round's ratio compares neighbours in time, and the median of the rounds is the figure to quote.
source "$(dirname "$0")/common.sh"
CUSTOMERS="${CUSTOMERS:-100000}"; ACCEL="${ACCEL:-10000000}"; STEPS="${STEPS:-3000000}"
ROUNDS="${ROUNDS:-3}"
VENV="${BENCH_VENV:-$HOME/.cache/exercise-interop-venv}"
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'duckdb~=2.0.0'
fi
DATA="$OUT/stedi-$CUSTOMERS-$ACCEL-$STEPS"
if [ ! -f "$DATA/.complete" ]; then
  measure "generate" "$BIN" generate stedi --customers "$CUSTOMERS" --accelerometer "$ACCEL" --step-trainer "$STEPS" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $(find "$DATA" -name '*.json' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB"
# Read the files once so that neither side pays alone for a cold page cache.
find "$DATA" -name '*.json' -exec cat {} + > /dev/null

# The plain reference, with the data folder set first (quotes doubled for SQL).
PLAIN_SQL="SET VARIABLE data = '${DATA//\'/\'\'}';
$(cat bench/stedi_plain.sql)"
PLAIN_RUN='import duckdb, sys; duckdb.connect(sys.argv[1]).execute(sys.argv[2])'

RATIOS=(); A_TIMES=(); B_TIMES=(); A_PEAK=0; B_PEAK=0
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/st.db" "$OUT/st.db.wal"
  measure "(a1) exercise ingest-data --dataset stedi" "$BIN" --db "$OUT/st.db" ingest-data --dataset stedi "$DATA" --max-rejects 1000000
  A=$SECS; A_PEAK=$(( PEAK_MB > A_PEAK ? PEAK_MB : A_PEAK ))
  grep -E '^read ' "$OUT/(a1) exercise ingest-data --dataset stedi.log" || tail -3 "$OUT/(a1) exercise ingest-data --dataset stedi.log"
  measure "(a2) exercise stedi (every zone counted)" "$BIN" --db "$OUT/st.db" stedi
  A=$(echo "$A + $SECS" | bc); A_PEAK=$(( PEAK_MB > A_PEAK ? PEAK_MB : A_PEAK ))
  printf '%-44s %8.2f s\n' "(a) landing to curated, exercise" "$A"
  rm -f "$OUT/stp.db" "$OUT/stp.db.wal"
  measure "(b) plain DuckDB: read_json, zones as tables" "$VENV/bin/python" -c "$PLAIN_RUN" "$OUT/stp.db" "$PLAIN_SQL"
  B=$SECS; B_PEAK=$(( PEAK_MB > B_PEAK ? PEAK_MB : B_PEAK ))
  [ -s "$OUT/(b) plain DuckDB: read_json, zones as tables.log" ] && cat "$OUT/(b) plain DuckDB: read_json, zones as tables.log"
  A_TIMES+=("$A"); B_TIMES+=("$B")
  RATIOS+=("$(echo "scale=3; $A / $B" | bc)")
  echo "    ratio (a)/(b) in round $round: ${RATIOS[-1]}"
done

# Both sides must hold the same rows in every zone (untimed).
"$BIN" --db "$OUT/st.db" stedi --format csv | tail -n +2 | cut -d, -f2,3 | sed 's/^stedi_[a-z]*\.//' | sort > "$OUT/stedi-counts-a.csv"
"$VENV/bin/python" -c '
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
for t in ["customer", "accelerometer", "step_trainer", "customer_trusted", "accelerometer_trusted",
          "step_trainer_trusted", "customer_curated", "machine_learning_curated"]:
    print(t + "," + str(con.execute("SELECT count(*) FROM " + t).fetchone()[0]))' "$OUT/stp.db" | sort > "$OUT/stedi-counts-b.csv"
echo "DuckDB: exercise $("$BIN" --db "$OUT/st.db" query --format csv 'SELECT version()' | tail -1), plain (Python client) $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
echo "rows by table: exercise, plain"
join -t, -a 1 -e '-' -o 0,1.2,2.2 "$OUT/stedi-counts-a.csv" "$OUT/stedi-counts-b.csv" \
  | awk -F, '{ printf "    %-26s %10s %10s  %s\n", $1, $2, $3, ($3 == "-" ? "" : ($2 == $3 ? "equal" : "DIFFERENT")) }'

echo "landing to curated by round: exercise ${A_TIMES[*]} s, plain ${B_TIMES[*]} s; medians: exercise $(median "${A_TIMES[@]}") s, plain $(median "${B_TIMES[@]}") s"
echo "ratios (a)/(b) by round: ${RATIOS[*]}; median: $(median "${RATIOS[@]}")"
echo "peak memory (largest of any round): exercise $A_PEAK MiB (the larger of ingest-data and stedi), plain $B_PEAK MiB"
