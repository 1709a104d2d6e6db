# Shared by the bench scripts: build once, measure wall time and peak memory of one command.
# EXERCISE_BIN=PATH measures that binary instead of building this checkout (e.g. a copy of one build, so
# that a long run of scripts is not changed by a build made meanwhile).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/exercise-target}"
if [ -n "${EXERCISE_BIN:-}" ]; then
  BIN="$EXERCISE_BIN"
  [ -x "$BIN" ] || { echo "EXERCISE_BIN=$BIN is not an executable file" >&2; exit 1; }
else
  cargo build --release --quiet
  BIN="$CARGO_TARGET_DIR/release/exercise"
fi
OUT="${BENCH_OUT:-bench/out}"
mkdir -p "$OUT"

# measure LABEL CMD...: runs CMD, records "seconds peak_MiB" in $SECS and $PEAK_MB, prints a line. The
# disk is synced after each command (not timed), so the next one does not pay for this one's writes
# still being flushed (pandas' 305 MB output made the next telemetry load 20-30% slower).
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > "$OUT/$label.log" 2>&1 || true
  sync
  read -r SECS KB < <(tail -n 1 "$OUT/time.txt")
  PEAK_MB=$((KB / 1024))
  printf '%-44s %8.2f s  %6d MiB\n' "$label" "$SECS" "$PEAK_MB"
}

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); date: $(date -u +%Y-%m-%d)"
}

# median X...: the middle value (the lower middle of an even count).
median() {
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
