# 0027: `ksqlite --demo` lands in the shell with a banner of what to try and
# the demo views running; a push query on the demo stream prints rows as
# they arrive and Ctrl-C returns to a working prompt; .streams, .views and
# .stats describe the pipeline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
term_start "$BIN/ksqlite" --demo
term_wait '^ksqlite>$'
screen=$(term_screen)
check_match "the demo says where its Kafka is" "embedded Kafka \(mock, 1 broker\) at 127\.0\.0\.1:[0-9]+" "$screen"
check_match "and what to try" "EMIT CHANGES;.*Ctrl-C stops" "$screen"
check_match "including the dot-commands" "\.streams +\.views +\.stats" "$screen"

term_line ".mode box"
term_cmd "SELECT city, temperature FROM weather EMIT CHANGES;"
term_wait '^│ +city +│ +temperature +│$'
term_wait_count '^│ [A-Z][A-Za-z ]+ +│ +-?[0-9.]+ │$' 10
check_match "a push query on the demo stream prints rows in a box" "┌─+┬─+┐
│ +city +│ +temperature +│
├─+┼─+┤
│ [A-Z][A-Za-z ]+ +│ +-?[0-9.]+ │" "$(term_after 2 | sed -n '2,5p')"
term_keys C-c
term_wait '^push query stopped after [0-9]+ rows$'
term_wait_count '^ksqlite>' 3
term_line ".mode list"
term_cmd "SELECT count(*) > 0, count(DISTINCT city) FROM city_baseline;"
term_wait '^1\|24$'
check "the prompt works after Ctrl-C, on the views the demo runs" "1|24" "$(term_after 4 | sed -n 2p)"

term_line ".streams"
term_wait '^\| weather +\| weather +\| json'
term_line ".views"
term_wait '^\| city_minute +\| weather +\| TUMBLE\(1'
check_match ".views shows each view running" "\| weather_alerts +\| weather +\| filter +\| CHANGES +\| running" "$(term_after 6)"
term_line ".stats"
term_wait '^views running: +6$'
check_match ".stats shows rate, lag and watermark" "lag: +[0-9]+ messages.*
rate: +[0-9.]+ events/s
watermark: +20[0-9-]+ [0-9:.]+" "$(term_after 7)"
term_quit
finish
