# 0019: offsets a view stored that retention deleted from the topic: the run
# stops with the exact missing range (exit 1), results untouched; after
# ALTER STREAM ... SET (on_gap = 'skip') it goes on, recording the gap.
. "$(dirname "$0")/lib.sh"
start_broker --topic gap:1
if ! out=$("$PY" "$SRC/tests/integration/retention_gap.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "retention gap checks failed"
fi
echo "$out"
check_match "every check of retention_gap.py passed" "^# [0-9]+ checks passed" "$(echo "$out" | tail -1)"
finish
