# 0061: a full disk and a read-only sink directory under a running service
# (disk_faults.py): the database's writes fail with EFBIG past a file size
# limit (RLIMIT_FSIZE) and the service logs it, commits nothing, stays
# consistent and goes on once there is room; the sink's directory made
# read-only (chattr +i, or a file in its place) keeps its rows buffered
# while the views go on; a sink file that passes the limit fails its run
# cleanly; the views end equal to an uninterrupted run and the sink's files
# hold each row once.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:4
# The immutable flag must not outlive the test (rm -rf cannot remove it).
trap 'rc=$?; set +e; chattr -R -i "$WORK" 2>/dev/null; (exit $rc); cleanup' EXIT
if ! out=$(timeout 280 "$PY" "$SRC/tests/integration/disk_faults.py" "$BIN" "$BROKERS" "$WORK" 2>&1); then
    echo "$out"
    fail "a disk fault lost, repeated or exposed rows, or the service failed"
fi
echo "$out" | grep -E '^(ok|events)'
check "the full disk reported, nothing committed meanwhile" 2 "$(echo "$out" | grep -cE '^ok - (the service reports|nothing is committed)')"
check "the read-only directory: retrying, views going on, a stop exits 1" 3 "$(echo "$out" | grep -cE '^ok - (read-only sink|the views go on|a stop that)')"
check "the sink's full disk fails the run cleanly" 2 "$(echo "$out" | grep -cE '^ok - (the sink.s write past|no file hidden)')"
check "every view identical to the uninterrupted run" 3 "$(echo "$out" | grep -c '^ok - d_')"
check "the sink's files hold each row once" 1 "$(echo "$out" | grep -c "^ok - the sink's files")"
check_match "every event counted exactly once" '^events counted once: ([0-9]+) of \1$' "$(echo "$out" | grep '^events counted')"
finish
