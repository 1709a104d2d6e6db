#!/usr/bin/env bash
# STEDI: generate CUSTOMERS=100000 customers, ACCEL=10000000 accelerometer and STEPS=3000000 step-trainer
# readings, then time the whole landing-to-curated run: ingest-data, then `exercise stedi`, which
# evaluates every trusted and curated zone.
source "$(dirname "$0")/common.sh"
CUSTOMERS="${CUSTOMERS:-100000}"; ACCEL="${ACCEL:-10000000}"; STEPS="${STEPS:-3000000}"
DATA="$OUT/stedi-$CUSTOMERS-$ACCEL-$STEPS"
if [ ! -f "$DATA/.complete" ]; then
  measure "generate" "$BIN" generate stedi --customers "$CUSTOMERS" --accelerometer "$ACCEL" --step-trainer "$STEPS" --output "$DATA"
  touch "$DATA/.complete"
fi
machine
echo "data: $DATA, $(find "$DATA" -name '*.json' | wc -l) files, $(du -sm "$DATA" | cut -f1) MiB"
rm -f "$OUT/st.db" "$OUT/st.db.wal"
measure "(a) exercise ingest-data --dataset stedi" "$BIN" --db "$OUT/st.db" ingest-data --dataset stedi "$DATA" --max-rejects 1000000
A=$SECS; A_PEAK=$PEAK_MB
grep -E '^read ' "$OUT/(a) exercise ingest-data --dataset stedi.log" || tail -3 "$OUT/(a) exercise ingest-data --dataset stedi.log"
measure "(b) exercise stedi (every zone counted)" "$BIN" --db "$OUT/st.db" stedi
cat "$OUT/(b) exercise stedi (every zone counted).log"
echo "landing to curated: $(echo "$A + $SECS" | bc) s; peak memory: ingest $A_PEAK MiB, zones $PEAK_MB MiB"
