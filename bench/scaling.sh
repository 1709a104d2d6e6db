#!/usr/bin/env bash
# Scaling: for each dataset, generate data at 1x, 4x and 16x of a base size, and per size load it into a
# fresh warehouse (default settings, so the dataset's data tests run inside the load), then re-run the same
# command with nothing new (it must be a no-op: the ledger skips every unchanged file). Prints one markdown
# row per dataset for BENCHMARKS.md: time and peak memory at each size, the time ratios (near 4 from one size
# to the next means linear), and the slowest re-run.
#
# Base sizes (1x), chosen so that 16x is the full size of the dataset's own bench script; each is overridable:
#   votes        VOTES_ROWS=625000         lines of JSONL (16x: 10M)
#   sensor-logs  SENSOR_MINUTES=2700       per-minute Parquet files of 1,914 rows each (16x: 43,200; the
#                                          generator counts minutes from 2023-01-01, past January if asked)
#   stocks       STOCKS_SYMBOLS=500        symbols, one CSV each (16x: 8,000), and
#                STOCKS_ROWS=1750000       rows in all, about: each symbol gets at least 30 (16x: 28M)
#   stedi        STEDI_CUSTOMERS=6250      customers (16x: 100k),
#                STEDI_ACCEL=625000        accelerometer readings (16x: 10M),
#                STEDI_STEPS=187500        step-trainer readings (16x: 3M)
#   telemetry    TELEMETRY_READINGS=1262500  readings requested, about (16x: 20.2M; runs of 60-240 s, dropouts
#                                          make the written count a little lower)
# SCALE=0.01 multiplies every base size (default 1; rounded, at least 1), to try the script on tiny data.
# ONLY="votes stocks" limits the run to those datasets.
# Data goes to $OUT/scaling/<dataset>-<factor>x-<sizes>/ and is reused when complete. At SCALE=1 the three
# sizes together take about 1.3 times the disk of the full-size data of every bench script (~10 GB).
# Usage: bash bench/scaling.sh            (BENCH_OUT=dir puts $OUT elsewhere, see common.sh)
#        SCALE=0.002 ONLY="votes telemetry" BENCH_OUT=/tmp/scalebench bash bench/scaling.sh
source "$(dirname "$0")/common.sh"
SCALE="${SCALE:-1}"
VOTES_ROWS="${VOTES_ROWS:-625000}"
SENSOR_MINUTES="${SENSOR_MINUTES:-2700}"
STOCKS_SYMBOLS="${STOCKS_SYMBOLS:-500}"; STOCKS_ROWS="${STOCKS_ROWS:-1750000}"
STEDI_CUSTOMERS="${STEDI_CUSTOMERS:-6250}"; STEDI_ACCEL="${STEDI_ACCEL:-625000}"; STEDI_STEPS="${STEDI_STEPS:-187500}"
TELEMETRY_READINGS="${TELEMETRY_READINGS:-1262500}"
FACTORS=(1 4 16)
# A re-run with nothing new should stay under this many seconds at every size.
RERUN_LIMIT=0.5
DIR="$OUT/scaling"
DB="$DIR/scaling.db"
mkdir -p "$DIR"

# scaled N: N x SCALE, rounded, at least 1.
scaled() {
  awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); if (v < 1) v = 1; printf "%d", v }'
}
# commas N: 1234567 -> 1,234,567.
commas() {
  sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<< "$1"
}
# ratio X Y: X / Y to one decimal ("-" when Y is 0, as tiny runs may time 0.00 s).
ratio() {
  awk -v x="$1" -v y="$2" 'BEGIN { if (y + 0 == 0) print "-"; else printf "%.1f", x / y }'
}
# ONLY="stedi telemetry" limits the run to those datasets.
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
# fail LOG MESSAGE: print the message and the log's tail, stop with a failure.
fail() {
  echo "FAILED: $2" >&2
  echo "--- last lines of $1:" >&2
  tail -n 20 "$1" >&2
  exit 1
}

# generate DATASET FACTOR SIZES...: generates the data for one size (unless already complete) and sets
# $DATA to the path to load. SIZES are the base sizes after SCALE; they are multiplied by FACTOR here.
generate() {
  local dataset="$1" factor="$2"; shift 2
  local sizes=() n
  for n in "$@"; do sizes+=($((n * factor))); done
  local name
  name="$dataset-${factor}x-$(IFS=-; echo "${sizes[*]}")"
  local target="$DIR/$name"
  DATA="$target"
  if [ "$dataset" = votes ]; then DATA="$target/votes.jsonl"; fi
  if [ -f "$target/.complete" ]; then return 0; fi
  rm -rf "$target"
  mkdir -p "$target"
  local args
  case "$dataset" in
    votes) args=(--rows "${sizes[0]}" --output "$DATA") ;;
    sensor-logs) args=(--minutes "${sizes[0]}" --output "$DATA") ;;
    stocks) args=(--symbols "${sizes[0]}" --rows "${sizes[1]}" --output "$DATA") ;;
    stedi) args=(--customers "${sizes[0]}" --accelerometer "${sizes[1]}" --step-trainer "${sizes[2]}" --output "$DATA") ;;
    telemetry) args=(--readings "${sizes[0]}" --output "$DATA") ;;
  esac
  local log="$DIR/generate-$name.log"
  "$BIN" generate "$dataset" "${args[@]}" > "$log" 2>&1 || fail "$log" "exercise generate $dataset ${args[*]}"
  echo "generated $name: $(tail -n 1 "$log")"
  touch "$target/.complete"
}

