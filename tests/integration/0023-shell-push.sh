# 0023: push queries at the prompt: SELECT ... EMIT CHANGES on a stream and
# on a view print rows as events arrive, in the current output mode, until
# Ctrl-C, which returns to a prompt that still works; the views keep
# running while the shell waits for input; SIGTERM leaves gracefully.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
start_broker --topic weather:4
# Events keep arriving while the test runs (20 a second, timestamped now).
"$BIN/ksqlite-gen" --brokers "$BROKERS" --topic weather --count 0 --rate 20 --cities 8 --seed 4 \
    >/dev/null 2>"$WORK/gen.err" &
PIDS+=($!)
# The shell infers the stream's columns from the first events: wait for them.
timeout $((30 * KSQ_SLOW)) kcat -C -b "$BROKERS" -t weather -c 1 -q >/dev/null 2>&1 ||
    fail "no event from ksqlite-gen: $(cat "$WORK/gen.err")"

term_start "$BIN/ksqlite" --brokers "$BROKERS" "$WORK/db"
term_wait '^ksqlite>$'
term_line "CREATE STREAM weather WITH (topic = 'weather', timestamp = 'ts');"
term_wait_count '^ksqlite>' 2
term_line "SELECT city, round(temperature, 1) AS t FROM weather EMIT CHANGES;"
term_wait_count '^[A-Z][A-Za-z ]+\|-?[0-9]+(\.[0-9])?$' 10
check_match "rows of a push query on a stream print as they arrive" '[A-Z][a-z]+\|-?[0-9.]+' "$(term_after 2)"
n1=$(term_screen | grep -Ec '^[A-Z][A-Za-z ]+\|-?[0-9.]+$')
term_wait_count '^[A-Z][A-Za-z ]+\|-?[0-9]+(\.[0-9])?$' $((n1 + 5))
check "and keep coming" yes "$([ "$(term_screen | grep -Ec '^[A-Z][A-Za-z ]+\|-?[0-9.]+$')" -gt "$n1" ] && echo yes)"
check "no prompt while it runs" 2 "$(term_prompt_count)"
check "it is in the history file already" "SELECT city, round(temperature, 1) AS t FROM weather EMIT CHANGES;" \
    "$(tail -1 "$HOME/.ksqlite_history")"
term_keys C-c
term_wait '^push query stopped after [0-9]+ rows$'
term_wait_count '^ksqlite>' 3
term_line "SELECT 'still ' || 'working';"
term_wait '^still working$'
check "Ctrl-C returns to a working prompt" "ksqlite> SELECT 'still ' || 'working';
still working" "$(term_after 3 | head -2)"

# A view runs in the background while the shell waits.
term_line "CREATE MATERIALIZED VIEW per_city AS SELECT city, count(*) AS n FROM weather GROUP BY city;"
term_wait_count '^ksqlite>' 5
count_events() { # count_events: the view's total, read through a second connection
    "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT coalesce(sum(n),0) FROM per_city").fetchone()[0])' "$WORK/db"
}
deadline=$((SECONDS + 30 * KSQ_SLOW))
a=$(count_events)
while [ "$SECONDS" -lt "$deadline" ] && [ "$(count_events)" -le "$((a + 20))" ]; do sleep 0.2; done
check "the view keeps counting while the shell sits at the prompt" yes \
    "$([ "$(count_events)" -gt "$((a + 20))" ] && echo yes || echo "no: $a then $(count_events)")"

# On the view, in box mode: a grid whose rows arrive with each batch.
term_line ".mode box"
term_cmd "SELECT city, n FROM per_city EMIT CHANGES;"
term_wait '^│ +city +│ +n +│$'
term_wait_count '^│ [A-Z][A-Za-z ]+ +│ +[0-9]+ │$' 8
check_match "a push query on a view prints a box grid" "┌─+┬─+┐
│ +city +│ +n +│
├─+┼─+┤
│ [A-Z]" "$(term_after 6 | sed -n '2,5p')"
term_keys C-c
term_wait '^push query stopped after [0-9]+ rows$'
term_wait '^└─+┴─+┘$'
check "the grid is closed when it stops" 1 "$(term_after 6 | grep -c '^└─*┴─*┘$')"
term_wait_count '^ksqlite>' 7
term_line ".mode list"
term_cmd "SELECT count(*) > 0 FROM per_city;"
term_wait_count '^1$' 1

# SIGTERM (a logout, a container stop) leaves the shell gracefully.
kill -TERM "$(term_pid)"
check "SIGTERM to the interactive shell exits 0" 0 "$(term_exit_code)"
check "with the view's progress committed" 1 \
    "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) > 0 FROM ksq_progress WHERE view = ? AND next_offset > 0", ("per_city",)).fetchone()[0])' "$WORK/db")"
finish
