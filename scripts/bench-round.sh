#!/usr/bin/env bash
# This year's grade-1 round 1 of the city, run again through the organiser's page and timed, the
# round figure of BENCHMARKS.md. Copies the data directory (the city of `jifen demo --scale city`)
# to a scratch directory, removes the program's round 1 with its results, trace and frozen points
# there (sqlite3), starts the given jifen binary on the copy with the stage log, waits until its
# start-up work is done (CPU idle for a second), signs in as the
# demo organiser `edu` (sign-in.py), posts "run round 1", and prints the request's seconds, the server's CPU and
# each stage of the round. Run two builds alternating to compare them (each run copies afresh).
#
# usage: scripts/bench-round.sh JIFEN_BINARY DATA_DIR [PROGRAM=2026-grade1]
# e.g.   scripts/bench-round.sh .build/release/jifen /tmp/city
# With DATABASE_URL set (PostgreSQL, the city loaded there by `jifen demo --scale city`), the
# round is removed in that database itself (psql, as a superuser: its foreign keys are set aside
# for the deletion as SQLite's are) and run again there: nothing is copied, and DATA_DIR only
# holds the server's secret key.
set -euo pipefail
BIN=${1:?usage: scripts/bench-round.sh JIFEN_BINARY DATA_DIR [PROGRAM]}
DATA=${2:?usage: scripts/bench-round.sh JIFEN_BINARY DATA_DIR [PROGRAM]}
PROGRAM=${3:-2026-grade1}
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql-client)"; exit 2; }
else
  command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)"; exit 2; }
fi
PORT=${BENCH_PORT:-8091}
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d /tmp/jifen-round.XXXXXX)
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=

cp -r "$DATA"/. "$WORK"/
REMOVE="CREATE TEMP TABLE r AS SELECT o.id FROM allocation_rounds o JOIN programs p ON p.id = o.program_id WHERE p.code = '$PROGRAM' AND o.round = 1;
DELETE FROM round_schools WHERE round_id IN (SELECT id FROM r);
DELETE FROM allocation_results WHERE round_id IN (SELECT id FROM r);
DELETE FROM allocation_rounds WHERE id IN (SELECT id FROM r);
UPDATE service_applications SET points = NULL, tiebreak_points = NULL, priority = NULL WHERE program_id = (SELECT id FROM programs WHERE code = '$PROGRAM');"
if [ -n "${DATABASE_URL:-}" ]; then
  psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
$REMOVE
DELETE FROM allocation_traces WHERE round_id NOT IN (SELECT id FROM allocation_rounds);
COMMIT;
VACUUM ANALYZE;
SQL
else
  printf 'PRAGMA foreign_keys = OFF;\n%s\n' "$REMOVE" | sqlite3 "$WORK/jifen.sqlite"
  # The trace, in the table of the database's version (one row a step before migration 043).
  for table in allocation_traces allocation_steps; do
    sqlite3 "$WORK/jifen.sqlite" "DELETE FROM $table WHERE round_id NOT IN (SELECT id FROM allocation_rounds)" 2>/dev/null || true
  done
fi
sync

JIFEN_DATA_DIR=$WORK JIFEN_LOG_LEVEL=info "$BIN" serve --demo --port "$PORT" > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 240); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 0.5; done
TICKS=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# The server's own start-up work first (the day's reminders, the archives scored again): on a city
# whose reminders were never sent, tens of thousands are recorded in the first minute, and a round
# timed beside them waits for the database. Timed once the server has been idle for a second.
WAITED=0
while [ "$WAITED" -lt 300 ]; do
  A=$(cpu); sleep 1; B=$(cpu); WAITED=$((WAITED + 1))
  [ $((B - A)) -le $((TICKS / 50)) ] && break
done
echo "server idle $WAITED s after it answered"
COOKIE=$("$(dirname "$0")/sign-in.py" "$BASE" edu)
TOKEN=$(curl -sf -H "Cookie: $COOKIE" "$BASE/programs/$PROGRAM" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
[ -n "$TOKEN" ] || { echo "the program page of $PROGRAM has no form for edu"; exit 1; }
BEFORE=$(cpu)
read -r STATUS TOOK < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Cookie: $COOKIE" \
  --data-urlencode "_csrf=$TOKEN" "$BASE/programs/$PROGRAM/rounds")
[ "$STATUS" = 303 ] || { echo "the round was not run: $STATUS"; exit 1; }
echo "round 1 of $PROGRAM: $TOOK s"
AFTER=$(cpu)
echo "server CPU: $(( (AFTER - BEFORE) * 1000 / TICKS )) ms"
grep "round 1 of $PROGRAM" "$WORK/server.log" | sed 's/.*\[JifenApp\] /  /'
