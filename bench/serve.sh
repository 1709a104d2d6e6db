#!/usr/bin/env bash
# Serving: `exercise serve` on 127.0.0.1 under wrk (installed from Debian's packages when missing) at 1,
# 16 and 64 concurrent connections, DURATION seconds each: single predictions (GET /predict) and batches
# of 100 (POST /predict). Prints requests/s, predictions/s and p50/p99 latency. Uses the model of
# bench/train.sh ($OUT/volume-a.model) or MODEL=path.
source "$(dirname "$0")/common.sh"
DURATION="${DURATION:-10}"
MODEL="${MODEL:-$OUT/volume-a.model}"
[ -f "$MODEL" ] || { echo "no model at $MODEL: run bench/train.sh first, or set MODEL" >&2; exit 1; }
command -v wrk > /dev/null || { apt-get install -y -q wrk > /dev/null || { apt-get update -q > /dev/null && apt-get install -y -q wrk > /dev/null; }; }
machine
"$BIN" serve --model "$MODEL" --addr 127.0.0.1:0 > "$OUT/serve.out" 2> "$OUT/serve.err" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "^serving" "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$OUT/serve.out")
echo "server: $(head -1 "$OUT/serve.out")"

# A batch of 100 instances drawn from a realistic range (moving average 10k-5M shares, median 1-500 $).
BODY=$(awk 'BEGIN { srand(7); printf "{\"instances\": ["; for (i = 0; i < 100; i++) printf "%s[%d, %.2f]", (i ? ", " : ""), 10000 + rand() * 5e6, 1 + rand() * 500; printf "]}" }')
cat > "$OUT/batch.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA
curl -sf "$URL/predict?vol_moving_avg=12345&adj_close_rolling_med=25" > /dev/null
curl -sf -X POST --data "$BODY" "$URL/predict" | grep -q predictions

run() { # label connections per-request-predictions wrk-args...
  local label="$1" conns="$2" per="$3"; shift 3
  local threads=$(( conns < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency "$@" > "$OUT/wrk.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
  errors=$(grep -E "Non-2xx|Socket errors" "$OUT/wrk.txt" | tr -s ' ' | paste -sd ';' || true)
  printf '%-28s %3d conns  %10.0f req/s  %10.0f predictions/s  p50 %-9s p99 %-9s %s\n' \
    "$label" "$conns" "$rps" "$(echo "$rps * $per" | bc)" "$p50" "$p99" "${errors:-}"
}
for c in 1 16 64; do
  run "GET /predict (single)" "$c" 1 "$URL/predict?vol_moving_avg=1234567&adj_close_rolling_med=42.5"
done
for c in 1 16 64; do
  run "POST /predict (batch 100)" "$c" 100 -s "$OUT/batch.lua" "$URL/predict"
done
curl -s "$URL/metrics" | grep -E 'requests_total' | head -5
