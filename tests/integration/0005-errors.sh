# 0005: empty and missing topics, unreachable brokers and bad definitions
# give the right result or a clear error within a few seconds.
. "$(dirname "$0")/lib.sh"
start_broker --topic empty:3

check "an empty topic counts 0" 0 \
    "$(ksq :memory: "CREATE VIRTUAL TABLE e USING kafka(topic='empty', brokers='$BROKERS', columns='a TEXT');" "SELECT count(*) FROM e;")"

err() { # run ksqlite, expect exit 1, print stderr
    if ksq "$@" >"$WORK/out" 2>"$WORK/err"; then fail "expected an error from: $*"; fi
    cat "$WORK/err"
}
check_match "a missing topic is named" "topic 'nope' does not exist on the Kafka brokers at $BROKERS" \
    "$(err :memory: "CREATE VIRTUAL TABLE m USING kafka(topic='nope', brokers='$BROKERS', columns='a TEXT');" "SELECT count(*) FROM m;")"
check "a missing topic is not created by asking" "" "$(kcat -L -b "$BROKERS" 2>/dev/null | grep -o '"nope" with' || true)"

start=$(date +%s)
check_match "an unreachable broker fails with the address" "cannot reach Kafka brokers at 127.0.0.1:9 within 5 s" \
    "$(err :memory: "CREATE VIRTUAL TABLE u USING kafka(topic='x', brokers='127.0.0.1:9', columns='a TEXT');" "SELECT count(*) FROM u;")"
elapsed=$(($(date +%s) - start))
# (Under valgrind the program takes seconds more to start and to exit.)
check "it fails within a few seconds" yes "$([ "$elapsed" -le $((KSQ_SLOW > 1 ? 20 : 8)) ] && echo yes || echo "no: ${elapsed}s")"

check_match "inference needs a reachable broker too" "cannot reach Kafka brokers" \
    "$(err :memory: "CREATE VIRTUAL TABLE u USING kafka(topic='x', brokers='127.0.0.1:9');")"
check_match "inference on an empty topic asks for columns" "topic 'empty': it is empty; give columns" \
    "$(err :memory: "CREATE VIRTUAL TABLE u USING kafka(topic='empty', brokers='$BROKERS');")"
check_match "a bad column type" "unknown type FOO for column a" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='x', columns='a FOO');")"
check_match "an unknown option" "unknown option bogus" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='x', bogus=1, columns='a TEXT');")"
check_match "a missing topic option" "missing option topic" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(columns='a TEXT');")"
check_match "a bad librdkafka property" "option 'fetch.min.bytez': No such configuration property" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='empty', brokers='$BROKERS', 'fetch.min.bytez'=1, columns='a TEXT');" "SELECT * FROM b;")"
check_match "a timestamp column that does not exist" "timestamp column when is not among the columns" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='x', timestamp='when', columns='a TEXT');")"
check_match "no brokers at all" "no Kafka brokers: give brokers" \
    "$(unset KSQLITE_BROKERS; ksq :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='x', columns='a TEXT');" "SELECT * FROM b;" 2>&1 || true)"
check_match "an unset secret variable is named, not guessed" "environment variable KSQ_NOT_SET is not set" \
    "$(err :memory: "CREATE VIRTUAL TABLE b USING kafka(topic='x', brokers='$BROKERS', 'sasl.password'='\${KSQ_NOT_SET}', columns='a TEXT');" "SELECT * FROM b;")"
check "the default brokers come from KSQLITE_BROKERS" 0 \
    "$(KSQLITE_BROKERS=$BROKERS ksq :memory: "CREATE VIRTUAL TABLE e USING kafka(topic='empty', columns='a TEXT');" "SELECT count(*) FROM e;")"
check "and from --brokers" 0 \
    "$(ksq --brokers "$BROKERS" :memory: "CREATE VIRTUAL TABLE e USING kafka(topic='empty', columns='a TEXT');" "SELECT count(*) FROM e;")"
finish
