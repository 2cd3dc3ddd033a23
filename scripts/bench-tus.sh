#!/usr/bin/env bash
# Web upload benchmark (docs/benchmarks.md, "Playback and web upload"): the same random
# file ingested by the CLI (`liuhen ingest`) and uploaded over tus to a running server
# (POST + one streaming PATCH with curl; the clock stops when the PATCH that completes the
# upload answers, i.e. after the record's transaction committed). Target: tus >= 0.8 x CLI.
#
# Environment:
#   LIUHEN_BENCH_DIR   parent of the work dir (default /work/bench-tmp; same disk as the data)
#   BENCH_MIB          file size in MiB (default 1024)
#   BENCH_REPS         repetitions; medians are reported (default 3)
#   BENCH_NO_BUILD=1   use the existing release build
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARENT=${LIUHEN_BENCH_DIR:-/work/bench-tmp}
MIB=${BENCH_MIB:-1024}
REPS=${BENCH_REPS:-3}
BIN=$ROOT/target/release/liuhen
SERVER=$ROOT/target/release/examples/tus-e2e-server
unset LIUHEN_DATABASE_URL

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    (cd "$ROOT" && cargo build --release -p liuhen --bin liuhen && cargo build --release -p liuhen-server --example tus-e2e-server)
fi
mkdir -p "$PARENT"
WORK=$(mktemp -d "$PARENT/bench-tus.XXXXXX")
SPID=""
cleanup() {
    [[ -n $SPID ]] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

COLD=1
{ sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null || { COLD=0; echo "note: cannot drop the page cache; runs are warm" >&2; }
drop_caches() { sync; if [[ $COLD == 1 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

echo "== creating one ${MIB} MiB random file"
key=$(openssl rand -hex 16); iv=$(openssl rand -hex 16)
openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$iv" </dev/zero 2>/dev/null | head -c "$((MIB * 1048576))" >"$WORK/file.bin" || true
BYTES=$(stat -c %s "$WORK/file.bin")

# The CLI acts as an account (docs/cli-identity.md): a demo data dir made once, copied before
# each run, and the officer 张伟 (zhangwei) through the console break-glass (logged as such).
SEED=$WORK/seed
"$BIN" --data-dir "$SEED" demo >/dev/null 2>&1 || { echo "bench-tus: cannot create the demo data dir" >&2; exit 1; }
AS_OFFICER=(--break-glass zhangwei --break-glass-reason "基准测试 benchmark")

time_cli() {
    local data=$WORK/cli-data t0 t1
    rm -rf "$data"
    cp -a "$SEED" "$data"
    drop_caches
    t0=$(now)
    "$BIN" --data-dir "$data" "${AS_OFFICER[@]}" ingest "$WORK/file.bin" --json >"$WORK/cli.json" 2>/dev/null
    t1=$(now)
    grep -q '"status":"stored"' "$WORK/cli.json" || { echo "bench-tus: CLI ingest failed" >&2; exit 1; }
    rm -rf "$data"
    elapsed "$t0" "$t1"
}

time_tus() {
    local data=$WORK/srv-data t0 t1 url token loc meta rid
    rm -rf "$data" "$WORK/server.json"
    "$SERVER" "$data" >"$WORK/server.json" 2>"$WORK/server.log" &
    SPID=$!
    for _ in $(seq 100); do [[ -s $WORK/server.json ]] && break; sleep 0.1; done
    url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/server.json")
    token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$WORK/server.json")
    meta="filename $(printf 'file.bin' | base64 -w0),officer $(printf '张伟' | base64 -w0),agency $(printf '甲局' | base64 -w0)"
    drop_caches
    t0=$(now)
    loc=$(curl -sS -o /dev/null -D - -X POST "$url/api/v1/uploads" -H "Authorization: Bearer $token" \
        -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $BYTES" -H "Upload-Metadata: $meta" |
        awk 'tolower($1) == "location:" { print $2 }' | tr -d '\r')
    rid=$(curl -sS -o /dev/null -D - -X PATCH "$url$loc" -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" \
        -H "Upload-Offset: 0" -H "Content-Type: application/offset+octet-stream" -H "Expect:" -T "$WORK/file.bin" |
        awk 'tolower($1) == "liuhen-record-id:" { print $2 }' | tr -d '\r')
    t1=$(now)
    [[ -n $rid ]] || { echo "bench-tus: the upload did not produce a record" >&2; tail -5 "$WORK/server.log" >&2; exit 1; }
    kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=""
    rm -rf "$data"
    elapsed "$t0" "$t1"
}

echo "== machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); cold cache: $([[ $COLD == 1 ]] && echo yes || echo NO)"
CLI=(); TUS=()
for ((i = 1; i <= REPS; i++)); do
    CLI+=("$(time_cli)")
    TUS+=("$(time_tus)")
    echo "   rep $i: CLI ingest ${CLI[-1]} s, tus upload ${TUS[-1]} s"
done
C=$(median "${CLI[@]}"); T=$(median "${TUS[@]}")
echo
echo "== results ($(date -u +%Y-%m-%dT%H:%MZ), 1 x ${MIB} MiB, median of $REPS, MB = 10^6 bytes; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-36s %10s %10s\n' "run" "seconds" "MB/s"
printf '%-36s %10s %10s\n' "liuhen ingest (CLI)" "$C" "$(mbps "$BYTES" "$C")"
printf '%-36s %10s %10s\n' "tus upload (curl, one PATCH)" "$T" "$(mbps "$BYTES" "$T")"
echo "tus/CLI = $(awk -v c="$C" -v t="$T" 'BEGIN { printf "%.2f", c / t }')   (target >= 0.80)"
