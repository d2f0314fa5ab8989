# term.sh — drive the real ksqlite binary in a real terminal (tmux), for the
# shell tests. Source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/term.sh"
#   term_start "$BIN/ksqlite" :memory:
#   term_wait 'ksqlite> $'
#   term_line "SELECT 1 + 1;"
#   term_wait '^2$'
#   term_quit
#
# Each test gets a private tmux server (socket ksqtest-PID), a 160x50
# terminal, and HOME and XDG_STATE_HOME inside its work directory, so no
# test touches a real history file. Every wait polls the screen with a
# bounded timeout; nothing relies on a bare sleep.
TERM_SOCK="ksqtest-$$"
TERM_N=0
TERM_TIMEOUT=${TERM_TIMEOUT:-$((30 * KSQ_SLOW))} # seconds a wait may take on a loaded machine
export HOME="$WORK/home" XDG_STATE_HOME=
unset XDG_STATE_HOME
export LC_ALL=C.UTF-8 LANG=C.UTF-8
mkdir -p "$HOME"
cat >"$WORK/tmux.conf" <<'EOF'
set -g status off
set -g remain-on-exit on
set -g history-limit 5000
set -s escape-time 0
EOF

term_tmux() {
    tmux -u -L "$TERM_SOCK" -f "$WORK/tmux.conf" "$@"
}

# Kill the tmux server with the rest of the test's processes, and remove its
# socket (tmux leaves it behind).
term_cleanup() {
    term_tmux kill-server 2>/dev/null || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TERM_SOCK"
}
trap 'term_rc=$?; set +e; term_cleanup; (exit $term_rc); cleanup' EXIT

# term_start CMD [ARG...]: run CMD in a fresh 160x50 terminal (the current
# one from now on); its exit code goes to $WORK/term$TERM_N.rc.
term_start() {
    TERM_N=$((TERM_N + 1))
    TERM_PROMPTS=0
    local cmd
    cmd=$(printf '%q ' "$@")
    term_tmux new-session -d -s "t$TERM_N" -x 160 -y 50 \
        "$cmd; echo \$? >'$WORK/term$TERM_N.rc'"
}

# term_screen: what the terminal shows now (wrapped lines joined).
term_screen() {
    term_tmux capture-pane -p -J -t "t$TERM_N" -S - | sed 's/[[:space:]]*$//'
}

# term_keys KEY...: tmux key names (Enter, Tab, Up, C-c, ...).
term_keys() {
    term_tmux send-keys -t "t$TERM_N" "$@"
}

# term_type TEXT: type TEXT literally (no Enter).
term_type() {
    local text=$1
    # tmux reads a trailing ';' as a command separator: escape it.
    case "$text" in *';') text="${text%;}\\;" ;; esac
    term_tmux send-keys -t "t$TERM_N" -l -- "$text"
}

# term_line TEXT: type TEXT and Enter.
term_line() {
    TERM_PROMPTS=$(term_prompts)
    term_type "$1"
    term_keys Enter
}

# term_prompts: how many lines of the screen start with a prompt ("ksqlite>"
# or the continuation "   ...>").
term_prompts() {
    term_screen | grep -Ec '^(ksqlite|   \.\.\.)>' || true
}

# term_cmd TEXT: wait until the shell shows a new prompt after the line typed
# last, and waits there (an empty prompt is its last line), then type TEXT
# and Enter. A line typed ahead of the prompt is echoed by the terminal
# before it, and the prompt then does not start a line: prompt counts and
# term_after go wrong (seen under valgrind, where the shell is slow).
term_cmd() {
    local deadline=$((SECONDS + TERM_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$(term_prompts)" -gt "$TERM_PROMPTS" ] &&
            term_screen | grep -v '^$' | tail -n 1 | grep -Eq '^(ksqlite|   \.\.\.)>$'; then
            term_line "$1"
            return 0
        fi
        sleep 0.1
    done
    printf 'FAIL: waited %ss for a new prompt to type %s at:\n' "$TERM_TIMEOUT" "$1" >&2
    term_screen >&2
    exit 1
}

# term_wait REGEX [SECONDS]: wait until a line of the screen matches REGEX
# (extended); fail with the screen after SECONDS (default TERM_TIMEOUT).
term_wait() {
    local deadline=$((SECONDS + ${2:-$TERM_TIMEOUT}))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if term_screen | grep -Eq -- "$1"; then return 0; fi
        sleep 0.1
    done
    printf 'FAIL: waited %ss for /%s/ on the screen:\n' "${2:-$TERM_TIMEOUT}" "$1" >&2
    term_screen >&2
    exit 1
}

# term_wait_count REGEX N [SECONDS]: wait until N lines match REGEX.
term_wait_count() {
    local deadline=$((SECONDS + ${3:-$TERM_TIMEOUT}))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$(term_screen | grep -Ec -- "$1")" -ge "$2" ]; then return 0; fi
        sleep 0.1
    done
    printf 'FAIL: waited for %s lines matching /%s/ on the screen:\n' "$2" "$1" >&2
    term_screen >&2
    exit 1
}

# term_prompt_count: how many "ksqlite> " prompts the screen shows.
term_prompt_count() {
    term_screen | grep -c '^ksqlite>' || true
}

# term_after N: the screen after the N-th prompt line (that line included).
term_after() {
    term_screen | awk -v n="$1" '/^ksqlite>/{c++} c>=n'
}

# term_pid: the pid of the program running in the current terminal (the
# child of the pane's shell), from /proc.
term_pid() {
    local pane stat f
    pane=$(term_tmux display -p -t "t$TERM_N" '#{pane_pid}')
    for f in /proc/[0-9]*/stat; do
        stat=$(cat "$f" 2>/dev/null) || continue
        # pid (comm) state ppid ...
        set -- ${stat##*) }
        if [ "$2" = "$pane" ]; then
            stat=${f#/proc/}
            echo "${stat%/stat}"
            return 0
        fi
    done
    return 1
}

# term_exit_code: wait for the program in the current terminal to exit and
# print its exit code (a sanitizer report fails the test).
term_exit_code() {
    local deadline=$((SECONDS + TERM_TIMEOUT)) f="$WORK/term$TERM_N.rc"
    while [ "$SECONDS" -lt "$deadline" ] && [ ! -s "$f" ]; do sleep 0.1; done
    if [ ! -s "$f" ]; then
        echo "FAIL: the program in terminal $TERM_N did not exit; screen:" >&2
        term_screen >&2
        exit 1
    fi
    local rc
    rc=$(cat "$f")
    note_exit "$rc" "ksqlite in terminal $TERM_N"
    echo "$rc"
}

# term_quit: leave the shell with .quit and check it exits 0.
term_quit() {
    term_line ".quit"
    check "the shell in terminal $TERM_N exits 0" 0 "$(term_exit_code)"
}
