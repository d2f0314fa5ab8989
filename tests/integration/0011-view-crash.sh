# 0011: exactly once across SIGKILL: a 200,000-event pipeline killed at 14
# random moments and restarted each time ends identical to an
# uninterrupted run; PRAGMA integrity_check is ok after every kill.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:8
if ! out=$("$PY" "$SRC/tests/integration/crash_run.py" "$BIN" "$BROKERS" "$WORK" 14 2>&1); then
    echo "$out"
    fail "views differ after SIGKILL and restart"
fi
echo "$out" | grep -E '^(kill|ok|events|kills)'
check "every view identical to the uninterrupted run" 5 "$(echo "$out" | grep -c '^ok - ')"
check "every event counted exactly once" "events counted once: 200000 of 200000" "$(echo "$out" | grep '^events counted')"
finish
