#!/bin/sh
# setup.sh — install what ksqlite needs to build and test, from Debian/Ubuntu
# packages. Installs missing packages with apt-get when it can (root, or
# passwordless sudo); otherwise prints the exact command to run and fails.
#
#   scripts/setup.sh          build dependencies
#   scripts/setup.sh test     build + test dependencies
set -eu

BUILD="gcc g++ make cmake pkg-config librdkafka-dev libsqlite3-dev libreadline-dev libjansson-dev libsimdjson-dev libcsv-dev libmicrohttpd-dev"
TEST="kcat sqlite3 python3 python3-kafka tmux clang-format curl clang libclang-rt-14-dev valgrind" # clang + rt: libFuzzer
BENCH="gnuplot-nox"

want="$BUILD"
case "${1:-build}" in
build) ;;
test) want="$BUILD $TEST" ;;
bench) want="$BUILD $TEST $BENCH" ;;
*) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "setup: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
    echo "  $want" >&2
    exit 1
fi

missing=""
for p in $want; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "setup: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "setup: missing packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y --no-install-recommends $missing >/dev/null || {
        echo "setup: apt-get could not install:$missing" >&2
        exit 1
    }
fi
