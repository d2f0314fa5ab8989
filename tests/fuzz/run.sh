#!/bin/sh
# run.sh — run every libFuzzer target of a KSQ_FUZZ build for a while.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
#
# Each target starts from its seed corpus in tests/fuzz/corpus/<target>/
# (read only) and from BUILD_DIR/fuzz-corpus/<target>/, where the inputs it
# finds are kept between runs. Two targets run at a time. A crash, a leak,
# a sanitizer report or a failed property stops that target; its input is
# saved as BUILD_DIR/fuzz-artifacts/<target>/crash-*, the end of its log is
# printed, and the script exits 1. To keep a crash as a regression, copy the
# input into tests/fuzz/corpus/<target>/ once it is fixed.
set -eu

build=${1:?usage: $0 BUILD_DIR [SECONDS] [TARGET...]}
secs=${2:-20}
[ $# -ge 2 ] && shift 2 || shift $#
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-$(cd "$src/corpus" && ls)}
out="$build/fuzz-artifacts"
mkdir -p "$out"

# run_one TARGET: fuzz one target for $secs seconds; 0 when nothing was found.
run_one() {
    t=$1
    bin="$build/tests/$t"
    [ -x "$bin" ] || { echo "fuzz: $bin is missing (configure with -DKSQ_FUZZ=ON)" >&2; return 1; }
    mkdir -p "$build/fuzz-corpus/$t" "$out/$t"
    case $t in # longer inputs cost time, not coverage
    fuzz_json | fuzz_csv) maxlen=16384 ;;
    *) maxlen=4096 ;;
    esac
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
        -print_final_stats=1 -artifact_prefix="$out/$t/" \
        "$build/fuzz-corpus/$t" "$src/corpus/$t" >"$out/$t.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
        echo "fuzz: $t: ${runs:-?} inputs in ${secs} s, no failure"
        return 0
    fi
    echo "FAIL: fuzz target $t: input saved in $out/$t/; the end of its log:" >&2
    tail -n 40 "$out/$t.log" >&2
    return 1
}

status=0
pending=""
for t in $targets; do
    run_one "$t" &
    pending="$pending $!"
    # two at a time: wait for the older one when two are running
    set -- $pending
    if [ $# -ge 2 ]; then
        wait "$1" || status=1
        shift
        pending="$*"
    fi
done
for p in $pending; do wait "$p" || status=1; done
exit $status
