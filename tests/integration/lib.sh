# lib.sh — helpers for the integration tests (sourced by each NNNN-*.sh).
#
# Each test gets a fresh work directory and its own mock cluster
# (ksqlite-broker); messages are produced by independent clients (kcat or
# Python's kafka client from Debian), results read through the real binary.
set -euo pipefail

BIN=${KSQ_BIN:?set KSQ_BIN to the build directory}
SRC=${KSQ_SRC:?set KSQ_SRC to the source directory}
PY=/usr/bin/python3 # Debian's python, which has python3-kafka
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ksq-test.XXXXXX")
PIDS=()
NCHECK=0

# Under the sanitizer build a report makes a program exit 86; such an exit
# fails the test even when the program's output looked right.
SANITIZER_EXIT=86
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=$SANITIZER_EXIT"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1:exitcode=$SANITIZER_EXIT"

# note_exit CODE COMMAND...: record a sanitizer exit (works from subshells).
note_exit() {
    local rc=$1
    shift
    if [ "$rc" -eq "$SANITIZER_EXIT" ]; then echo "sanitizer report from: $*" >>"$WORK/sanitizer"; fi
    return 0
}

cleanup() {
    local pid rc=$? status
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        status=0
        wait "$pid" 2>/dev/null || status=$?
        note_exit "$status" "background process $pid"
    done
    if [ -s "$WORK/sanitizer" ]; then
        echo "FAIL: $(cat "$WORK/sanitizer")" >&2
        rc=1
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
    NCHECK=$((NCHECK + 1))
    if [ "$2" != "$3" ]; then
        printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3" >&2
        exit 1
    fi
    echo "ok $NCHECK - $1"
}

# check_match DESCRIPTION REGEX ACTUAL
check_match() {
    NCHECK=$((NCHECK + 1))
    if ! printf '%s' "$3" | grep -Eq -- "$2"; then
        printf 'FAIL: %s\n  expected to match: %s\n  actual: %s\n' "$1" "$2" "$3" >&2
        exit 1
    fi
    echo "ok $NCHECK - $1"
}

# start_broker [ksqlite-broker args]: sets BROKERS
start_broker() {
    "$BIN/ksqlite-broker" "$@" >"$WORK/broker.out" 2>"$WORK/broker.err" &
    PIDS+=($!)
    local i
    for i in $(seq 100); do
        if [ -s "$WORK/broker.out" ]; then break; fi
        sleep 0.05
    done
    BROKERS=$(head -n 1 "$WORK/broker.out")
    [ -n "$BROKERS" ] || fail "ksqlite-broker did not start: $(cat "$WORK/broker.err")"
}

ksq() {
    local rc=0
    "$BIN/ksqlite" "$@" || rc=$?
    note_exit "$rc" ksqlite "$@"
    return "$rc"
}

gen() {
    local rc=0
    "$BIN/ksqlite-gen" "$@" || rc=$?
    note_exit "$rc" ksqlite-gen "$@"
    return "$rc"
}

# produce_lines TOPIC < lines: one message per line, KEY<TAB>VALUE, with kcat
produce_lines() {
    kcat -P -b "$BROKERS" -t "$1" -K $'\t' -z lz4 -X linger.ms=20 2>"$WORK/kcat.err" ||
        fail "kcat could not produce: $(cat "$WORK/kcat.err")"
}

# wait_exit PID: give a process that was told to stop (EOF, SIGTERM) time to
# exit by itself, so cleanup sees its real exit status.
wait_exit() {
    local i
    for i in $(seq 100); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
}

finish() {
    echo "# $(basename "$0"): $NCHECK checks passed"
}
