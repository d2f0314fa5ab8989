# 0030: the dot-commands about the database and the session: .tables,
# .schema (streams, views and sinks as they were defined), .streams, .views,
# .sinks, .stats, .timer, .bail, .once, .output, .read, .show, and their
# errors.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:2
gen --stdout --keys --count 100 --seed 3 --cities 5 --start 2026-11-21T10:00:00Z | produce_lines weather
DB="$WORK/db"
VIEW="CREATE MATERIALIZED VIEW per_city AS SELECT city, count(*) AS n FROM weather GROUP BY city;"
ksq --brokers "$BROKERS" --exit-at-end "$DB" \
    "CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL) WITH (topic = 'weather', timestamp = 'ts');" \
    "CREATE TABLE cities(city TEXT PRIMARY KEY, climate TEXT);" "$VIEW"
run() { ksq --brokers "$BROKERS" "$DB" "$@"; }

check ".tables lists streams, tables and views, not the engine's state" \
    "cities            ksq_late          weather
ksq_dead_letters  per_city" "$(run .tables)"
check ".tables PATTERN" "per_city" "$(run ".tables per%")"
check ".schema shows a view as it was defined" "$VIEW" "$(run ".schema per_city")"
schema=$(run .schema)
check ".schema: the stream first, as it was defined" \
    "CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL) WITH (topic = 'weather', timestamp = 'ts');" \
    "$(echo "$schema" | head -1)"
check ".schema: then tables, then views" "CREATE TABLE cities(city TEXT PRIMARY KEY, climate TEXT);
$VIEW" "$(echo "$schema" | tail -2)"
check_match ".schema ksq_... shows the engine's tables when asked" "CREATE TABLE ksq_progress" "$(run ".schema ksq_progress")"
check_match ".streams is SHOW STREAMS as a table" "\| weather \| weather \| json +\| ts +\|" "$(run .streams)"
check_match ".views is SHOW VIEWS as a table" "\| per_city \| weather \| group +\| CHANGES \|" "$(run .views)"
check ".views keeps an output mode the user chose" "name,stream,window,emit
per_city,weather,group,CHANGES" "$(run -csv .views | cut -d, -f1-4 | tr -d '\r')"
stats=$(run .stats)
check_match ".stats: views, rate, lag, watermark" "views running: +1
events read: .*
lag: .*
rate: +[0-9.]+ events/s
watermark: .*" "$stats"
check_match ".stats then the views' figures" "\| per_city \|" "$stats"
check ".sinks says when there are none" "no sinks; CREATE SINK name FROM view INTO FILES 'dir' adds one" "$(run .sinks)"
SINK="CREATE SINK city_files FROM per_city INTO FILES '$WORK/sink_out' FORMAT CSV;"
run --exit-at-end "$SINK"
check_match ".sinks lists the sinks (SHOW SINKS)" "\| city_files \| per_city \| files \| $WORK/sink_out +\| csv +\|" "$(run .sinks)"
check ".schema shows a sink as it was defined, last" "$SINK" "$(run .schema | tail -1)"

check_match ".timer on prints the run time" "^1
Run Time: real [0-9.]+ user [0-9.]+ sys [0-9.]+$" "$(run ".timer on" "SELECT 1;")"
run ".once $WORK/once.txt" "SELECT 'to the file';" "SELECT 'to stdout';" >"$WORK/out"
check ".once sends one statement's output to a file" "to the file" "$(cat "$WORK/once.txt")"
check "and the next goes to stdout" "to stdout" "$(cat "$WORK/out")"
run ".output $WORK/all.txt" "SELECT 1;" "SELECT 2;" ".output" "SELECT 3;" >"$WORK/out"
check ".output sends everything to a file until .output" "1
2" "$(cat "$WORK/all.txt")"
check "then stdout again" 3 "$(cat "$WORK/out")"
printf '.headers on\nSELECT city, n FROM per_city ORDER BY city LIMIT 1;\n' >"$WORK/r.sql"
check ".read runs a script" "city|n
Berlin|20" "$(run ".read $WORK/r.sql")"
check_match ".show lists the settings" "mode: list
 +headers: off" "$(run .show)"

# Errors: unknown commands, wrong arguments, .bail.
set +e
run ".nope" 2>"$WORK/err"
code=$?
set -e
check "an unknown command fails" 1 "$code"
check "and says so" "Error: unknown command: .nope (see .help)" "$(cat "$WORK/err")"
run ".mode nope" 2>"$WORK/err" || true
check_match "an unknown mode lists the modes" "unknown mode \"nope\"; modes: list csv json table box markdown line tabs" "$(cat "$WORK/err")"
run ".headers maybe" 2>"$WORK/err" || true
check "a bad argument shows the usage" "Usage: .headers on|off" "$(cat "$WORK/err")"
printf 'SELECT nope;\nSELECT 2;\n' >"$WORK/bail.sql"
check ".bail off goes on after an error (stdin script)" 2 \
    "$(printf '.bail off\n.read %s\n' "$WORK/bail.sql" | ksq "$DB" 2>/dev/null)"
finish
