# 0014: push queries (SELECT ... EMIT CHANGES over a stream and over a view),
# emit callbacks, the service loop and status, through the C API
# (tests/api/test_push.c); kcat produces the events.
. "$(dirname "$0")/lib.sh"
start_broker --topic pe:3
rc=0
"$BIN/tests/test_push" "$BROKERS" pe >"$WORK/out" 2>&1 || rc=$?
note_exit "$rc" test_push
cat "$WORK/out"
check "test_push exits 0" 0 "$rc"
check "and passed all its checks" "# 31 checks passed" "$(tail -1 "$WORK/out")"
finish
