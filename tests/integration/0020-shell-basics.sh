# 0020: the interactive shell in a real terminal: a typed query shows its
# result, a statement over several lines gets the continuation prompt, the
# box, csv and json modes print what sqlite3 would, .help lists every
# command, and Ctrl-C at the prompt drops a half-typed statement.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
start_broker --topic weather:4
gen --stdout --keys --count 240 --seed 3 --cities 6 --start 2026-11-21T10:00:00Z --eps 20 | produce_lines weather

term_start "$BIN/ksqlite" --brokers "$BROKERS" "$WORK/db"
term_wait '^ksqlite>$'
check_match "the banner says how to start" "enter SQL ending with ';', \.help for help, Tab completes" "$(term_screen)"

term_line "CREATE STREAM weather WITH (topic = 'weather', timestamp = 'ts');"
term_wait_count '^ksqlite>' 2
term_line "SELECT count(*) FROM weather;"
term_wait '^240$'
check "a typed query shows its result" "ksqlite> SELECT count(*) FROM weather;
240" "$(term_after 2 | head -2)"

# A statement over three lines: the continuation prompt until the ';'.
term_line "SELECT city,"
term_wait '^   \.\.\.>$'
term_line "       count(*) AS n"
term_cmd "  FROM weather GROUP BY city ORDER BY city LIMIT 2;"
term_wait '^Berlin\|40$'
check "a multi-line statement runs at its ';'" "ksqlite> SELECT city,
   ...>        count(*) AS n
   ...>   FROM weather GROUP BY city ORDER BY city LIMIT 2;
Berlin|40
London|40" "$(term_after 3 | head -5)"

Q="SELECT 'Washington, D.C.' AS city, 'said \"hi\"' AS note, 1.5 AS t UNION ALL SELECT 'Oslo', NULL, -2;"
term_line ".mode box"
term_cmd "$Q"
term_wait '^└'
check "box mode" "┌──────────────────┬───────────┬─────┐
│       city       │   note    │  t  │
├──────────────────┼───────────┼─────┤
│ Washington, D.C. │ said \"hi\" │ 1.5 │
│ Oslo             │           │  -2 │
└──────────────────┴───────────┴─────┘" "$(term_after 5 | sed -n '2,7p')"

term_line ".mode csv"
term_cmd ".headers on"
term_cmd "$Q"
term_wait '^Oslo,,-2$'
check "csv mode quotes per RFC 4180" 'city,note,t
"Washington, D.C.","said ""hi""",1.5
Oslo,,-2' "$(term_after 8 | sed -n '2,4p')"

term_line ".mode json"
term_cmd "$Q"
term_wait '^\{"city":"Oslo"'
check "json mode" '[{"city":"Washington, D.C.","note":"said \"hi\"","t":1.5},
{"city":"Oslo","note":null,"t":-2}]' "$(term_after 10 | sed -n '2,3p')"

term_line ".help"
term_wait '^\.width '
help=$(term_after 11)
for cmd in bail exit export headers help import mode nullvalue once output quit read schema \
    show sinks stats streams tables timer views width; do
    check ".help lists .$cmd on one line" 1 "$(printf '%s\n' "$help" | grep -c "^\.$cmd ")"
done
term_line ".help export"
term_wait 'RFC 4180 with a header row'
check_match ".help CMD explains one" "\.export \[--safe\] TABLE FILE" "$(term_after 12)"

# Ctrl-C at the continuation prompt drops the pending statement.
term_line "SELECT 'never"
term_wait_count '^   \.\.\.>' 3
term_keys C-c
term_wait_count '^ksqlite>' 14
term_line ".mode list"
term_cmd "SELECT 'after' || ' ctrl-c';"
term_wait '^after ctrl-c$'
check "Ctrl-C at the prompt drops the half-typed statement" "" "$(term_screen | grep -x 'never' || true)"
term_quit
finish
