# 0060: continuous views through broker faults. A 3-broker cluster with a
# 6-partition topic, events produced throughout, a service running TUMBLE,
# HOP, SESSION, filter and running-total views while the broker injects
# Fetch and ListOffsets request errors (cluster-wide and on one broker,
# delayed), Metadata LEADER_NOT_AVAILABLE, a broker down and up, leader moves
# and high RTT, with restarts in the middle: every view ends equal to an
# uninterrupted run over the same topic, every event counted once, nothing
# hangs (broker_faults.py).
. "$(dirname "$0")/lib.sh"
if ! out=$(timeout 280 "$PY" "$SRC/tests/integration/broker_faults.py" "$BIN" "$WORK" 2>&1); then
    echo "$out"
    fail "views differ after broker faults, or the service failed or hung"
fi
echo "$out" | grep -E '^(fault|ok|events|faults)'
check "a bounded run read through ListOffsets errors" 1 "$(echo "$out" | grep -c '^ok - a bounded run')"
check "every view identical to the uninterrupted run" 5 "$(echo "$out" | grep -c '^ok - f_')"
check_match "every event counted exactly once" '^events counted once: ([0-9]+) of \1$' "$(echo "$out" | grep '^events counted')"
check_match "faults injected" '^faults injected: [0-9]{2}' "$(echo "$out" | grep '^faults injected')"
finish
