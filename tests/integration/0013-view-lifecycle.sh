# 0013: the life of streams and views: inference, errors that point at the
# problem and leave the database as it was, SHOW / DESCRIBE / EXPLAIN / DROP,
# resuming where a run stopped, and other SQLite clients reading results
# while a view runs.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:4
gen --stdout --keys --count 6000 --seed 5 --cities 6 --start 2026-11-21T10:00:00Z --eps 50 | produce_lines weather
DB="$WORK/p.db"
ksq "$DB" "CREATE STREAM weather WITH (topic = 'weather', brokers = '$BROKERS', timestamp = 'ts', watermark = '5 seconds');"
check "CREATE STREAM infers and stores the columns" "city|TEXT||
country|TEXT||
region|TEXT||
continent|TEXT||
ts|TIMESTAMP||event time
temperature|REAL||
windspeed|REAL||
humidity|INTEGER||
weathercode|INTEGER||" "$(ksq "$DB" "DESCRIBE weather;")"
check "SHOW STREAMS" "weather|weather|json|ts|5.0|0|0" "$(ksq "$DB" "SHOW STREAMS;" | cut -d'|' -f1-7)"

schema_count() { ksq "$DB" "SELECT count(*) FROM sqlite_schema;"; }
before=$(schema_count)
err() { # err SQL: run, expect failure, print stderr
    if ksq "$DB" "$1" >/dev/null 2>"$WORK/err"; then fail "expected an error from: $1"; fi
    cat "$WORK/err"
}
check_match "an unknown column names the stream's columns" \
    "no such column: temperatur \(stream weather has city, country, region, continent, ts, temperature" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city, temperatur FROM weather;")"
