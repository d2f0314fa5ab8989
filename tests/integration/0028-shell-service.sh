# 0028: script mode as a service: `ksqlite DB -f pipeline.sql` runs the
# script, then keeps the views running as events arrive; SIGTERM commits and
# exits 0 with the offsets in the database; logs are one line each with a
# time and a level; a restart resumes where it stopped, counting nothing twice.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:4
gen --stdout --keys --count 2000 --seed 6 --cities 10 --start 2026-11-21T10:00:00Z --eps 50 | produce_lines weather
DB="$WORK/p.db"
cat >"$WORK/pipeline.sql" <<SQL
-- the pipeline a service runs
CREATE STREAM IF NOT EXISTS weather WITH (topic = 'weather', brokers = '$BROKERS', timestamp = 'ts');
CREATE MATERIALIZED VIEW IF NOT EXISTS per_city AS
  SELECT city, count(*) AS n, max(windspeed) AS max_wind FROM weather GROUP BY city;
SQL
committed() { # events counted by the view, read through another connection
    "$PY" -c 'import sqlite3,sys
try:
    c = sqlite3.connect(sys.argv[1], timeout=5)
    print(c.execute("SELECT coalesce(sum(n), 0) FROM per_city").fetchone()[0])
except sqlite3.OperationalError:
    print(0)' "$DB"
}
wait_committed() { # wait_committed N: until the view has counted N events
    local deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ] && [ "$(committed)" -lt "$1" ]; do sleep 0.2; done
}

"$BIN/ksqlite" --log-level info "$DB" -f "$WORK/pipeline.sql" >"$WORK/out" 2>"$WORK/err" &
SVC=$!
PIDS+=($SVC)
wait_committed 2000
check "the service runs the views after the script" 2000 "$(committed)"
gen --stdout --keys --count 500 --seed 7 --cities 10 --start 2026-11-21T11:00:00Z --eps 50 | produce_lines weather
wait_committed 2500
check "and keeps them running as events arrive" 2500 "$(committed)"
check "it is still running" yes "$(kill -0 "$SVC" 2>/dev/null && echo yes)"

kill -TERM "$SVC"
set +e
wait "$SVC"
code=$?
set -e
note_exit "$code" "ksqlite service"
check "SIGTERM exits 0" 0 "$code"
check "with every offset committed in the database" 2500 \
    "$(ksq "$DB" "SELECT sum(next_offset) FROM ksq_progress WHERE view = 'per_city';")"
T='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ksqlite\[[0-9]+\]'
check_match "logs say it runs the views and stopped" "^$T INFO: running 1 view\(s\); SIGTERM or SIGINT stops them
$T INFO: stopped; every view committed$" "$(cat "$WORK/err")"
check "every log line is one line with a time and a level" 0 \
    "$(grep -cvE "^$T (ERROR|WARN|INFO|DEBUG): " "$WORK/err" || true)"
check "stdout stays empty" "" "$(cat "$WORK/out")"

# A restart resumes: only the new events are read.
gen --stdout --keys --count 100 --seed 8 --cities 10 --start 2026-11-21T12:00:00Z --eps 50 | produce_lines weather
ksq --exit-at-end "$DB" -f "$WORK/pipeline.sql" 2>"$WORK/err2"
check "a restart counts each event once" 2600 "$(committed)"

# SIGINT stops it the same way; by default (--log-level warn) it logs only problems.
"$BIN/ksqlite" "$DB" -f "$WORK/pipeline.sql" >"$WORK/out" 2>"$WORK/err" &
SVC=$!
PIDS+=($SVC)
gen --stdout --keys --count 100 --seed 9 --cities 10 --start 2026-11-21T13:00:00Z --eps 50 | produce_lines weather
wait_committed 2700
check "the service resumed and serves" 2700 "$(committed)"
kill -INT "$SVC"
set +e
wait "$SVC"
code=$?
set -e
note_exit "$code" "ksqlite service"
check "SIGINT exits 0 too" 0 "$code"
check "the default level leaves out the INFO lines" "" "$(cat "$WORK/err")"
finish
