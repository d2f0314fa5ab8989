# 0008: `ksqlite --mock` hosts an embedded Kafka, prints its address, and
# another client (kcat) can produce to it while the shell reads it.
. "$(dirname "$0")/lib.sh"
mkfifo "$WORK/in"
"$BIN/ksqlite" --mock=3 :memory: <"$WORK/in" >"$WORK/out" 2>"$WORK/err" &
PIDS+=($!)
SHELL_PID=$!
exec 3>"$WORK/in"
for i in $(seq $((100 * KSQ_SLOW))); do grep -q "embedded Kafka" "$WORK/err" && break; sleep 0.05; done
check_match "it prints the bootstrap address" "embedded Kafka \(mock, 3 brokers\) at 127\.0\.0\.1:[0-9]+" "$(cat "$WORK/err")"
BROKERS=$(grep -o '127\.0\.0\.1:[0-9]*.*' "$WORK/err" | head -1)
check "kcat sees three brokers" 3 "$(kcat -L -b "$BROKERS" 2>/dev/null | grep -c 'broker [0-9]* at')"

gen --stdout --keys --count 500 --seed 9 | produce_lines weather
echo "CREATE VIRTUAL TABLE w USING kafka(topic='weather', timestamp='ts');" >&3
echo "SELECT count(*), count(DISTINCT city) FROM w;" >&3
for i in $(seq $((200 * KSQ_SLOW))); do [ -s "$WORK/out" ] && break; sleep 0.05; done
check "the shell reads what kcat produced, with the mock as default brokers" "500|113" "$(cat "$WORK/out")"
exec 3>&-
wait_exit "$SHELL_PID"
finish
