# 0025: errors show the statement, a caret at the spot and a hint: an
# unknown column lists the columns there are (and the closest one), an
# unknown table names similar ones, an unknown function the closest; at the
# prompt and in scripts alike.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
start_broker --topic weather:2
gen --stdout --keys --count 20 --seed 3 --cities 4 --start 2026-11-21T10:00:00Z | produce_lines weather

term_start "$BIN/ksqlite" --brokers "$BROKERS" "$WORK/db"
term_wait '^ksqlite>$'
term_line "CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL) WITH (topic = 'weather', timestamp = 'ts');"
term_wait_count '^ksqlite>' 2

term_line "SELECT city, temprature FROM weather;"
term_wait '^hint: '
check "an unknown column: the statement, a caret under it, the columns" \
    "Error: no such column: temprature
  SELECT city, temprature FROM weather;
               ^
hint: did you mean temperature? weather has city, ts, temperature, windspeed, _partition, _offset, _timestamp, _key, _value, _error" \
    "$(term_after 2 | sed -n '2,5p')"

term_line "SELECT * FROM wether;"
term_wait_count '^hint: ' 2
check "an unknown table: similar names" "Error: no such table: wether
  SELECT * FROM wether;
                ^
hint: did you mean weather?" "$(term_after 3 | sed -n '2,5p')"

term_line "SELECT w.city FROM weather w"
term_cmd "  WHERE w.windsped > 10;"
term_wait_count '^hint: ' 3
check "a multi-line statement: the line, the caret, the qualified column" "Error: line 2: no such column: w.windsped
    WHERE w.windsped > 10;
          ^
hint: did you mean windspeed? weather has city, ts, temperature, windspeed, _partition, _offset, _timestamp, _key, _value, _error" \
    "$(term_after 4 | sed -n '3,6p')"

term_line "SELECT cuont(*) FROM weather;"
term_wait_count '^hint: ' 4
check "an unknown function: the closest" "Error: no such function: cuont
  SELECT cuont(*) FROM weather;
         ^
hint: did you mean count?" "$(term_after 5 | sed -n '2,5p')"

term_line "SELEC 1;"
term_wait 'syntax error'
check "a syntax error points at the word" 'Error: near "SELEC": syntax error
  SELEC 1;
  ^' "$(term_after 6 | sed -n '2,4p')"
term_line "SELECT 'the shell goes on';"
term_wait '^the shell goes on$'
term_quit

# In a script: file, line and column, the caret, the hint; exit 1.
printf '%s\n' ".headers off" "SELECT count(*) FROM weather;" "SELECT city," "       temperatur" "  FROM weather;" \
    >"$WORK/bad.sql"
set +e
out=$(ksq --brokers "$BROKERS" "$WORK/db" -f "$WORK/bad.sql" 2>"$WORK/err")
code=$?
set -e
check "a failing script exits 1" 1 "$code"
check "after the statements before the error" 20 "$out"
check "the error names the file, line and column, and hints" "Error: $WORK/bad.sql:4:8: no such column: temperatur
         temperatur
         ^
hint: did you mean temperature? weather has city, ts, temperature, windspeed, _partition, _offset, _timestamp, _key, _value, _error" \
    "$(cat "$WORK/err")"
ksq --brokers "$BROKERS" "$WORK/db" "SELECT * FROM wether EMIT CHANGES;" 2>"$WORK/err" || true
check "a push query on an unknown name: similar names" "hint: did you mean weather?" "$(tail -1 "$WORK/err")"
finish
