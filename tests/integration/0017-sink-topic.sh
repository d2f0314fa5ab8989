# 0017: topic sinks: every row a view emits reaches the topic (JSON and
# CSV, keyed), read back with kcat; a run killed after the brokers
# acknowledged rows sends them again, and the ksqlite-sink / ksqlite-seq
# headers let a consumer drop exactly the repeats; DROP SINK.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:4 --topic windy_json:3 --topic windy_csv:1
if ! out=$("$PY" "$SRC/tests/integration/sink_topic.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "topic sink checks failed"
fi
echo "$out"
check_match "every check of sink_topic.py passed" "^# [0-9]+ checks passed" "$(echo "$out" | tail -1)"
finish
