#!/usr/bin/env bash
# Stops and starts a Jifen server again and again, each time right after a few seconds of load,
# and reports how each start went and whether any stop crashed (a crash leaves a backtrace in the
# server's log). A server must stop cleanly with requests in flight and come up again at once.
#
# usage: scripts/restart-under-load.sh JIFEN_BINARY DATA_DIR [TIMES=10] [PORT=18090]
# e.g.   scripts/restart-under-load.sh .build/release/jifen /tmp/city 10
set -uo pipefail
BIN=${1:?usage: scripts/restart-under-load.sh JIFEN_BINARY DATA_DIR [TIMES] [PORT]}
DATA=${2:?usage: scripts/restart-under-load.sh JIFEN_BINARY DATA_DIR [TIMES] [PORT]}
TIMES=${3:-10}
PORT=${4:-18090}
BASE=http://127.0.0.1:$PORT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
LOGS=$(mktemp -d)
crashes=0
for i in $(seq 1 "$TIMES"); do
  start=$(date +%s.%N)
  JIFEN_DATA_DIR=$DATA "$BIN" serve --demo --port "$PORT" > "$LOGS/serve-$i.log" 2>&1 &
  pid=$!
  up=0
  for _ in $(seq 1 300); do curl -sf -m 1 "$BASE/healthz" >/dev/null && { up=1; break; }; sleep 0.2; done
  echo "start $i: up=$up in $(echo "$(date +%s.%N) - $start" | bc) s"
  [ $up = 1 ] || { echo "did not come up: $LOGS/serve-$i.log"; kill "$pid"; exit 1; }
  COOKIE=$("$(dirname "$0")/sign-in.py" "$BASE" 13800000001) || { kill "$pid"; exit 1; }
  wrk -t2 -c64 -d4s -H "Cookie: $COOKIE" "$BASE/me/points" > /dev/null &
  load=$!
  wrk -t1 -c16 -d4s "$BASE/programs" > /dev/null
  wait "$load"
  kill "$pid"
  wait "$pid"
  status=$?
  if grep -q "crashed" "$LOGS/serve-$i.log"; then crashes=$((crashes + 1)); echo "stop $i: crashed (exit $status), $LOGS/serve-$i.log"
  else echo "stop $i: exit $status"; fi
done
echo "stops that crashed: $crashes of $TIMES"
[ $crashes = 0 ]
