#!/usr/bin/env bash
# Stop the SeaweedFS started by s3-up.sh: SIGTERM, then SIGKILL (weed may ignore SIGTERM).
set -euo pipefail
STATE="${LIUHEN_S3_STATE:-/tmp/liuhen-s3}"
PIDFILE="$STATE/weed.pid"
if [[ ! -f "$PIDFILE" ]]; then
    echo "s3-down: no $PIDFILE, nothing to stop" >&2
    exit 0
fi
PID="$(cat "$PIDFILE")"
if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 20); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$PID" 2>/dev/null; then
        echo "s3-down: pid $PID ignored SIGTERM, sending SIGKILL" >&2
        kill -KILL "$PID" 2>/dev/null || true
    fi
fi
rm -rf "$STATE"
echo "s3-down: stopped pid $PID" >&2
