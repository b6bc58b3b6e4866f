#!/usr/bin/env bash
# Two `jifen serve` nodes on one PostgreSQL behind a local nginx, as a city deploys them:
# sessions work on either node, a queued job runs once, two "run round" requests on the two
# nodes at once make one round with no school over its seats, and a load run across both nodes
# ends with 0 errors. Prints its figures; exits non-zero on any failure.
#
# usage: .ci/two_nodes.sh JIFEN_BINARY PGBIN PGPORT OUTDIR
# (a PostgreSQL cluster listening on 127.0.0.1:PGPORT, user postgres, trust; nginx and wrk are
# installed when missing).
set -euo pipefail
BIN=$1; PGBIN=$2; PGPORT=$3; OUT=$4
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$OUT"
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  echo "installing nginx and wrk"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null) || { echo "cannot install nginx and wrk"; exit 1; }
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d /tmp/jifen-nodes.XXXXXX)
PIDS=()
finish() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; sleep 0.5; rm -rf "$WORK"; }
trap finish EXIT

"$PGBIN/dropdb" -h 127.0.0.1 -p "$PGPORT" -U postgres --if-exists jifen_nodes
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres jifen_nodes
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/jifen_nodes"
# The nodes share the data directory (uploads and sealed evidence; the demo's key), as they would
# share a network file system.
export JIFEN_DATA_DIR="$WORK/data"
export JIFEN_TRUSTED_PROXIES=127.0.0.1
PORT_A=$(free_port); PORT_B=$(free_port); PORT_N=$(free_port)
wait_ready() {
  for _ in $(seq 1 240); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3"; echo "node on port $1 exited"; return 1; }
    sleep 0.5
  done
  cat "$3"; echo "node on port $1 not ready"; return 1
}
# The first node migrates and loads the demo; the second finds both done.
(cd / && exec "$BIN" serve --demo --hostname 127.0.0.1 --port "$PORT_A" >"$OUT/node-a.log" 2>&1) &
PIDS+=($!); wait_ready "$PORT_A" "${PIDS[0]}" "$OUT/node-a.log"
(cd / && exec "$BIN" serve --demo --hostname 127.0.0.1 --port "$PORT_B" >"$OUT/node-b.log" 2>&1) &
PIDS+=($!); wait_ready "$PORT_B" "${PIDS[1]}" "$OUT/node-b.log"

# nginx's workers (not root) buffer large request bodies in its temporary folder.
mkdir -p "$WORK/nginx/tmp"; chmod 0755 "$WORK" "$WORK/nginx"; chmod 0777 "$WORK/nginx/tmp"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body; proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi; uwsgi_temp_path $WORK/nginx/tmp/uwsgi; scgi_temp_path $WORK/nginx/tmp/scgi;
  upstream jifen { server 127.0.0.1:$PORT_A; server 127.0.0.1:$PORT_B; keepalive 64; }
  server {
    listen 127.0.0.1:$PORT_N;
    client_max_body_size 100m;
    location / {
      proxy_pass http://jifen;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"
python3 "$ROOT/.ci/two_nodes_check.py" "http://127.0.0.1:$PORT_N" "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" \
  "$PGBIN/psql" "$DATABASE_URL" "$JIFEN_DATA_DIR" | tee "$OUT/two-nodes.log"
