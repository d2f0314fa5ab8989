# 0040: malformed input torture: 900 good events and 97 bad records of 25
# kinds over 3 partitions; a continuous view counts every good event exactly,
# every bad record is a dead letter at its offset with a useful error, a pull
# query flags the same records, nothing crashes (torture.py says how).
. "$(dirname "$0")/lib.sh"
start_broker --topic torture:3
if ! out=$("$PY" "$SRC/tests/integration/torture.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "the torture run found a difference"
fi
echo "$out"
check_match "all checks of torture.py passed" "^# 997 messages \(900 good, 97 bad of 25 kinds\); [0-9]+ checks passed$" \
    "$(echo "$out" | tail -1)"
finish
