# 0015: file sinks: every row a view emits in exactly one published file;
# hostile values (commas, quotes, newlines, NUL, '../', '/', very long,
# non-ASCII) round-trip through CSV, JSONL and Hive paths and stay under the
# root; read back with Python's csv and json modules and sqlite3's .import;
# SHOW SINKS, COMPACT SINK, EXPORT.
. "$(dirname "$0")/lib.sh"
start_broker --topic hostile:2
if ! out=$("$PY" "$SRC/tests/integration/sink_files.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "file sink checks failed"
fi
echo "$out"
check_match "every check of sink_files.py passed" "^# [0-9]+ checks passed" "$(echo "$out" | tail -1)"
finish
