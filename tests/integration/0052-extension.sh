# 0052: the SQLite loadable extension: the stock sqlite3 shell (.load) counts a
# topic and runs a windowed view through the SQL functions, then exits without
# a close error; a host with SQLite built in (tests/ext/test_ext_host.c) shows
# the extension calls the host's SQLite, never the shared one it is linked
# with; Python's sqlite3 module (tests/integration/extension.py).
. "$(dirname "$0")/lib.sh"
unset KSQLITE_BROKERS
LIB="$BIN/libksqlite"
# Programs not built with the sanitizers need their runtimes preloaded to load
# the sanitizer build's library (their own leaks are not ours to report).
FOREIGN=()
if grep -q '^KSQ_SANITIZE:BOOL=ON' "$BIN/CMakeCache.txt"; then
    CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BIN/CMakeCache.txt")
    FOREIGN=(env "LD_PRELOAD=$("$CC" -print-file-name=libasan.so) $("$CC" -print-file-name=libubsan.so)"
        "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0")
fi

start_broker --topic ext:3
N=600
gen --brokers "$BROKERS" --topic ext --count $N --start '2026-11-21 12:00:00' --eps 10 --cities 3 \
    2>"$WORK/gen.err" || fail "ksqlite-gen: $(cat "$WORK/gen.err")"

# The stock sqlite3 shell.
cat >"$WORK/shell.sql" <<SQL
.load $LIB
SELECT ksqlite_brokers('$BROKERS');
CREATE VIRTUAL TABLE t USING kafka(topic = 'ext');
SELECT count(*) FROM t;
SELECT ksqlite_exec('CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL)
  WITH (topic = ''ext'', timestamp = ''ts'', watermark = ''1 second'');
CREATE MATERIALIZED VIEW m AS SELECT city, count(*) AS n, window_start
  FROM weather GROUP BY city, TUMBLE(ts, ''10 seconds'')');
SELECT ksqlite_run_to_end(1);
SELECT count(*), sum(n) FROM m;
SQL
rc=0
"${FOREIGN[@]}" sqlite3 -bail "$WORK/shell.db" <"$WORK/shell.sql" >"$WORK/shell.out" 2>"$WORK/shell.err" || rc=$?
cat "$WORK/shell.err" >&2
check "sqlite3 .load runs the script" 0 "$rc"
check "the kafka table counts the topic's messages" "$N" "$(sed -n 2p "$WORK/shell.out")"
check "ksqlite_run_to_end(1) processed them all" "$N" "$(sed -n 4p "$WORK/shell.out")"
check "the view holds 18 windows (6 per city) of all of them" "18|$N" "$(sed -n 5p "$WORK/shell.out")"
check "the shell closed the connection cleanly (no unfinalized statements)" "" \
    "$(grep -i 'close' "$WORK/shell.err" || true)"
check "the views' table is there for any SQLite client" "18" \
    "$(sqlite3 "$WORK/shell.db" 'SELECT count(*) FROM m')"
printf '.load %s\nSELECT ksqlite_exec(%s);\n' "$LIB" "'SELEC 1'" >"$WORK/bad.sql"
rc=0
"${FOREIGN[@]}" sqlite3 :memory: <"$WORK/bad.sql" >/dev/null 2>"$WORK/bad.err" || rc=$?
check_match "an error in ksqlite_exec() is the shell's error, with SQLite's message" \
    'syntax error' "$(cat "$WORK/bad.err")"
check "and its exit status" 1 "$rc"

# A host with SQLite built in.
[ -x "$BIN/tests/test_ext_host" ] || fail "test_ext_host was not built (libsqlite3.a missing?)"
rc=0
"$BIN/tests/test_ext_host" "$BIN/libksqlite.so" "$BROKERS" ext $N >"$WORK/host.out" 2>&1 || rc=$?
note_exit "$rc" test_ext_host
cat "$WORK/host.out"
check "test_ext_host exits 0" 0 "$rc"
check_match "and passed all its checks" "^# [0-9]+ checks passed" "$(tail -1 "$WORK/host.out")"

# Python's sqlite3 module.
rc=0
"${FOREIGN[@]}" "$PY" "$SRC/tests/integration/extension.py" "$LIB" "$BROKERS" ext $N "$WORK" \
    >"$WORK/py.out" 2>&1 || rc=$?
cat "$WORK/py.out"
check "extension.py exits 0" 0 "$rc"
check_match "and passed all its checks" "^# [0-9]+ checks passed" "$(tail -1 "$WORK/py.out")"
finish
