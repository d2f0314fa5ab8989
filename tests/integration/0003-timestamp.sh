# 0003: _timestamp constraints (Kafka message time) select exactly the
# messages in range, with out-of-order timestamps, numeric and text bounds.
. "$(dirname "$0")/lib.sh"
start_broker --topic t:3
"$PY" - "$BROKERS" >"$WORK/expected" <<'PY'
import random, sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1])
base = 1795262400000  # 2026-11-21 12:00:00 UTC
random.seed(5)
ts = [base + i * 1000 + random.randint(-30000, 30000) for i in range(3000)]
for i, t in enumerate(ts):
    p.send("t", value=b'{"i":%d}' % i, key=b"k%d" % (i % 7), timestamp_ms=t, partition=i % 3)
p.flush()
for lo, hi in [(base + 600000, None), (base + 600000, base + 1200000), (base - 10**6, None), (base + 10**9, None)]:
    print(sum(1 for t in ts if t >= lo and (hi is None or t < hi)))
PY
mapfile -t expect <"$WORK/expected"
W="CREATE VIRTUAL TABLE t USING kafka(topic='t', brokers='$BROKERS', columns='i INTEGER');"
B=1795262400000
check "_timestamp >= T" "${expect[0]}" "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE _timestamp >= $((B + 600000));")"
check "_timestamp in [T, U)" "${expect[1]}" \
    "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE _timestamp >= $((B + 600000)) AND _timestamp < $((B + 1200000));")"
check "a bound before every message" "${expect[2]}" "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE _timestamp >= $((B - 1000000));")"
check "a bound after every message" "${expect[3]}" "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE _timestamp >= $((B + 1000000000));")"
check "text bounds are read as UTC timestamps" "${expect[0]}" \
    "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE _timestamp >= '2026-11-21 12:10:00';")"
check "the same as filtering without pushdown" "${expect[1]}" \
    "$(ksq :memory: "$W" "SELECT count(*) FROM t WHERE +_timestamp >= $((B + 600000)) AND +_timestamp < $((B + 1200000));")"
check "keys and values come through" "k3|{\"i\":10}" "$(ksq :memory: "$W" "SELECT _key, _value FROM t WHERE i = 10;")"
finish
