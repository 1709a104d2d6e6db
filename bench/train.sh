#!/usr/bin/env bash
# Stock volume model: (a) `exercise train` and (b) scikit-learn's RandomForestRegressor with the same
# bounds (trees, depth, leaf size, rows per tree), the same rows and the same date split, alternating for
# ROUNDS rounds; then `exercise train` with the random split too, and with --lag 1.
# Needs the stocks warehouse of bench/stocks.sh ($OUT/k.db); builds it when missing. scikit-learn,
# numpy and duckdb are installed into the venv at $BENCH_VENV when missing.
source "$(dirname "$0")/common.sh"
ROUNDS="${ROUNDS:-3}"
DB="$OUT/k.db"
if [ ! -f "$DB" ]; then
  bash bench/stocks.sh
fi
VENV="${BENCH_VENV:-$HOME/.cache/exercise-interop-venv}"
if ! "$VENV/bin/python" -c 'import sklearn, duckdb, numpy' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check scikit-learn numpy 'duckdb>=1.3'
fi
"$BIN" --db "$DB" migrate > /dev/null
machine
echo "scikit-learn $("$VENV/bin/python" -c 'import sklearn; print(sklearn.__version__)'), data: $("$BIN" --db "$DB" query --format csv 'SELECT count(*) FROM market.features' | tail -1) rows of market.features"
BOUNDS=(--trees 100 --max-depth 12 --min-samples-leaf 5 --max-samples 500000 --seed 42)
A=(); B=()
for round in $(seq "$ROUNDS"); do
  measure "(a) exercise train" "$BIN" --db "$DB" train "${BOUNDS[@]}" --no-random-split --out "$OUT/volume-a.model"
  A+=("$SECS"); A_PEAK=$PEAK_MB
  measure "(b) scikit-learn RandomForestRegressor" "$VENV/bin/python" bench/train_sklearn.py "$DB" "${BOUNDS[@]}" --model-out "$OUT/volume-b.pkl"
  B+=("$SECS"); B_PEAK=$PEAK_MB
done
echo "--- (a) exercise train"; grep -E "^forest|^baseline|^wrote" "$OUT/(a) exercise train.log"
echo "--- (b) scikit-learn"; grep -E "^(read|fit|test)" "$OUT/(b) scikit-learn RandomForestRegressor.log"
echo "model files: (a) $(du -k "$OUT/volume-a.model" | cut -f1) KiB, (b) $(du -k "$OUT/volume-b.pkl" | cut -f1) KiB pickled"
MA=$(median "${A[@]}"); MB=$(median "${B[@]}")
echo "median (a) $MA s, $A_PEAK MiB; (b) $MB s, $B_PEAK MiB; ratio (a)/(b) $(echo "scale=2; $MA / $MB" | bc)"

measure "(c) exercise train, with the random split" "$BIN" --db "$DB" train "${BOUNDS[@]}" --out "$OUT/volume-c.model"
grep -E "^forest|^baseline" "$OUT/(c) exercise train, with the random split.log"
measure "(d) exercise train --lag 1" "$BIN" --db "$DB" train "${BOUNDS[@]}" --lag 1 --no-random-split --out "$OUT/volume-d.model"
grep -E "^forest|^baseline|^the forest" "$OUT/(d) exercise train --lag 1.log"
