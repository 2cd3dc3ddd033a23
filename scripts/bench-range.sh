#!/usr/bin/env bash
# Playback benchmark (docs/benchmarks.md, "Playback and web upload"): authenticated 1 MiB
# Range GETs of GET /records/{id}/media against nginx serving the same file, measured
# in the same run with wrk (random 1 MiB-aligned ranges, same Lua script, same
# connections and threads). Target: liuhen >= 0.8 x nginx requests/s.
#
# Environment:
#   LIUHEN_BENCH_DIR   parent of the work dir (default /work/bench-tmp)
#   BENCH_SECONDS      duration of each wrk run (default 15)
#   BENCH_CONNS        wrk connections (default 16)
#   BENCH_VIDEO_SECS   length of the generated H.264 test video (default 40, ~100 MB)
#   BENCH_NO_BUILD=1   use the existing release build
# Needs ffmpeg, nginx and wrk (Debian: apt-get install -y nginx wrk).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARENT=${LIUHEN_BENCH_DIR:-/work/bench-tmp}
SECS=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNS:-16}
VIDEO_SECS=${BENCH_VIDEO_SECS:-40}
SERVER=$ROOT/target/release/examples/tus-e2e-server
unset LIUHEN_DATABASE_URL

for tool in ffmpeg nginx wrk; do
    command -v "$tool" >/dev/null || { echo "bench-range: $tool missing (apt-get install -y nginx wrk ffmpeg)" >&2; exit 2; }
done
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    (cd "$ROOT" && cargo build --release -p liuhen-server --example tus-e2e-server)
fi
mkdir -p "$PARENT"
WORK=$(mktemp -d "$PARENT/bench-range.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generating a ${VIDEO_SECS} s H.264/AAC MP4 (browser-playable, served as the original)"
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$VIDEO_SECS" \
    -c:v libx264 -preset ultrafast -b:v 20M -c:a aac -movflags +faststart "$WORK/video.mp4"
SIZE=$(stat -c %s "$WORK/video.mp4")
echo "   $(awk -v s="$SIZE" 'BEGIN { printf "%.1f", s / 1048576 }') MiB"

# liuhen: a fresh data dir, an officer with an API token (the example prints them).
"$SERVER" "$WORK/data" >"$WORK/server.json" 2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/server.json ]] && break; sleep 0.1; done
URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/server.json")
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$WORK/server.json")
# Ingest the video through tus (one PATCH) as the officer's record.
meta="filename $(printf 'bench.mp4' | base64 -w0),officer $(printf '张伟' | base64 -w0),agency $(printf '甲局' | base64 -w0)"
LOC=$(curl -sS -o /dev/null -D - -X POST "$URL/api/v1/uploads" -H "Authorization: Bearer $TOKEN" \
    -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $SIZE" -H "Upload-Metadata: $meta" |
    awk 'tolower($1) == "location:" { print $2 }' | tr -d '\r')
RID=$(curl -sS -o /dev/null -D - -X PATCH "$URL$LOC" -H "Authorization: Bearer $TOKEN" -H "Tus-Resumable: 1.0.0" \
    -H "Upload-Offset: 0" -H "Content-Type: application/offset+octet-stream" -T "$WORK/video.mp4" |
    awk 'tolower($1) == "liuhen-record-id:" { print $2 }' | tr -d '\r')
[[ -n $RID ]] || { echo "bench-range: the upload did not produce a record" >&2; exit 1; }
MEDIA="$URL/records/$RID/media"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Range: bytes=0-1048575" "$MEDIA")
[[ $code == 206 ]] || { echo "bench-range: expected 206 from liuhen, got $code" >&2; exit 1; }

# nginx: the same file, sendfile on, no access log.
mkdir -p "$WORK/nginx/html" "$WORK/nginx/logs"
cp "$WORK/video.mp4" "$WORK/nginx/html/video.mp4"
# nginx workers run unprivileged (www-data): they must be able to read the file.
chmod 755 "$WORK" "$WORK/nginx" "$WORK/nginx/html"
chmod 644 "$WORK/nginx/html/video.mp4"
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { video/mp4 mp4; }
    server {
        listen 127.0.0.1:$NPORT;
        root $WORK/nginx/html;
    }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Range: bytes=0-1048575" "http://127.0.0.1:$NPORT/video.mp4")
[[ $code == 206 ]] || { echo "bench-range: expected 206 from nginx, got $code" >&2; exit 1; }

# Random 1 MiB-aligned ranges; identical for both servers.
cat >"$WORK/range.lua" <<LUA
local chunks = math.floor($SIZE / 1048576)
math.randomseed(42)
request = function()
  local i = math.random(0, chunks - 1)
  wrk.headers["Range"] = "bytes=" .. (i * 1048576) .. "-" .. (i * 1048576 + 1048575)
  return wrk.format("GET")
end
LUA
# Warm the page cache for both.
cat "$WORK/video.mp4" "$WORK/nginx/html/video.mp4" >/dev/null

run() { # LABEL URL [HEADER]
    local out
    if [[ -n ${3:-} ]]; then
        out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$WORK/range.lua" -H "$3" "$2")
    else
        out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$WORK/range.lua" "$2")
    fi
    echo "$out" | sed 's/^/   /' >&2
    echo "$out" | awk '/Requests\/sec/ { print $2 }'
}
echo "== machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== nginx $(nginx -v 2>&1 | sed 's/.*\///'), wrk -t2 -c$CONNS -d${SECS}s, 1 MiB random ranges"
NGINX_A=$(run nginx "http://127.0.0.1:$NPORT/video.mp4")
LIUHEN_A=$(run liuhen "$MEDIA" "Authorization: Bearer $TOKEN")
# Second round in the other order, to even out drift in machine load.
LIUHEN_B=$(run liuhen "$MEDIA" "Authorization: Bearer $TOKEN")
NGINX_B=$(run nginx "http://127.0.0.1:$NPORT/video.mp4")
NGINX=$(awk -v a="$NGINX_A" -v b="$NGINX_B" 'BEGIN { printf "%.0f", (a + b) / 2 }')
LIUHEN=$(awk -v a="$LIUHEN_A" -v b="$LIUHEN_B" 'BEGIN { printf "%.0f", (a + b) / 2 }')
echo
echo "== results ($(date -u +%Y-%m-%dT%H:%MZ); load after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-40s %12s\n' "server" "requests/s"
printf '%-40s %12s\n' "nginx (sendfile), 1 MiB ranges" "$NGINX ($NGINX_A, $NGINX_B)"
printf '%-40s %12s\n' "liuhen, bearer token, 1 MiB ranges" "$LIUHEN ($LIUHEN_A, $LIUHEN_B)"
echo "liuhen/nginx = $(awk -v l="$LIUHEN" -v n="$NGINX" 'BEGIN { printf "%.2f", l / n }')   (target >= 0.80)"
