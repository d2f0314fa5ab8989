# 0001: 200,000 JSON events produced by kcat are all counted, none twice.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:16
gen --stdout --keys --count 200000 --seed 11 --start 2026-11-21T00:00:00Z | produce_lines weather

N_KCAT=$(kcat -C -b "$BROKERS" -t weather -e -q -f '%o\n' | wc -l)
check "kcat reads back every produced event" 200000 "$N_KCAT"

W="CREATE VIRTUAL TABLE w USING kafka(topic='weather', brokers='$BROKERS', timestamp='ts',
   columns='city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, humidity INTEGER');"
check "count(*) counts every event" 200000 "$(ksq :memory: "$W" "SELECT count(*) FROM w;")"
check "no event is read twice" 200000 \
    "$(ksq :memory: "$W" "SELECT count(DISTINCT _partition * 1000000 + _offset) FROM w;")"
check "every event decodes" "200000|0|0" \
    "$(ksq :memory: "$W" "SELECT count(city), count(_error), count(*) - count(temperature) FROM w;")"
# The generator gives every city the same number of events.
check "events per city are even" "113|1769|1770" \
    "$(ksq :memory: "$W" "SELECT count(*), min(n), max(n) FROM (SELECT city, count(*) AS n FROM w GROUP BY city);")"
check "event times span the generated range" "2026-11-21 00:00:00.000|2026-11-21 00:33:19.990" \
    "$(ksq :memory: "$W" "SELECT min(ts), max(ts) FROM w;")"
finish
