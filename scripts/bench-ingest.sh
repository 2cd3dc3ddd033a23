#!/usr/bin/env bash
# Ingest benchmarks of the custody core (see docs/benchmarks.md):
#   (a) one large random file:  `cp` + fsync  vs  `liuhen ingest`   (throughput, ratio; target ≥ 0.9)
#   (b) many 10 MiB random files, likewise (plus a diagnostic run with ffprobe disabled)
#   (c) peak RSS of `liuhen ingest` of one 4 GiB file                (target ≤ 64 MiB)
#
# Every timed run starts from a cold page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`,
# needs root; without it the runs are warm and the report says so) and ends only when the
# copy is durable: cp is followed by an fsync of every copied file and of its directory
# (`sync FILE... DIR`), liuhen reports a file only after its blob is fsynced and its
# SQLite (synchronous=FULL) transaction has committed.
#
# Environment (sizes in MiB):
#   LIUHEN_BENCH_DIR      parent of the work dir (default /work/bench-tmp; same disk as the data)
#   BENCH_BIG_MIB         size of the single file of (a)           (default 2048)
#   BENCH_SMALL_COUNT     number of files of (b)                   (default 200)
#   BENCH_SMALL_MIB       size of each file of (b)                 (default 10)
#   BENCH_RSS_MIB         size of the file of (c), 0 skips (c)     (default 4096)
#   BENCH_REPS            timed repetitions of each run; medians are reported (default 3)
#   BENCH_NO_BUILD=1      use the existing target/release/liuhen
# Quick run: BENCH_BIG_MIB=256 BENCH_SMALL_COUNT=20 BENCH_RSS_MIB=512 BENCH_REPS=1 scripts/bench-ingest.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARENT=${LIUHEN_BENCH_DIR:-/work/bench-tmp}
BIG_MIB=${BENCH_BIG_MIB:-2048}
SMALL_COUNT=${BENCH_SMALL_COUNT:-200}
SMALL_MIB=${BENCH_SMALL_MIB:-10}
RSS_MIB=${BENCH_RSS_MIB:-4096}
REPS=${BENCH_REPS:-3}
BIN=$ROOT/target/release/liuhen
# The data dir's own config decides the database; an inherited URL must not redirect it.
unset LIUHEN_DATABASE_URL

for v in BIG_MIB SMALL_COUNT SMALL_MIB RSS_MIB REPS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-ingest: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((REPS >= 1)) || { echo "bench-ingest: BENCH_REPS must be at least 1" >&2; exit 2; }

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    echo "== building release (cargo build --release -p liuhen)"
    (cd "$ROOT" && cargo build --release -p liuhen)
fi
[[ -x $BIN ]] || { echo "bench-ingest: $BIN missing" >&2; exit 2; }

if [[ ! -x /usr/bin/time ]]; then
    echo "== installing GNU time (Debian package 'time')"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    else
        sudo apt-get install -y -qq time >/dev/null
    fi
fi

CREATED_PARENT=0
if [[ ! -d $PARENT ]]; then
    mkdir -p "$PARENT"
    CREATED_PARENT=1
