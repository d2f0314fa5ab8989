# 0012: exact counts of late events, dead letters (strict and on_error =
# 'null'), a future-stamped event and idle partitions; SIGTERM exits 0 with
# everything committed.
. "$(dirname "$0")/lib.sh"
start_broker --topic late:1 --topic dead:1 --topic future:1 --topic idle:3
if ! out=$("$PY" "$SRC/tests/integration/view_counts.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "exact counts differ"
fi
echo "$out"
check "all 25 checks of view_counts.py passed" "# 25 checks passed" "$(echo "$out" | tail -1)"
finish
