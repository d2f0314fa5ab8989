# 0002: _partition/_offset constraints return exactly what kcat reads from
# that range, and bounds outside the log give empty results.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:4
gen --stdout --keys --count 8000 --seed 3 | produce_lines weather
W="CREATE VIRTUAL TABLE w USING kafka(topic='weather', brokers='$BROKERS', columns='city TEXT');"

for range in "2 100 199" "0 0 0" "3 1500 1999" "1 1990 2050"; do
    set -- $range
    ours=$(ksq :memory: "$W" "SELECT _offset, _key, _value FROM w WHERE _partition = $1 AND _offset BETWEEN $2 AND $3;")
    count=$(($3 - $2 + 1))
    theirs=$(kcat -C -b "$BROKERS" -t weather -p "$1" -o "$2" -c "$count" -e -q -f '%o|%k|%s\n')
    check "partition $1 offsets $2..$3 match kcat" "$theirs" "$ours"
done
ours=$(ksq :memory: "$W" "SELECT _offset, _value FROM w WHERE _partition = 0 AND _offset > 1000;")
check "open-ended range matches kcat to the end" "$(kcat -C -b "$BROKERS" -t weather -p 0 -o 1001 -e -q -f '%o|%s\n')" "$ours"
check "strict bounds" "11|19|9" \
    "$(ksq :memory: "$W" "SELECT min(_offset), max(_offset), count(*) FROM w WHERE _partition = 1 AND _offset > 10 AND _offset < 20;")"
check "a missing partition is empty" 0 "$(ksq :memory: "$W" "SELECT count(*) FROM w WHERE _partition = 99;")"
check "offsets past the end are empty" 0 "$(ksq :memory: "$W" "SELECT count(*) FROM w WHERE _offset >= 5000;")"
check "an empty range is empty" 0 "$(ksq :memory: "$W" "SELECT count(*) FROM w WHERE _offset > 5 AND _offset < 6;")"
check "NULL bounds match nothing" 0 "$(ksq :memory: "$W" "SELECT count(*) FROM w WHERE _offset > NULL;")"
check "offset equality over all partitions" "4" "$(ksq :memory: "$W" "SELECT count(*) FROM w WHERE _offset = 7;")"
check "the pushdown shows in the plan" "SCAN w VIRTUAL TABLE INDEX 0:1:p=ogol" \
    "$(ksq :memory: "$W" "EXPLAIN QUERY PLAN SELECT city FROM w WHERE _partition = 2 AND _offset BETWEEN 1 AND 2;" | cut -d'|' -f4)"
finish
