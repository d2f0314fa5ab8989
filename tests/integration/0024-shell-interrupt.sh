# 0024: a long pull query in a terminal shows a status line (progress
# against the high-water marks, rate, lag) that is cleared afterwards, and
# so does a new view catching up with its topic;
# Ctrl-C cancels the statement, never the shell; with output redirected
# the status line stays quiet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
start_broker --topic big:32 # room for 600,000 events (the mock keeps 5 MiB a partition)
gen --brokers "$BROKERS" --topic big --count 60000 --cities 20 --seed 2 --start 2026-11-21T10:00:00Z \
    >/dev/null 2>"$WORK/gen.err"

term_start "$BIN/ksqlite" --brokers "$BROKERS" "$WORK/db"
term_wait '^ksqlite>$'
term_line "CREATE STREAM big WITH (topic = 'big', timestamp = 'ts');"
term_wait_count '^ksqlite>' 2
# Every row of a meets a full scan of b: far longer than the test waits.
term_line "SELECT count(*) FROM big a, big b WHERE a.temperature < b.temperature;"
term_wait 'scanning [0-9.]+% · [0-9,]+ of [0-9,]+ messages · [0-9,]+ ev/s · lag [0-9,]+'
check_match "a long scan shows a status line" \
    'scanning [0-9.]+% · [0-9,]+ of [0-9,]+ messages · [0-9,]+ ev/s · lag [0-9,]+' "$(term_screen)"
term_keys C-c
term_wait '^Interrupted\.$'
term_wait_count '^ksqlite>' 3
check "Ctrl-C cancels the statement and clears the status line" "Interrupted.
ksqlite>" "$(term_after 2 | sed -n '2,3p')"
check "no status line is left on the screen" 0 "$(term_screen | grep -c scanning || true)"

# The shell goes on; a plain SQLite statement is cancelled the same way.
term_line "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"
# Give it a moment to be running (it never ends by itself).
deadline=$((SECONDS + 2))
while [ "$SECONDS" -lt "$deadline" ] && [ "$(term_prompt_count)" -lt 4 ]; do sleep 0.2; done
check "the endless query is still running" 3 "$(term_prompt_count)"
term_keys C-c
term_wait_count '^Interrupted\.$' 2
term_wait_count '^ksqlite>' 4
term_line "SELECT count(*) FROM big WHERE city IS NOT NULL;"
term_wait '^60000$'
check "the shell still works after two interrupts" "60000" "$(term_after 4 | sed -n 2p)"

# A new view reads the topic from its start: a status line while it catches
# up, then the prompt. (600,000 events take the view well over the status
# line's 300 ms delay.)
gen --brokers "$BROKERS" --topic big --count 540000 --cities 20 --seed 3 --start 2026-11-21T12:00:00Z \
    >/dev/null 2>>"$WORK/gen.err"
term_line "CREATE MATERIALIZED VIEW hourly AS SELECT city, window_start, count(*) AS n, avg(temperature) AS t, max(windspeed) AS w FROM big GROUP BY city, HOP(ts, '1 hour', '5 minutes') EMIT CHANGES;"
term_wait 'views catching up [0-9.]+% · lag [0-9,]+ · [0-9,]+ ev/s · watermark [-0-9 :]+ · any key for the prompt'
term_wait_count '^ksqlite>' 6 60
check "the status line is cleared when the view has caught up" 0 "$(term_screen | grep -c 'catching up' || true)"
hourly() { # events in the view's windows (each event is in 12), via another connection
    "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(sum(n), 0) FROM hourly").fetchone()[0])' "$WORK/db"
}
deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ] && [ "$(hourly)" -lt $((600000 * 12)) ]; do sleep 0.2; done
check "and the view has read the whole topic (the last events at the prompt)" $((600000 * 12)) "$(hourly)"

# Ctrl-C during a script run with .read cancels the rest of the script too.
printf '%s\n' "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;" \
    "SELECT 'rest of ' || 'the script';" >"$WORK/long.sql"
term_line ".read $WORK/long.sql"
deadline=$((SECONDS + 2))
while [ "$SECONDS" -lt "$deadline" ] && [ "$(term_prompt_count)" -lt 7 ]; do sleep 0.2; done
term_keys C-c
term_wait_count '^Interrupted\.$' 3
term_wait_count '^ksqlite>' 7
term_line "SELECT 'prompt ' || 'back';"
term_wait '^prompt back$'
check "the rest of the script did not run" 0 "$(term_screen | grep -c '^rest of the script$' || true)"
term_quit

# Not a terminal: no status line on stderr.
# Two full scans with decoding: long enough for a status line on a terminal.
ksq --brokers "$BROKERS" "$WORK/db" "SELECT count(*) FROM big WHERE temperature <= (SELECT max(temperature) FROM big);" \
    >"$WORK/out" 2>"$WORK/err"
check "with output redirected the result is plain" 600000 "$(cut -d'|' -f1 "$WORK/out")"
check "and stderr stays quiet" "" "$(cat "$WORK/err")"
finish
