# 0009: `ksqlite --demo` streams live sample data: the same query shows more
# events from one run to the next.
. "$(dirname "$0")/lib.sh"
mkfifo "$WORK/in"
"$BIN/ksqlite" --demo <"$WORK/in" >"$WORK/out" 2>"$WORK/err" &
PIDS+=($!)
SHELL_PID=$!
exec 3>"$WORK/in"
Q="SELECT 'n=' || sum(n) FROM (SELECT city, count(*) AS n FROM weather GROUP BY city);"
echo "$Q" >&3
for i in $(seq $((200 * KSQ_SLOW))); do grep -q '^n=' "$WORK/out" && break; sleep 0.05; done
first=$(grep '^n=' "$WORK/out" | sed -n 1p | cut -c3-)
sleep 2
echo "$Q" >&3
for i in $(seq $((200 * KSQ_SLOW))); do [ "$(grep -c '^n=' "$WORK/out")" -ge 2 ] && break; sleep 0.05; done
second=$(grep '^n=' "$WORK/out" | sed -n 2p | cut -c3-)
check "the demo starts with history" yes "$([ "${first:-0}" -ge 600 ] && echo yes || echo "no: $first")"
check "and keeps receiving live events" yes "$([ "${second:-0}" -gt "${first:-0}" ] && echo yes || echo "no: $first then $second")"
echo "SELECT 'cities=' || count(DISTINCT city) FROM weather;" >&3
for i in $(seq $((100 * KSQ_SLOW))); do grep -q '^cities=' "$WORK/out" && break; sleep 0.05; done
check "events come from 24 cities" "cities=24" "$(grep '^cities=' "$WORK/out" | tail -1)"
echo "SELECT 'baseline=' || count(*) FROM city_baseline;" >&3
for i in $(seq $((100 * KSQ_SLOW))); do grep -q '^baseline=' "$WORK/out" && break; sleep 0.1; done
check "the demo views run on the live data" "baseline=24" "$(grep '^baseline=' "$WORK/out" | tail -1)"
exec 3>&-
wait_exit "$SHELL_PID"
finish
