# 0007: the command line: SQL arguments, -f scripts, stdin scripts,
# output modes, errors with their position, exit codes.
. "$(dirname "$0")/lib.sh"
start_broker --topic s:1
printf 'k\t{"city":"Washington, D.C.","note":"said \\"hi\\"","t":1.5}\nk\t{"city":"Oslo","t":-2}\n' | produce_lines s
W="CREATE VIRTUAL TABLE s USING kafka(topic='s', brokers='$BROKERS', columns='city TEXT, note TEXT, t REAL');"

check "list mode with a header" "city|t
Washington, D.C.|1.5
Oslo|-2.0" "$(ksq -header :memory: "$W" "SELECT city, t FROM s;")"

ksq -csv -header :memory: "$W" "SELECT city, note, t FROM s;" >"$WORK/out.csv"
check "csv is RFC 4180 (Python's csv module reads it back)" \
    "[['city', 'note', 't'], ['Washington, D.C.', 'said \"hi\"', '1.5'], ['Oslo', '', '-2.0']]" \
    "$("$PY" -c 'import csv,sys; print(list(csv.reader(open(sys.argv[1], newline=""))))' "$WORK/out.csv")"
check "csv lines end in CRLF" 3 "$(grep -c $'\r$' "$WORK/out.csv")"

check "json is an array of objects" \
    "[{'city': 'Washington, D.C.', 'note': 'said \"hi\"', 't': 1.5}, {'city': 'Oslo', 'note': None, 't': -2.0}]" \
    "$(ksq -json :memory: "$W" "SELECT city, note, t FROM s;" | "$PY" -c 'import json,sys; print(json.load(sys.stdin))')"
check "table mode: names centred, numbers right-aligned" "+------------------+------+
|       city       |  t   |
+------------------+------+
| Washington, D.C. |  1.5 |
| Oslo             | -2.0 |
+------------------+------+" "$(ksq -table :memory: "$W" "SELECT city, t FROM s;")"
check "box mode draws a box" "┌──────────────────┬──────┐" "$(ksq -box :memory: "$W" "SELECT city, t FROM s;" | head -1)"
check "line mode" "city = Oslo
   t = -2.0" "$(ksq -line :memory: "$W" "SELECT city, t FROM s WHERE t < 0;")"

cat >"$WORK/script.sql" <<SQL
-- a script with a dot-command and a multi-line statement
.headers on
$W
SELECT city,
       t
  FROM s
 WHERE t > 0;
SQL
check "-f runs a script with dot-commands" "city|t
Washington, D.C.|1.5" "$(ksq -f "$WORK/script.sql" :memory:)"
check "stdin is read as a script" "city|t
Washington, D.C.|1.5" "$(ksq :memory: <"$WORK/script.sql")"

printf '%s\nSELECT count(*) FROM s;\nSELECT citty\n  FROM s;\nSELECT 1;\n' "$W" >"$WORK/bad.sql"
set +e
out=$(ksq -f "$WORK/bad.sql" :memory: 2>"$WORK/err")
code=$?
set -e
check "a failing script exits 1" 1 "$code"
check "statements before the error ran" 2 "$out"
check "the error names file, line and column" "Error: $WORK/bad.sql:3:8: no such column: citty" "$(head -1 "$WORK/err")"
check "and points at the spot" "  SELECT citty
         ^" "$(sed -n '2,3p' "$WORK/err")"
check "scripts stop at the first error" "" "$(echo "$out" | grep -x 1 || true)"

ksq "$WORK/db.sqlite" "CREATE TABLE regions(city TEXT, region TEXT); INSERT INTO regions VALUES('Oslo','Nordics');"
check "a database file keeps ordinary tables between runs" "Oslo|Nordics" "$(ksq "$WORK/db.sqlite" "SELECT * FROM regions;")"
ksq "$WORK/db.sqlite" "$W"
check "and stream definitions" "Nordics|-2.0" \
    "$(ksq "$WORK/db.sqlite" "SELECT r.region, s.t FROM s JOIN regions r USING (city);")"
check "SQL arguments run in order" "1
2" "$(ksq :memory: "SELECT 1;" "SELECT 2;")"
check_match "--version" '^ksqlite [0-9]+\.[0-9]+\.[0-9]+ \(SQLite 3\.' "$(ksq --version)"
check_match "-help lists the options" "--mock\[=N\]" "$(ksq -help)"
set +e
ksq --no-such-option >/dev/null 2>"$WORK/err"
code=$?
set -e
check "an unknown option exits 1" 1 "$code"
check_match "and says which" "unknown option --no-such-option" "$(cat "$WORK/err")"
finish
