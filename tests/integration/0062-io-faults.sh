# 0062: SQLITE_FULL and SQLITE_IOERR injected into the database's writes
# (tests/api/test_faultvfs.c, a VFS that fails the Nth write, opened through
# ksqlite_open() with a "file:...?vfs=faulty" URI) while five views and a
# file sink run over 36 rounds of events, and into CREATE / DROP statements:
# each failure is clean and clearly reported, offsets never run ahead of the
# committed results, the sink's rows are in files or buffered exactly once,
# and after the faults the views equal an uninterrupted run. Here: the
# sink's published files hold every row of its view once, none hidden.
. "$(dirname "$0")/lib.sh"
unset KSQLITE_BROKERS
start_broker --topic faultvfs:4
rc=0
"$BIN/tests/test_faultvfs" "$BROKERS" faultvfs "$WORK" >"$WORK/out" 2>"$WORK/err" || rc=$?
note_exit "$rc" test_faultvfs
grep -E '^(ok .*(fails|equals|once|end|both|trace|succeeds|still)|#)' "$WORK/out" || true
[ "$rc" -eq 0 ] || { tail -5 "$WORK/out"; cat "$WORK/err" >&2; }
check "test_faultvfs exits 0" 0 "$rc"
check_match "and passed all its checks" "^# [0-9]+ checks passed" "$(tail -1 "$WORK/out")"
files=$("$PY" - "$WORK" <<'PY'
import csv, glob, os, sqlite3, sys
work = sys.argv[1]
root = os.path.join(work, "files")
view = sorted((c, ts, str(v)) for c, ts, v in sqlite3.connect(os.path.join(work, "fault.db")).execute(
    "SELECT city, ts, v FROM v_filter"))
rows = []
for p in glob.glob(root + "/**/part-*.csv", recursive=True):
    city = os.path.basename(os.path.dirname(p)).split("=", 1)[1]
    with open(p, newline="") as f:
        rows += [(city, ts, v) for ts, v in list(csv.reader(f))[1:]]
hidden = [p for p in glob.glob(root + "/**/.*", recursive=True)]
print("%s %d %d" % ("same" if sorted(rows) == view else "different", len(rows), len(hidden)))
PY
)
check_match "the sink's published files hold the view's rows once, nothing hidden" '^same [0-9]+ 0$' "$files"
finish