prefix="CREATE MATERIALIZED VIEW bad AS SELECT city, "
check "and points at it" "  ${prefix}temperatur FROM weather;
  $(printf '%*s' ${#prefix} '')^" "$(sed -n '2,3p' "$WORK/err")"
check_match "a bare column in an aggregate view" "column temperature must appear in GROUP BY or inside an aggregate" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city, temperature, count(*) FROM weather GROUP BY city;")"
ksq "$DB" "CREATE TABLE regions(city TEXT, region TEXT);"
before=$(schema_count)
check_match "a view reads a stream" "a continuous view reads a stream" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city FROM regions;")"
check_match "EMIT FINAL needs a window" "EMIT FINAL needs a window" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city, count(*) FROM weather GROUP BY city EMIT FINAL;")"
check_match "windows are on the event time" "windows are on the stream's event time: use ts" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT count(*) FROM weather GROUP BY TUMBLE(humidity, '1 minute');")"
check_match "HOP size must be a multiple of its slide" "HOP size must be a multiple of its slide" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT count(*) FROM weather GROUP BY HOP(ts, '1 minute', '25 seconds');")"
check_match "durations are checked" "expected a duration" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT count(*) FROM weather GROUP BY TUMBLE(ts, 'soon');")"
check_match "window_start needs a window" "window_start and window_end need TUMBLE, HOP or SESSION" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city, window_start, count(*) FROM weather GROUP BY city;")"
check_match "ORDER BY is refused with a reason" "ORDER BY and LIMIT are not supported in continuous views" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city FROM weather ORDER BY city;")"
check_match "clauses in SQL's order" "HAVING must come after FROM, WHERE and GROUP BY" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT city HAVING count(*) > 1 FROM weather GROUP BY city;")"
check_match "aggregates do not nest" "aggregate functions cannot be nested" \
    "$(err "CREATE MATERIALIZED VIEW bad AS SELECT max(count(*)) FROM weather;")"
check "failed statements leave the database as it was" "$before" "$(schema_count)"
check "and the catalog too" 0 "$(ksq "$DB" "SELECT count(*) FROM ksq_views;")"

V="CREATE MATERIALIZED VIEW city_minute AS SELECT city, window_start, count(*) AS n, round(avg(temperature), 3) AS t
   FROM weather GROUP BY city, TUMBLE(ts, '1 minute');"
ksq "$DB" "$V"
check_match "creating it twice is an error" "view city_minute already exists" "$(err "$V")"
ksq "$DB" "CREATE MATERIALIZED VIEW IF NOT EXISTS city_minute AS SELECT 1 FROM weather;"
check "IF NOT EXISTS is quiet" 1 "$(ksq "$DB" "SELECT count(*) FROM ksq_views;")"

# Half the data now, the rest later: the second run resumes.
ksq --exit-at-end "$DB"
first=$(ksq "$DB" "SELECT events FROM ksq_view_state;")
check "the first run read all 6000 events" 6000 "$first"
open_before=$(ksq "$DB" "SELECT count(*) FROM city_minute;")
gen --stdout --keys --count 3000 --seed 6 --cities 6 --start 2026-11-21T10:02:00Z --eps 50 | produce_lines weather
ksq --exit-at-end --drain "$DB"
check "the second run read only the new events" 9000 "$(ksq "$DB" "SELECT events FROM ksq_view_state;")"
check "windows left open by the first run were completed by the second" "9000|0" \
    "$(ksq "$DB" "SELECT sum(n), count(*) - count(DISTINCT city || window_start) FROM city_minute;")"
check "the first run had emitted only closed windows" yes "$([ "$open_before" -lt "$(ksq "$DB" "SELECT count(*) FROM city_minute;")" ] && echo yes)"

# The same as one uninterrupted run over everything.
ksq "$WORK/one.db" "CREATE STREAM weather WITH (topic = 'weather', brokers = '$BROKERS', timestamp = 'ts', watermark = '5 seconds');" "$V"
ksq --exit-at-end --drain "$WORK/one.db"
check "resumed runs equal one run" "$(ksq "$WORK/one.db" "SELECT * FROM city_minute ORDER BY 1, 2;")" \
    "$(ksq "$DB" "SELECT * FROM city_minute ORDER BY 1, 2;")"

check "SHOW VIEWS" "city_minute|weather|TUMBLE(1 minute)|FINAL|running|9000" "$(ksq "$DB" "SHOW VIEWS;" | cut -d'|' -f1-6)"
check "DESCRIBE a view: types follow the stream and the aggregates" "city|TEXT|
window_start|TIMESTAMP|
n|INTEGER|
t||" "$(ksq "$DB" "DESCRIBE city_minute;")"
check_match "EXPLAIN shows the plan" "^panes\|state kept per group and pane of 60000 ms" "$(ksq "$DB" "EXPLAIN city_minute;" | grep '^panes')"
check_match "a stream read by a view cannot be dropped" "stream weather is read by city_minute; drop those views first" \
    "$(err "DROP STREAM weather;")"
ksq "$DB" "DROP MATERIALIZED VIEW city_minute;" "DROP STREAM weather;"
check "DROP leaves nothing behind" "0|0|regions" \
    "$(ksq "$DB" "SELECT (SELECT count(*) FROM ksq_views), (SELECT count(*) FROM ksq_progress), group_concat(name) FROM sqlite_schema WHERE name NOT LIKE 'ksq_%' AND type = 'table';")"
check_match "dropping what is not there" "no such materialized view: nothing" "$(err "DROP MATERIALIZED VIEW nothing;")"
ksq "$DB" "DROP MATERIALIZED VIEW IF EXISTS nothing;"

# Results are readable by any SQLite client while the view runs (WAL).
ksq "$DB" "CREATE STREAM weather (city TEXT, ts TIMESTAMP) WITH (topic = 'weather', brokers = '$BROKERS', timestamp = 'ts');" \
    "CREATE MATERIALIZED VIEW counts AS SELECT city, count(*) AS n FROM weather GROUP BY city;"
cat >"$WORK/service.sql" <<SQL
CREATE MATERIALIZED VIEW IF NOT EXISTS counts AS SELECT city, count(*) AS n FROM weather GROUP BY city;
SQL
"$BIN/ksqlite" "$DB" -f "$WORK/service.sql" &
PIDS+=($!)
SERVICE=$!
for i in $(seq $((100 * KSQ_SLOW))); do
    n=$(sqlite3 "$DB" "SELECT coalesce(sum(n), 0) FROM counts;" 2>/dev/null || echo 0)
    [ "$n" = 9000 ] && break
    sleep 0.1
done
check "the stock sqlite3 shell reads the running view" 9000 "$n"
check "while the service still runs" yes "$(kill -0 "$SERVICE" 2>/dev/null && echo yes)"
kill -TERM "$SERVICE"
wait_exit "$SERVICE"
finish
