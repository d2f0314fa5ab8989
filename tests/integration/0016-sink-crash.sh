# 0016: a file sink across SIGKILL: a service whose sink rolls files every
# 100 rows or second is killed at 12 random moments and restarted; after
# every kill each visible file is complete, and at the end the published
# files hold every row of the view exactly once, with nothing hidden left.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:6
if ! out=$("$PY" "$SRC/tests/integration/sink_crash.py" "$BIN" "$BROKERS" "$WORK" 12 2>&1); then
    echo "$out"
    fail "the sink lost, repeated or exposed rows across kills"
fi
echo "$out" | grep -E '^(kill|ok|events|kills)'
check "every event counted once" "events counted once: 69000 of 69000" "$(echo "$out" | grep '^events counted')"
check "ok lines" 2 "$(echo "$out" | grep -c "^ok - ")"
finish
