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

# Under valgrind memcheck (KSQ_VALGRIND=1; ./dev test runs the tests labelled
# "valgrind" so) every program of the build that a test starts, itself or
# through its Python driver, runs under memcheck: BIN becomes a directory of
# wrappers that exec valgrind on the real programs (ksqlite, ksqlite-gen,
# ksqlite-broker, tests/test_*), and everything else there links to the real
# build. An error or a definite or indirect leak makes the program exit
# SANITIZER_EXIT and fails the test, and so does any error in a log of
# $WORK/valgrind (cleanup reads them all: a driver may not look at exit codes,
# a killed program writes no summary). KSQ_SLOW scales the tests' waits.
KSQ_SLOW=${KSQ_SLOW:-1}
VALGRIND=()
if [ "${KSQ_VALGRIND:-0}" = 1 ]; then
    KSQ_SLOW=${KSQ_VALGRIND_SLOW:-10}
    mkdir -p "$WORK/valgrind" "$WORK/vgbin/tests"
    # shellcheck disable=SC2054 # definite,indirect is one argument
    VALGRIND=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect
        --error-exitcode="$SANITIZER_EXIT" --num-callers=30 --suppressions="$SRC/tests/valgrind.supp"
        "--log-file=$WORK/valgrind/%p.log")
    valgrind_wrap() { # valgrind_wrap DIR: wrappers for DIR's programs, links for the rest
        local f name
        for f in "$BIN/$1"*; do
            name=${f#"$BIN/"}
            [ -e "$WORK/vgbin/$name" ] && continue
            case "$name" in
            ksqlite | ksqlite-gen | ksqlite-broker | tests/test_*)
                if [ -f "$f" ] && [ -x "$f" ]; then
                    printf '#!/bin/sh\nexec %s "$@"\n' "$(printf '%q ' "${VALGRIND[@]}" "$f")" >"$WORK/vgbin/$name"
                    chmod +x "$WORK/vgbin/$name"
                    continue
                fi
                ;;
            esac
            ln -s "$f" "$WORK/vgbin/$name"
        done
    }
    valgrind_wrap tests/
    valgrind_wrap ""
    BIN=$WORK/vgbin
fi
export KSQ_SLOW

# valgrind_check: fail the test on any error valgrind logged, and count the
# programs that ran under it (to $KSQ_VALGRIND_STATS if set: test, programs,
# programs with errors).
valgrind_check() {
    local f n=0 bad=0
    for f in "$WORK"/valgrind/*.log; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        # Error kinds as memcheck words them, and a crash (SIGILL, SIGABRT,
        # SIGBUS, SIGFPE, SIGSEGV); not a kill by SIGTERM or SIGKILL.
        if grep -Eq '== ERROR SUMMARY: [1-9]|== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function|Jump to the invalid address)|terminating with default action of signal (4|6|7|8|11) ' "$f"; then
            bad=$((bad + 1))
            echo "valgrind errors in $(sed -n 's/^==[0-9]*== Command: //p' "$f" | head -n 1)" >>"$WORK/sanitizer"
            cat "$f" >&2
        fi
    done
    if [ -n "${KSQ_VALGRIND_STATS:-}" ]; then echo "$(basename "$0" .sh) $n $bad" >>"$KSQ_VALGRIND_STATS"; fi
    return 0
}

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
    if [ "${KSQ_VALGRIND:-0}" = 1 ]; then valgrind_check; fi
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
    # (Not printf | grep -q: bash writes line by line, and a grep that quits at
    # its first match would kill printf with SIGPIPE, failing under pipefail.)
    if ! grep -Eq -- "$2" <<<"$3"; then
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
    for i in $(seq $((100 * KSQ_SLOW))); do
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
    for i in $(seq $((100 * KSQ_SLOW))); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
}

finish() {
    echo "# $(basename "$0"): $NCHECK checks passed"
}