ROWS=()
# run DATASET "BASE SIZE TEXT" SIZES...: loads and re-runs at every factor, appends the markdown row to ROWS.
run() {
  local dataset="$1" base_text="$2"; shift 2
  local times=() peaks=() rerun_secs=0 rerun_peak=0 factor
  for factor in "${FACTORS[@]}"; do
    generate "$dataset" "$factor" "$@"
    echo "$dataset ${factor}x: $DATA, $(du -sm "$DATA" | cut -f1) MiB"
    # Read the files once, so that the load does not pay for a cold page cache.
    find "$DATA" -type f -print0 | xargs -0 cat > /dev/null
    rm -f "$DB" "$DB.wal"
    local cmd=("$BIN" --db "$DB" ingest-data --dataset "$dataset" "$DATA" --max-rejects 1000000000)
    local label="scaling $dataset ${factor}x load"
    measure "$label" "${cmd[@]}"
    local log="$OUT/$label.log"
    grep -qE '^read [0-9]+ = inserted ' "$log" || fail "$log" "$label: no accounting line"
    if grep -qE '^error:' "$log"; then fail "$log" "$label: the load reported an error"; fi
    grep -E '^read |^data tests' "$log" | sed 's/^/    /'
    times+=("$SECS"); peaks+=("$PEAK_MB")

    label="scaling $dataset ${factor}x re-run"
    measure "$label" "${cmd[@]}"
    log="$OUT/$label.log"
    if grep -qE '^error:' "$log"; then fail "$log" "$label: the re-run reported an error"; fi
    grep -qE ': 0 file\(s\) loaded, [0-9]+ unchanged and skipped, 0 failed' "$log" \
      || fail "$log" "$label: not a no-op (files were loaded again or failed)"
    if awk -v s="$SECS" -v l="$RERUN_LIMIT" 'BEGIN { exit !(s > l) }'; then
      echo "    warning: the re-run took $SECS s, over $RERUN_LIMIT s"
    fi
    if awk -v s="$SECS" -v m="$rerun_secs" 'BEGIN { exit !(s > m) }'; then rerun_secs=$SECS; fi
    if (( PEAK_MB > rerun_peak )); then rerun_peak=$PEAK_MB; fi
  done
  local cells=() i
  for i in 0 1 2; do cells+=("${times[i]} s, $(commas "${peaks[i]}") MiB"); done
  local over=""
  if awk -v s="$rerun_secs" -v l="$RERUN_LIMIT" 'BEGIN { exit !(s > l) }'; then over=" (over $RERUN_LIMIT s)"; fi
  ROWS+=("| $dataset | $base_text | ${cells[0]} | ${cells[1]} | ${cells[2]} | **$(ratio "${times[2]}" "${times[0]}")** (4x/1x $(ratio "${times[1]}" "${times[0]}"), 16x/4x $(ratio "${times[2]}" "${times[1]}")) | $rerun_secs s, $(commas "$rerun_peak") MiB$over |")
  LINEAR+=("$(printf '%-12s time 4x/1x %5s, 16x/4x %5s; peak memory 4x/1x %5s, 16x/4x %5s' "$dataset" \
    "$(ratio "${times[1]}" "${times[0]}")" "$(ratio "${times[2]}" "${times[1]}")" \
    "$(ratio "${peaks[1]}" "${peaks[0]}")" "$(ratio "${peaks[2]}" "${peaks[1]}")")")
}

machine
echo "SCALE=$SCALE, factors ${FACTORS[*]}"
LINEAR=()
if want votes; then
  n=$(scaled "$VOTES_ROWS")
  run votes "$(commas "$n") lines" "$n"
fi
if want sensor-logs; then
  n=$(scaled "$SENSOR_MINUTES")
  run sensor-logs "$(commas "$n") files (minutes) of 1,914 rows" "$n"
fi
if want stocks; then
  s=$(scaled "$STOCKS_SYMBOLS"); n=$(scaled "$STOCKS_ROWS")
  run stocks "$(commas "$s") symbols, $(commas "$n") rows" "$s" "$n"
fi
if want stedi; then
  c=$(scaled "$STEDI_CUSTOMERS"); a=$(scaled "$STEDI_ACCEL"); t=$(scaled "$STEDI_STEPS")
  run stedi "$(commas "$c") customers, $(commas "$a") accelerometer, $(commas "$t") step-trainer" "$c" "$a" "$t"
fi
if want telemetry; then
  n=$(scaled "$TELEMETRY_READINGS")
  run telemetry "$(commas "$n") readings" "$n"
fi
rm -f "$DB" "$DB.wal"

echo
echo "| dataset | base size (1x) | 1x: time, peak | 4x: time, peak | 16x: time, peak | time 16x / 1x | re-run with nothing new (max over sizes) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "linearity (a ratio near 4 is linear):"
printf '    %s\n' "${LINEAR[@]}"
