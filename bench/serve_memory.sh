#!/usr/bin/env bash
# Serving, memory under over-long batches: CLIENTS connections each POST a body just under the 2 MiB cap
# that holds 349,001 instances (far over the 10,000 allowed) ROUNDS times; prints the server's peak
# resident memory (VmHWM). Uses the model of bench/train.sh ($OUT/volume-a.model) or MODEL=path.
source "$(dirname "$0")/common.sh"
MODEL="${MODEL:-$OUT/volume-a.model}"
[ -f "$MODEL" ] || { echo "no model at $MODEL: run bench/train.sh first, or set MODEL" >&2; exit 1; }
machine
CLIENTS="${CLIENTS:-8}" ROUNDS="${ROUNDS:-3}" python3 - "$BIN" "$MODEL" <<'PY'
import os, re, socket, subprocess, sys, threading
binary, model = sys.argv[1], sys.argv[2]
server = subprocess.Popen([binary, "serve", "--model", model, "--addr", "127.0.0.1:0"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
host, port = re.search(r"http://([0-9.]+):(\d+)", server.stdout.readline()).groups()
body = ("[" + ",".join(["[0,0]"] * 349001) + "]").encode()
request = b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body
statuses = []
def client():
    for _ in range(int(os.environ["ROUNDS"])):
        with socket.create_connection((host, int(port))) as s:
            s.sendall(request)
            statuses.append(s.recv(12).decode())
threads = [threading.Thread(target=client) for _ in range(int(os.environ["CLIENTS"]))]
[t.start() for t in threads]
[t.join() for t in threads]
peak = re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{server.pid}/status").read()).group(1)
server.terminate()
server.wait()
print(f"{len(statuses)} requests, answers {sorted(set(statuses))}: peak {int(peak) / 1024:.1f} MiB")
PY
