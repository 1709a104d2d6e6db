#!/usr/bin/env bash
# Robot telemetry: generate READINGS=20200000 readings requested (20.0M written after the dropouts), one Parquet
# file per run, then time
# (a) exercise ingest-data --dataset telemetry, raw files through to run_statistics, against (b) the same
# steps in plain pandas (bench/telemetry_pandas.py), in the same run; then (c) a re-run with nothing new.
# (a) and (b) alternate for ROUNDS rounds (default 3), because this VM's speed drifts: each round's ratio
# compares neighbours in time, and the median of the rounds is the figure to quote.
# pandas and pyarrow are installed into the venv at $BENCH_VENV when missing.
source "$(dirname "$0")/common.sh"
READINGS="${READINGS:-20200000}"
ROUNDS="${ROUNDS:-3}"
DATA="$OUT/telemetry-$READINGS"
VENV="${BENCH_VENV:-$HOME/.cache/exercise-interop-venv}"
if ! "$VENV/bin/python" -c 'import pandas, pyarrow' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check pandas pyarrow
fi
if [ ! -f "$DATA/.complete" ]; then
  measure "generate" "$BIN" generate telemetry --readings "$READINGS" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $(find "$DATA" -name '*.parquet' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB; pandas $("$VENV/bin/python" -c 'import pandas; print(pandas.__version__)')"
RATIOS=()
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  rm -f "$OUT/tm.db" "$OUT/tm.db.wal"
  measure "(a) exercise ingest-data --dataset telemetry" "$BIN" --db "$OUT/tm.db" ingest-data --dataset telemetry "$DATA" --max-rejects 100000000
  A=$SECS
  grep -E '^(read |derived )' "$OUT/(a) exercise ingest-data --dataset telemetry.log"
  measure "(b) pandas: the same steps" "$VENV/bin/python" bench/telemetry_pandas.py "$DATA" "$OUT/telemetry-pandas.parquet"
  RATIOS+=("$(echo "scale=2; $SECS / $A" | bc)")
  echo "    pandas / exercise in round $round: ${RATIOS[-1]}"
done
measure "(c) exercise ingest-data, nothing new" "$BIN" --db "$OUT/tm.db" ingest-data --dataset telemetry "$DATA"
"$BIN" --db "$OUT/tm.db" query "SELECT count(*) AS runs, sum(grid_points) AS grid_points, round(avg(mean_speed_1), 2) AS mean_speed_1 FROM telemetry.run_statistics"
echo "pandas / exercise by round: ${RATIOS[*]}; median: $(median "${RATIOS[@]}")"
