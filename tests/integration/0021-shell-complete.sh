# 0021: Tab completion in a real terminal: keywords, a stream's columns
# (hidden ones too) after SELECT, table/view/stream names after FROM, sink
# names, columns through an alias, dot-commands, modes and file names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
start_broker --topic weather:2
gen --stdout --keys --count 50 --seed 3 --cities 5 --start 2026-11-21T10:00:00Z | produce_lines weather
mkdir -p "$WORK/scripts"
echo "SELECT 'from the script';" >"$WORK/scripts/pipeline_one.sql"

term_start "$BIN/ksqlite" --brokers "$BROKERS" "$WORK/db"
term_wait '^ksqlite>$'
term_line "CREATE STREAM weather WITH (topic = 'weather', timestamp = 'ts');"
term_line "CREATE TABLE cities(city TEXT PRIMARY KEY, climate TEXT);"
term_wait_count '^ksqlite>' 3

# The line being edited is the last prompt line on the screen.
edit_line() { term_screen | grep '^ksqlite>' | tail -1; }
# complete TEXT EXPECTED: type TEXT, press Tab, expect the line, then clear it.
complete() {
    term_type "$1"
    term_keys Tab
    local deadline=$((SECONDS + TERM_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ] && [ "$(edit_line)" != "ksqlite> $2" ]; do sleep 0.1; done
    check "$1<Tab> completes" "ksqlite> $2" "$(edit_line)"
    term_keys C-e C-u
    while [ "$SECONDS" -lt "$deadline" ] && [ "$(edit_line)" != "ksqlite>" ]; do sleep 0.1; done
}

complete "SEL" "SELECT"
complete "sel" "select"
complete "SELECT temp" "SELECT temperature"
complete "SELECT city, wind" "SELECT city, windspeed"
complete "SELECT _part" "SELECT _partition"
complete "SELECT * FROM wea" "SELECT * FROM weather"
complete "SELECT * FROM cit" "SELECT * FROM cities"
complete "SELECT * FROM weather w WHERE w.humi" "SELECT * FROM weather w WHERE w.humidity"
complete "SELECT * FROM weather WH" "SELECT * FROM weather WHERE"
complete "SELECT count(*) FROM cities WHERE clim" "SELECT count(*) FROM cities WHERE climate"
complete "SELECT coales" "SELECT coalesce("
complete ".mo" ".mode"
complete ".mode bo" ".mode box"
complete ".headers of" ".headers off"
complete ".read $WORK/scripts/pipeline_o" ".read $WORK/scripts/pipeline_one.sql"
complete ".export weat" ".export weather"
complete ".export --safe weather $WORK/scripts/pipe" ".export --safe weather $WORK/scripts/pipeline_one.sql"
complete ".import --skip 1 $WORK/scripts/pipeline_one.sql cit" ".import --skip 1 $WORK/scripts/pipeline_one.sql cities"

# Names created in the session complete at once; columns on a later line too.
term_line "CREATE MATERIALIZED VIEW city_counts AS SELECT city, count(*) AS readings FROM weather GROUP BY city;"
term_wait_count '^ksqlite>' 4
complete "SELECT * FROM city_c" "SELECT * FROM city_counts"
term_line "CREATE SINK counts_files FROM city_counts INTO FILES '$WORK/out' FORMAT CSV;"
term_wait_count '^ksqlite>' 5
complete "COMPACT SINK cou" "COMPACT SINK counts_files"
term_line "SELECT *"
term_wait '^   \.\.\.>$'
term_type "  FROM city_counts WHERE read"
term_keys Tab
term_wait '^   \.\.\.>   FROM city_counts WHERE readings$'
check "a column completes on a continuation line" "   ...>   FROM city_counts WHERE readings" \
    "$(term_screen | grep '^   \.\.\.>' | tail -1)"
term_keys C-c
term_wait_count '^ksqlite>' 6

# Tab twice lists the choices.
term_type "SELECT city, w"
term_keys Tab Tab
term_wait 'weathercode .*windspeed'
check_match "Tab Tab lists the columns that fit" "weathercode .*windspeed" "$(term_screen)"
term_keys C-e C-u
term_quit
finish
