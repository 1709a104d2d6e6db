# Sourced by .ci/spark and bench/spark.sh: pyspark in a cached venv (Java 17 where missing),
# and `cluster_start WORK`: a standalone master and two one-core workers on 127.0.0.1 (ports 17077,
# 18080-18082), stopped by PID when the calling script exits. Sets SPARK_MASTER.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/exercise-target}"
BIN="$CARGO_TARGET_DIR/release/exercise"
[ -x "$BIN" ] || cargo build --release --quiet
VENV="${SPARK_VENV:-$HOME/.cache/exercise-spark-venv}"
if ! "$VENV/bin/python" -c 'import pyspark, duckdb' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'pyspark>=4,<5' 'duckdb>=1.3'
fi
if ! command -v java > /dev/null; then
  apt-get install -y -q openjdk-17-jre-headless > /dev/null \
    || { apt-get update -q > /dev/null && apt-get install -y -q openjdk-17-jre-headless > /dev/null; }
fi
export PATH="$VENV/bin:$PATH"
SPARK_HOME="$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
export PYSPARK_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
SPARK_MASTER=spark://127.0.0.1:17077
SPARK_PIDS=()

cluster_stop() {
  for pid in "${SPARK_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SPARK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SPARK_PIDS=()
}

# cluster_start WORK [WORKER_MEMORY]: logs and work folders under WORK.
cluster_start() {
  local work="$1" memory="${2:-1g}" alive=0
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 17077 --webui-port 18080 > "$work/master.log" 2>&1 &
  SPARK_PIDS+=($!)
  for i in 1 2; do
    "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory "$memory" --webui-port $((18080 + i)) \
      --work-dir "$work/worker$i" "$SPARK_MASTER" > "$work/worker$i.log" 2>&1 &
    SPARK_PIDS+=($!)
  done
  for _ in $(seq 120); do
    alive=$(curl -sf http://127.0.0.1:18080/json/ 2>/dev/null \
      | "$VENV/bin/python" -c 'import json, sys; print(sum(w["state"] == "ALIVE" for w in json.load(sys.stdin)["workers"]))' 2>/dev/null || echo 0)
    [ "$alive" = 2 ] && return 0
    sleep 0.5
  done
  echo "the workers did not register"; tail -20 "$work"/*.log
  return 1
}
