# 0050: the C API's rules (tests/api/test_api.c): open/close cycles, errors
# with codes, messages and offsets, a host-owned connection left clean and
# its views resumed, ksqlite_stop() before a run, from another thread and
# from a signal handler, what callbacks may call. Under the sanitizer build
# the same program checks for leaks and uses after free.
. "$(dirname "$0")/lib.sh"
unset KSQLITE_BROKERS
start_broker --topic api:3
rc=0
"$BIN/tests/test_api" "$BROKERS" api "$WORK" >"$WORK/out" 2>"$WORK/err" || rc=$?
note_exit "$rc" test_api
cat "$WORK/out"
[ "$rc" -eq 0 ] || cat "$WORK/err" >&2
check "test_api exits 0" 0 "$rc"
check_match "and passed all its checks" "^# [0-9]+ checks passed" "$(tail -1 "$WORK/out")"
finish
