# 0029: output settings in a real terminal: a wide result in table and box
# mode is fitted to the terminal's 160 columns (long cells wrap at blanks,
# nothing is lost; records when even that cannot fit), .width fixes columns,
# .nullvalue, line, markdown and tabs modes; output sent to a file with
# .once is not fitted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/term.sh"
STORY="The quick brown fox jumps over the lazy dog while the weather station in Reykjavik reports gale force winds of ninety kilometres per hour and the stream keeps every single reading for the views that summarise them by the minute and by the hour"
term_start "$BIN/ksqlite" :memory:
term_wait '^ksqlite>$'
term_cmd ".mode table"
term_cmd "SELECT 7 AS id, '$STORY' AS story, 'short' AS tag, '$STORY' AS again;"
term_wait '^\+-+\+-+\+-+\+-+\+$' 
term_wait_count '^\+-+\+-+\+-+\+-+\+$' 3
term_after 2 | sed -n '2,$p' | grep -E '^[+|]' >"$WORK/grid"
check "every line of a wide grid fits in 160 columns" ok "$("$PY" - "$WORK/grid" "$STORY" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
story = sys.argv[2]
too_wide = [l for l in lines if len(l) > 160]
rows = [l for l in lines if l.startswith("|")][1:]  # after the names line
cells = [[c.strip() for c in l.split("|")[1:-1]] for l in rows]
text = " ".join(c[1] for c in cells if c[1])
again = " ".join(c[3] for c in cells if c[3])
if too_wide: print("too wide: %r" % too_wide)
elif text != story or again != story: print("lost text: %r" % text)
elif len(rows) < 3: print("did not wrap: %r" % rows)
elif cells[0][0] != "7" or cells[0][2] != "short": print("bad cells: %r" % cells[0])
else: print("ok")
EOF
)"

term_cmd ".mode box"
term_cmd ".width 6 20"
term_cmd "SELECT 7 AS id, '$STORY' AS story;"
term_wait '^└─+┴─+┘$'
check ".width fixes the columns (positive: left-aligned, as sqlite3)" "┌────────┬──────────────────────┐
│   id   │        story         │
├────────┼──────────────────────┤
│ 7      │ The quick brown fox  │
│        │ jumps over the lazy  │" "$(term_after 5 | sed -n '2,6p')"
term_cmd ".width"

term_cmd ".once $WORK/wide.txt"
term_cmd ".mode table"
term_cmd "SELECT 7 AS id, '$STORY' AS story;"
term_wait_count '^ksqlite>' 10
check "output to a file is not fitted to the terminal" 1 "$(grep -c 'jumps over the lazy dog while' "$WORK/wide.txt")"

term_cmd ".mode line"
term_cmd ".nullvalue (null)"
term_cmd "SELECT NULL AS a, 2 AS bb;"
term_wait '^bb = 2$'
check "line mode with .nullvalue" " a = (null)
bb = 2" "$(term_after 12 | sed -n '2,3p')"

term_cmd ".mode markdown"
term_cmd "SELECT 'x|y' AS a, 1 AS b;"
term_wait '^\| x\\\|y \| 1 \|$'
check "markdown mode escapes the pipe" "| a    | b |
|------|---|
| x\\|y | 1 |" "$(term_after 14 | sed -n '2,4p')"

term_cmd ".mode tabs"
term_cmd ".headers on"
term_cmd ".once $WORK/tabs.txt"
term_cmd "SELECT 'a' AS x, 'b' AS y;"
term_cmd ".output"
term_wait_count '^ksqlite>' 20
check "tabs mode with a header" "x	y
a	b" "$(cat "$WORK/tabs.txt")"

# A grid that cannot fit even with its columns at their narrowest turns
# into records, one "name = value" per line.
cols=$(for i in $(seq -w 1 30); do printf "'value_%s' AS column_%s, " "$i" "$i"; done)
term_cmd ".mode box"
term_cmd "SELECT ${cols%, };"
term_wait '^column_30 = value_30$'
check "a grid too wide for the terminal prints records instead" "column_01 = value_01
column_02 = value_02" "$(term_after 21 | sed -n '2,3p')"
check "and no grid" 0 "$(term_after 21 | grep -c '┌' || true)"
term_quit
finish
