# 0022: history survives a restart: Up at a new shell recalls the previous
# session's statements (a multi-line one as a single entry), from
# ~/.ksqlite_history, or $XDG_STATE_HOME/ksqlite/history when that is set.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"

edit_line() { term_screen | grep '^ksqlite>' | tail -1; }
# wait_edit_line EXPECTED: wait until the line being edited reads EXPECTED.
wait_edit_line() {
    local deadline=$((SECONDS + TERM_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ] && [ "$(edit_line)" != "$1" ]; do sleep 0.1; done
}

# Session 1: one single-line and one multi-line statement.
term_start "$BIN/ksqlite" :memory:
term_wait '^ksqlite>$'
term_line "SELECT 'first session' AS s;"
term_wait '^first session$'
term_line "SELECT 6 *"
term_cmd "  7;"
term_wait '^42$'
term_quit
check "the history file keeps both statements, the multi-line one as one entry" \
    "SELECT 'first session' AS s;
SELECT 6 *   7;" "$(grep -v '^\.quit$' "$HOME/.ksqlite_history")"
check "the history file is private" 600 "$(stat -c %a "$HOME/.ksqlite_history")"

# Session 2: Up recalls the last statement, Up again the one before.
term_start "$BIN/ksqlite" :memory:
term_wait '^ksqlite>$'
term_keys Up
wait_edit_line "ksqlite> .quit"
term_keys Up
wait_edit_line "ksqlite> SELECT 6 *   7;"
check "Up recalls the previous session's multi-line statement" "ksqlite> SELECT 6 *   7;" "$(edit_line)"
term_keys Up
wait_edit_line "ksqlite> SELECT 'first session' AS s;"
check "and Up again the one before" "ksqlite> SELECT 'first session' AS s;" "$(edit_line)"
term_keys Enter
term_wait '^first session$'
check "the recalled statement runs" "first session" "$(term_screen | grep -x 'first session')"
term_quit
check "the second session appended to the file" "SELECT 'first session' AS s;
.quit" "$(tail -2 "$HOME/.ksqlite_history")"

# With XDG_STATE_HOME the history lives there, apart from ~/.ksqlite_history.
term_start env XDG_STATE_HOME="$WORK/state" "$BIN/ksqlite" :memory:
term_wait '^ksqlite>$'
term_keys Up
term_line "SELECT 'state' || 'home';"
term_wait '^statehome$'
check "a new history starts empty" "ksqlite> SELECT 'state' || 'home';" \
    "$(term_screen | grep '^ksqlite> SELECT' | head -1)"
term_quit
check "it is kept in \$XDG_STATE_HOME/ksqlite/history" "SELECT 'state' || 'home';" \
    "$(head -1 "$WORK/state/ksqlite/history")"
check "and not in ~/.ksqlite_history" 0 "$(grep -c statehome "$HOME/.ksqlite_history" || true)"
finish
