#!/usr/bin/env bash
# The HTTP figures of BENCHMARKS.md: wrk against a running Jifen (the release build, best on the
# city dataset), each page beside /healthz in the same run. Public pages anonymously; the
# citizen's pages signed in as the city's demo parent 13900000001 (points, an application with
# three choices, a family), or as JIFEN_BENCH_CITIZEN (on the small demo: 13800000004).
#
# usage: scripts/bench-http.sh BASE_URL [SECONDS=15] [CONNECTIONS=64]
# e.g.   JIFEN_DATA_DIR=/tmp/city .build/release/jifen demo --scale city
#        JIFEN_DATA_DIR=/tmp/city .build/release/jifen serve --demo --port 8080 &
#        scripts/bench-http.sh http://127.0.0.1:8080
set -euo pipefail
BASE=${1:?usage: scripts/bench-http.sh BASE_URL [SECONDS] [CONNECTIONS]}
SECONDS_EACH=${2:-15}
CONNECTIONS=${3:-64}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
YEAR=$(TZ=Asia/Shanghai date +%Y)

# A session of the citizen, as a Cookie header.
CITIZEN=${JIFEN_BENCH_CITIZEN:-13900000001}
COOKIE=$("$(dirname "$0")/sign-in.py" "$BASE" "$CITIZEN") || { echo "(on the small demo, set JIFEN_BENCH_CITIZEN=13800000004)"; exit 2; }

run() {  # path, cookie or "" → "requests/s p99 errors"
  local args=(-t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --timeout 10s --latency)
  [ -n "$2" ] && args+=(-H "Cookie: $2")
  wrk "${args[@]}" "$BASE$1" | python3 -c '
import re, sys
out = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
print(f"{rps:.0f} {ms:.1f} {errors}")'
}

read -r HEALTH HEALTH_P99 HEALTH_ERRORS < <(run /healthz "")
echo "| page | requests/s | share of /healthz | p99 (ms) | errors |"
echo "|---|---|---|---|---|"
echo "| \`/healthz\` | $HEALTH | 100% | $HEALTH_P99 | $HEALTH_ERRORS |"
for spec in "/publicity/$YEAR-grade1/1|" "/programs/$YEAR-grade1|" "/estimate|" "/standards/zhangjiagang-2021|" \
            "/home|citizen" "/me/points|citizen" "/me/programs|citizen"; do
  path=${spec%|*}; who=${spec#*|}
  read -r RPS P99 ERRORS < <(run "$path" "$([ "$who" = citizen ] && echo "$COOKIE" || true)")
  echo "| \`$path\`$([ "$who" = citizen ] && echo " (signed in)" || true) | $RPS | $(( RPS * 100 / HEALTH ))% | $P99 | $ERRORS |"
done
