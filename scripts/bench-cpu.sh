#!/usr/bin/env bash
# The server's CPU time per request of a page under load, the steadier figure of BENCHMARKS.md when
# the VM's speed moves (requests a second follow the machine; CPU per request follows the code).
# Starts the given jifen binary on the data directory, signs in as the city's demo parent
# 13900000001 (or JIFEN_BENCH_CITIZEN), warms up for 3 s, then loads each page with wrk (64
# connections) and reads the process's user+system time from /proc before and after. Checks that
# every answer was a 200 or a redirect. Run two builds alternating to compare them.
#
# usage: scripts/bench-cpu.sh JIFEN_BINARY DATA_DIR PATH... [SECONDS=8 in BENCH_SECONDS]
# e.g.   scripts/bench-cpu.sh .build/release/jifen /tmp/city /home /me/points /me/programs
set -euo pipefail
BIN=${1:?usage: scripts/bench-cpu.sh JIFEN_BINARY DATA_DIR PATH...}
DATA=${2:?usage: scripts/bench-cpu.sh JIFEN_BINARY DATA_DIR PATH...}
shift 2
[ $# -gt 0 ] || { echo "name at least one page, e.g. /home"; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
PORT=${BENCH_PORT:-8095}
SECONDS_EACH=${BENCH_SECONDS:-8}
BASE=http://127.0.0.1:$PORT
TICKS=$(getconf CLK_TCK)

JIFEN_DATA_DIR=$DATA "$BIN" serve --demo --port "$PORT" > /dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 0.5; done
COOKIE=$("$(dirname "$0")/sign-in.py" "$BASE" "${JIFEN_BENCH_CITIZEN:-13900000001}")
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

echo "| page | requests/s | server CPU per request (ms) | errors |"
echo "|---|---|---|---|"
for path in "$@"; do
  wrk -t2 -c64 -d3s -H "Cookie: $COOKIE" "$BASE$path" > /dev/null
  before=$(cpu)
  out=$(wrk -t2 -c64 -d"${SECONDS_EACH}s" --timeout 10s -H "Cookie: $COOKIE" "$BASE$path")
  after=$(cpu)
  python3 - "$path" "$before" "$after" "$TICKS" "$out" <<'PY'
import re, sys
path, before, after, ticks, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
n = int(re.search(r"(\d+) requests in", out).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
print(f"| `{path}` | {rps:.0f} | {(after - before) / ticks * 1000 / n:.3f} | {errors} |")
PY
done
