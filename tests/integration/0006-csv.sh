# 0006: CSV topics decode (RFC 4180 quoting, NULLs, types) and their
# columns can be inferred from a header record.
. "$(dirname "$0")/lib.sh"
start_broker --topic c:1
{
    printf 'k\tcity,country,ts,temperature,note\n'
    printf 'k\tOslo,NO,2026-11-21T13:00:00Z,-1.5,plain\n'
    printf 'k\t"Washington, D.C.",US,2026-11-21T13:00:01Z,8.25,"said ""hi"""\n'
    printf 'k\tLima,PE,1795266300,20,\n'
    printf 'k\tRome,IT,2026-11-21T13:00:03Z,warm,x\n'
} | produce_lines c
W="CREATE VIRTUAL TABLE c USING kafka(topic='c', brokers='$BROKERS', format='csv', timestamp='ts',
   columns='city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, note TEXT');"
check "CSV rows decode" 'Oslo|NO|2026-11-21 13:00:00.000|-1.5|plain
Washington, D.C.|US|2026-11-21 13:00:01.000|8.25|said "hi"
Lima|PE|2026-11-21 13:05:00.000|20.0|NULL' \
    "$(ksq -nullvalue NULL :memory: "$W" "SELECT city, country, ts, temperature, note FROM c WHERE _error IS NULL;")"
check_match "the header record and a bad value are flagged" '^0\|column ts: expected TIMESTAMP.*4\|column temperature: expected REAL, got "warm"$' \
    "$(ksq :memory: "$W" "SELECT _offset, _error FROM c WHERE _error IS NOT NULL;" | tr '\n' ' ' | sed 's/ $//')"
I="CREATE VIRTUAL TABLE ci USING kafka(topic='c', brokers='$BROKERS', format='csv', timestamp='ts');"
# "warm" in the sample makes temperature TEXT: inference widens, never drops.
check "columns are inferred from the header" "city|TEXT
country|TEXT
ts|TIMESTAMP
temperature|TEXT
note|TEXT" "$(ksq :memory: "$I" "SELECT name, type FROM pragma_table_info('ci');")"
check "inferred columns decode" "Washington, D.C.|8.25" \
    "$(ksq :memory: "$I" "SELECT city, temperature FROM ci WHERE _offset = 2;")"
P="CREATE VIRTUAL TABLE cp USING kafka(topic='c', brokers='$BROKERS', format='csv',
   columns='temp REAL PATH ''4'', city TEXT PATH ''1''');"
check "PATH picks fields by number" "8.25|Washington, D.C." "$(ksq :memory: "$P" "SELECT temp, city FROM cp WHERE _offset = 2;")"
finish
