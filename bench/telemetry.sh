#!/usr/bin/env bash
# Robot telemetry: generate READINGS=20200000 readings requested (20.0M written after the dropouts), one Parquet
# file per run, then time
# (a) exercise ingest-data --dataset telemetry, raw files through to run_statistics, against the same steps in
# (b) plain pandas (bench/telemetry_pandas.py) and (c) Polars, lazy on its streaming engine
# (bench/telemetry_polars.py), in the same run; then (d) a re-run with nothing new.
# (a), (b) and (c) alternate for ROUNDS rounds (default 3), because this VM's speed drifts: each round's ratios
# compare neighbours in time, and the median of the rounds is the figure to quote. SKIP_PANDAS=1 leaves (b)
# out (it is the slow one).
# pandas, pyarrow and polars are installed into the venv at $BENCH_VENV when missing.
source "$(dirname "$0")/common.sh"
READINGS="${READINGS:-20200000}"
ROUNDS="${ROUNDS:-3}"
SKIP_PANDAS="${SKIP_PANDAS:-}"
DATA="$OUT/telemetry-$READINGS"
VENV="${BENCH_VENV:-$HOME/.cache/exercise-interop-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
for module in pandas pyarrow polars; do
  "$VENV/bin/python" -c "import $module" 2>/dev/null \
    || "$VENV/bin/pip" install --quiet --disable-pip-version-check "$module"
done
if [ ! -f "$DATA/.complete" ]; then
  measure "generate" "$BIN" generate telemetry --readings "$READINGS" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $(find "$DATA" -name '*.parquet' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB;" \
  "$("$VENV/bin/python" -c 'import pandas, polars; print(f"pandas {pandas.__version__}, polars {polars.__version__}")')"
# ratio X Y: X / Y to two decimals, with its leading zero (bc would print .82).
ratio() {
  awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'
}
PANDAS_RATIOS=()
POLARS_RATIOS=()
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/tm.db" "$OUT/tm.db.wal"
  measure "(a) exercise ingest-data --dataset telemetry" "$BIN" --db "$OUT/tm.db" ingest-data --dataset telemetry "$DATA" --max-rejects 100000000
  A=$SECS
  grep -E '^(read |derived )' "$OUT/(a) exercise ingest-data --dataset telemetry.log"
  if [ -z "$SKIP_PANDAS" ]; then
    measure "(b) pandas: the same steps" "$VENV/bin/python" bench/telemetry_pandas.py "$DATA" "$OUT/telemetry-pandas.parquet"
    PANDAS_RATIOS+=("$(ratio "$SECS" "$A")")
    echo "    pandas / exercise in round $round: ${PANDAS_RATIOS[-1]}"
  fi
  measure "(c) polars: the same steps" "$VENV/bin/python" bench/telemetry_polars.py "$DATA" "$OUT/telemetry-polars.parquet"
  POLARS_RATIOS+=("$(ratio "$SECS" "$A")")
  echo "    polars / exercise in round $round: ${POLARS_RATIOS[-1]}"
done
measure "(d) exercise ingest-data, nothing new" "$BIN" --db "$OUT/tm.db" ingest-data --dataset telemetry "$DATA"
"$BIN" --db "$OUT/tm.db" query "SELECT count(*) AS runs, sum(grid_points) AS grid_points, round(avg(mean_speed_1), 2) AS mean_speed_1 FROM telemetry.run_statistics"
if [ -z "$SKIP_PANDAS" ]; then
  echo "pandas / exercise by round: ${PANDAS_RATIOS[*]}; median: $(median "${PANDAS_RATIOS[@]}")"
fi
echo "polars / exercise by round: ${POLARS_RATIOS[*]}; median: $(median "${POLARS_RATIOS[@]}")"
