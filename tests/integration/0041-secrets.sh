# 0041: secrets given as ${NAME} come from the environment and never reach
# the database (file and WAL, checked while the view runs and after),
# the logs (librdkafka debug included), error messages, SHOW / DESCRIBE
# output or dead letters; a canary value stands in for the secret.
. "$(dirname "$0")/lib.sh"
start_broker --topic sec:2 --topic other:1
CANARY="canary-$$-$RANDOM-5ec2e7"
export KSQ_SECRET_PW="$CANARY" KSQ_SECRET_USER="user-$CANARY" KSQ_SECRET_BROKERS="$BROKERS"
DB="$WORK/sec.db"

# every file of the database, and every log, as one text to search
no_canary() { # no_canary DESCRIPTION FILE...: the canary is in none of the files
    local hits
    hits=$(cat "${@:2}" 2>/dev/null | grep -a -c -- "$CANARY" || true)
    check "$1" 0 "$hits"
}

{
    for i in $(seq 0 39); do printf 'k%d\t{"id":%d,"ts":%d}\n' "$i" "$i" "$((1795262400000 + i * 1000))"; done
    printf 'k\tnot json: %s\n' "dead letter"
} | produce_lines sec
cat >"$WORK/view.sql" <<'SQL'
CREATE STREAM s (id INTEGER, ts TIMESTAMP) WITH (topic = 'sec', brokers = '${KSQ_SECRET_BROKERS}',
  timestamp = 'ts', 'sasl.username' = '${KSQ_SECRET_USER}', 'sasl.password' = '${KSQ_SECRET_PW}',
  'debug' = 'conf,security,broker');
CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n, sum(id) AS ids FROM s;
SQL

# A running view: the secret is used (the brokers come from the
# environment too, so nothing works unless ${NAME} is expanded) ...
"$BIN/ksqlite" --log-level debug "$DB" -f "$WORK/view.sql" >"$WORK/run.out" 2>"$WORK/run.err" &
RUN=$!
PIDS+=("$RUN")
n=""
for _ in $(seq 150); do
    n=$(sqlite3 "$DB" "SELECT n || ' ' || ids FROM v" 2>/dev/null || true)
    [ "$n" = "40 780" ] && break
    sleep 0.2
done
check "the view counts every event (so \${NAME} was expanded)" "40 780" "$n"
check "the WAL holds the view's commits while it runs" yes "$([ -s "$DB-wal" ] && echo yes || echo no)"
check "the stored options keep the reference" 1 "$(grep -a -c -- '${KSQ_SECRET_PW}' "$DB" "$DB-wal" | awk -F: '{s += $2} END {print (s > 0)}')"
no_canary "no secret in the database or its WAL while the view runs" "$DB" "$DB-wal"
kill -TERM "$RUN"
wait_exit "$RUN"
rc=0
wait "$RUN" || rc=$?
note_exit "$rc" ksqlite view
check "SIGTERM stops the view cleanly" 0 "$rc"
no_canary "no secret in the database files after the run" "$DB" "$DB-wal" "$DB-shm"
check_match "librdkafka's configuration dump is in the debug log" "sasl.password = \[redacted\]" "$(cat "$WORK/run.err")"
no_canary "no secret in the debug log or the output" "$WORK/run.err" "$WORK/run.out"

# ... and not in what users can ask to see.
ksq -line "$DB" "SHOW STREAMS;" "DESCRIBE s;" "SHOW VIEWS;" "SELECT * FROM ksq_streams;" \
    "SELECT * FROM ksq_dead_letters;" ".schema" >"$WORK/show.out" 2>&1
check_match "SHOW output names the reference" 'KSQ_SECRET_PW' "$(grep -a -- '${KSQ_SECRET_PW}' "$WORK/show.out")"
check "the bad record is a dead letter" "1|not JSON" \
    "$(sqlite3 "$DB" "SELECT count(*), substr(error, 1, 8) FROM ksq_dead_letters")"
no_canary "no secret in SHOW, DESCRIBE, the catalog, dead letters or the schema" "$WORK/show.out"

# Errors: librdkafka quotes a bad value; a value from the environment is
# shown as written. A pull query and a view both report it.
export KSQ_SECRET_PROTO="$CANARY"
BAD="CREATE STREAM b (id INTEGER, ts TIMESTAMP) WITH (topic = 'other', brokers = '$BROKERS', timestamp = 'ts', 'security.protocol' = '\${KSQ_SECRET_PROTO}');"
out=$(ksq :memory: "$BAD" "SELECT count(*) FROM b;" 2>&1 || true)
check_match "a pull query's error shows the value as written" \
    "option 'security.protocol': Invalid value \"\\$\\{KSQ_SECRET_PROTO\\}\"" "$out"
check "and never the secret" 0 "$(echo "$out" | grep -c -- "$CANARY" || true)"
printf '%s\nCREATE MATERIALIZED VIEW bv AS SELECT count(*) AS n FROM b;\n' "$BAD" >"$WORK/b.sql"
out=$(timeout 60 "$BIN/ksqlite" --log-level debug "$WORK/b.db" -f "$WORK/b.sql" 2>&1 || true)
check_match "so does a view's" "option 'security.protocol': Invalid value \"\\$\\{KSQ_SECRET_PROTO\\}\"" "$out"
check "and never the secret" 0 "$(echo "$out" | grep -c -- "$CANARY" || true)"
no_canary "nor does the database of the failed view" "$WORK"/b.db*
out=$(ksq :memory: "CREATE STREAM p (id INTEGER) WITH (topic = 'other', brokers = '$BROKERS', 'sasl.password' = 'hunter2-$CANARY');" 2>&1 || true)
check_match "a secret written literally is refused" "option 'sasl.password' holds a secret: take it from the environment with '\\$\\{NAME\\}'" "$out"
check "and the message does not repeat it" 0 "$(echo "$out" | grep '^Error:' | grep -c -- "$CANARY" || true)"
finish
