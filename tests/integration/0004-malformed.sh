# 0004: malformed messages never stop a scan: their columns are NULL and
# _error says what is wrong; good messages decode in full.
. "$(dirname "$0")/lib.sh"
start_broker --topic m:1
"$PY" - "$BROKERS" <<'PY'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1])
msgs = [
    b'{"city":"Oslo","ts":"2026-11-21T13:00:00Z","temp":-1.5,"n":3}',   # 0 good
    b'not json at all',                                                  # 1
    b'{"city":"Rome","ts":"2026-11-21T13:00:01Z","temp":',               # 2 truncated
    b'{"city":"Rome","ts":"2026-11-21T13:00:02Z","temp":"warm","n":1}',  # 3 wrong type
    b'{"city":"Rome","temp":12.5}',                                      # 4 no event time
    b'{"city":"Rome","ts":"yesterday","temp":12.5}',                     # 5 bad event time
    b'',                                                                 # 6 empty
    b'{"city":"N\x00L","ts":0}',                                         # 7 raw NUL byte
    b'\xff\xfe{"city":1}',                                               # 8 invalid UTF-8
    b'[' * 5000,                                                         # 9 too deep
    b'[1,2,3]',                                                          # 10 not an object
    b'{"city":"Lima","ts":1795266300000,"temp":20,"n":"7"}',            # 11 good
    b'{"city":"Big","ts":0,"temp":1,"pad":"' + b'x' * 1000000 + b'"}',  # 12 good, 1 MB
]
for m in msgs:
    p.send("m", value=m, partition=0)
p.send("m", key=b"k", value=None, partition=0)                                    # 13 tombstone
p.flush()
PY
W="CREATE VIRTUAL TABLE m USING kafka(topic='m', brokers='$BROKERS', timestamp='ts',
   columns='city TEXT, ts TIMESTAMP, temp REAL, n INTEGER');"
check "every message is a row" 14 "$(ksq :memory: "$W" "SELECT count(*) FROM m;")"
check "good rows decode" "0|Oslo|2026-11-21 13:00:00.000|-1.5|3
11|Lima|2026-11-21 13:05:00.000|20.0|7
12|Big|1970-01-01 00:00:00.000|1.0|" \
    "$(ksq :memory: "$W" "SELECT _offset, city, ts, temp, n FROM m WHERE _error IS NULL;")"
errors=$(ksq :memory: "$W" "SELECT _offset || ': ' || _error FROM m WHERE _error IS NOT NULL;")
check_match "not JSON" '^1: not JSON' "$(echo "$errors" | sed -n 1p)"
check_match "truncated" '^2: not JSON' "$(echo "$errors" | sed -n 2p)"
check_match "wrong type" '^3: column temp: expected REAL, got "warm"' "$(echo "$errors" | sed -n 3p)"
check_match "missing event time" '^4: event time column ts is missing' "$(echo "$errors" | sed -n 4p)"
check_match "bad event time" '^5: column ts: expected TIMESTAMP, got "yesterday"' "$(echo "$errors" | sed -n 5p)"
check_match "empty payload" '^6: empty payload' "$(echo "$errors" | sed -n 6p)"
check_match "NUL byte" '^7: not JSON' "$(echo "$errors" | sed -n 7p)"
check_match "invalid UTF-8" '^8: not JSON' "$(echo "$errors" | sed -n 8p)"
check_match "nesting too deep" '^9: not JSON: maximum parsing depth' "$(echo "$errors" | sed -n 9p)"
check_match "not an object" '^10: not a JSON object but an array' "$(echo "$errors" | sed -n 10p)"
check_match "tombstone" '^13: empty payload' "$(echo "$errors" | sed -n 11p)"
check "bad rows have NULL columns where they are bad" "3|Rome||1" \
    "$(ksq :memory: "$W" "SELECT _offset, city, temp, n FROM m WHERE _offset = 3;")"
check "the raw payload stays available" "not json at all" "$(ksq :memory: "$W" "SELECT _value FROM m WHERE _offset = 1;")"
finish