fi
WORK=$(mktemp -d "$PARENT/bench-ingest.XXXXXX")
cleanup() {
    rm -rf "$WORK"
    if [[ $CREATED_PARENT == 1 ]]; then rmdir "$PARENT" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Cold cache before each timed run, if we may.
COLD=1
if ! { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
    COLD=0
    echo "note: cannot drop the page cache (not root?): every run reads its source WARM" >&2
fi
drop_caches() {
    sync
    if [[ $COLD == 1 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi
}

# Random, incompressible, distinct content, fast: AES-128-CTR keystream with a fresh key.
make_random() { # FILE MIB
    local key iv
    key=$(openssl rand -hex 16)
    iv=$(openssl rand -hex 16)
    openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$iv" </dev/zero 2>/dev/null |
        head -c "$(($2 * 1048576))" >"$1" || true # head closing the pipe is expected
    [[ $(stat -c %s "$1") -eq $(($2 * 1048576)) ]] || { echo "bench-ingest: short file $1" >&2; exit 1; }
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

# Times `cp` of SRC (a file or a folder's files) into a fresh folder, fsync included.
time_cp() { # SRC... -> seconds
    local dst=$WORK/cp-dst t0 t1
    rm -rf "$dst"
    mkdir "$dst"
    sync "$dst"
    drop_caches
    t0=$(now)
    cp -- "$@" "$dst"/
    sync -- "$dst"/* "$dst"
    t1=$(now)
    rm -rf "$dst"
    elapsed "$t0" "$t1"
}

# The CLI acts as an account (docs/cli-identity.md): a demo data dir made once, copied before
# each run, and the officer 张伟 (zhangwei) through the console break-glass (logged as such).
SEED=$WORK/seed
"$BIN" --data-dir "$SEED" demo >/dev/null 2>&1 ||
    { echo "bench-ingest: cannot create the demo data dir $SEED" >&2; exit 1; }
AS_OFFICER=(--break-glass zhangwei --break-glass-reason "基准测试 benchmark")

# Times `liuhen ingest` into a fresh copy of the demo data dir (copied before the clock starts).
time_ingest() { # SRC... -> seconds   (extra env via INGEST_ENV)
    local data=$WORK/data t0 t1 out
    rm -rf "$data"
    cp -a "$SEED" "$data"
    drop_caches
    out=$WORK/ingest.json
    t0=$(now)
    env ${INGEST_ENV:-} "$BIN" --data-dir "$data" "${AS_OFFICER[@]}" ingest "$@" --json >"$out" 2>"$WORK/ingest.err" ||
        { echo "bench-ingest: ingest failed:" >&2; tail -5 "$WORK/ingest.err" >&2; exit 1; }
    t1=$(now)
    local stored
    stored=$(grep -c '"status":"stored"' "$out" || true)
    [[ $stored -eq $# ]] || { echo "bench-ingest: expected $# stored files, got $stored" >&2; exit 1; }
    rm -rf "$data"
    elapsed "$t0" "$t1"
}

declare -a ROWS=()
row() { ROWS+=("$(printf '%-44s %10s %10s %9s' "$@")"); }

bench_pair() { # LABEL BYTES SRC...
    local label=$1 bytes=$2
    shift 2
    local cps=() ins=() noprobe=() i
    for ((i = 1; i <= REPS; i++)); do
        cps+=("$(time_cp "$@")")
        ins+=("$(time_ingest "$@")")
        echo "   rep $i: cp+fsync ${cps[-1]} s, liuhen ingest ${ins[-1]} s"
    done
    local cpm inm
    cpm=$(median "${cps[@]}")
    inm=$(median "${ins[@]}")
    row "$label: cp + fsync" "$cpm" "$(mbps "$bytes" "$cpm")" ""
    row "$label: liuhen ingest" "$inm" "$(mbps "$bytes" "$inm")" \
        "$(awk -v c="$cpm" -v i="$inm" 'BEGIN { printf "%.2f", c / i }')"
    if [[ ${DIAG_NOPROBE:-0} == 1 ]]; then
        for ((i = 1; i <= REPS; i++)); do
            noprobe+=("$(INGEST_ENV=LIUHEN_FFPROBE=/nonexistent/ffprobe time_ingest "$@")")
            echo "   rep $i: liuhen ingest, ffprobe disabled ${noprobe[-1]} s"
        done
        local npm
        npm=$(median "${noprobe[@]}")
        row "$label: ingest, ffprobe off (diag.)" "$npm" "$(mbps "$bytes" "$npm")" \
            "$(awk -v c="$cpm" -v i="$npm" 'BEGIN { printf "%.2f", c / i }')"
    fi
}

echo "== work dir $WORK ($(df -h --output=source,fstype "$WORK" | tail -1 | tr -s ' '))"
echo "== machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== cold page cache before each run: $([[ $COLD == 1 ]] && echo yes || echo NO)"

# (a) one large file
echo "== (a) creating one ${BIG_MIB} MiB random file"
make_random "$WORK/big.bin" "$BIG_MIB"
bench_pair "(a) 1 x ${BIG_MIB} MiB" $((BIG_MIB * 1048576)) "$WORK/big.bin"
rm -f "$WORK/big.bin"

# (b) many small files
echo "== (b) creating ${SMALL_COUNT} x ${SMALL_MIB} MiB random files"
mkdir "$WORK/small"
for ((i = 0; i < SMALL_COUNT; i++)); do
    make_random "$(printf '%s/small/f%04d.bin' "$WORK" "$i")" "$SMALL_MIB"
done
DIAG_NOPROBE=1 bench_pair "(b) ${SMALL_COUNT} x ${SMALL_MIB} MiB" $((SMALL_COUNT * SMALL_MIB * 1048576)) "$WORK"/small/*.bin
rm -rf "$WORK/small"

# (c) peak RSS. GNU time reports the largest of the process and the children it waited
# for, which includes ffprobe (itself ~50 MiB); so it is measured twice: as is, and with
# ffprobe disabled (liuhen alone, builtin prober).
RSS_KB=""
rss_run() { # EXTRA-ENV -> "kB wall"
    rm -rf "$WORK/data"
    drop_caches
    env $1 /usr/bin/time -v -o "$WORK/time-v.txt" "$BIN" --data-dir "$WORK/data" ingest "$WORK/rss.bin" --json >/dev/null 2>"$WORK/ingest.err" ||
        { echo "bench-ingest: ingest failed:" >&2; tail -5 "$WORK/ingest.err" >&2; exit 1; }
    echo "$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time-v.txt")" \
        "$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$WORK/time-v.txt")"
    rm -rf "$WORK/data"
}
if ((RSS_MIB > 0)); then
    echo "== (c) creating one ${RSS_MIB} MiB random file"
    make_random "$WORK/rss.bin" "$RSS_MIB"
    out=$(rss_run "LIUHEN_BENCH=1")
    read -r RSS_KB RSS_WALL <<<"$out"
    out=$(rss_run "LIUHEN_FFPROBE=/nonexistent/ffprobe")
    read -r RSS_KB_NP RSS_WALL_NP <<<"$out"
    rm -f "$WORK/rss.bin"
fi

echo
echo "== results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, median of $REPS, MB = 10^6 bytes; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-44s %10s %10s %9s\n' "run" "seconds" "MB/s" "ingest/cp"
printf '%s\n' "${ROWS[@]}"
echo "   target: ingest/cp >= 0.90"
if [[ -n $RSS_KB ]]; then
    printf '(c) peak RSS, ingest of 1 x %s MiB:  %.1f MiB with its ffprobe child (wall %s), %.1f MiB liuhen alone (ffprobe off, wall %s); target <= 64 MiB\n' \
        "$RSS_MIB" "$(awk -v k="$RSS_KB" 'BEGIN { print k / 1024 }')" "$RSS_WALL" \
        "$(awk -v k="$RSS_KB_NP" 'BEGIN { print k / 1024 }')" "$RSS_WALL_NP"
fi
