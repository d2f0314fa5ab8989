# 0026: .export writes RFC 4180 CSV that Python's csv module reads back
# identically (commas, quotes, newlines, blanks, UTF-8, NULL); .import reads
# it back into a new table or an existing one; a stream and a query export
# too; --safe neutralises spreadsheet formulas.
. "$(dirname "$0")/lib.sh"
start_broker --topic weather:2
gen --stdout --keys --count 20 --seed 3 --cities 4 --start 2026-11-21T10:00:00Z | produce_lines weather
DB="$WORK/db"
ksq "$DB" "CREATE TABLE t(id INTEGER, name TEXT, note TEXT, x REAL);" \
    "INSERT INTO t VALUES (1, 'Washington, D.C.', 'said \"hi\"', 1.5),
       (2, 'two
lines', '  padded  ', -2.25),
       (3, 'crlf' || char(13, 10) || 'inside', '', 0.0),
       (4, 'Zürich – 東京', NULL, 1e-3),
       (5, '=1+2', '@cmd', NULL),
       (6, '\"', ',', 100);"

ksq "$DB" ".export t $WORK/t.csv"
check "python reads back every field as it is in the table" ok "$("$PY" - "$DB" "$WORK/t.csv" <<'EOF'
import csv, sqlite3, sys
db, path = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
cur = c.execute("SELECT id, name, note, x FROM t ORDER BY id")
want = [[d[0] for d in cur.description]]
# SQLite's text for each value; NULL is an empty field
want += [["" if v is None else c.execute("SELECT CAST(? AS TEXT)", (v,)).fetchone()[0] for v in row]
         for row in cur.fetchall()]
got = list(csv.reader(open(path, newline="", encoding="utf-8")))
print("ok" if got == want else "differs:\n%r\n%r" % (got, want))
EOF
)"
check "records end in CRLF" 7 "$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\r\n") - 1)' "$WORK/t.csv")"
check "quotes only where needed" '1,"Washington, D.C.","said ""hi""",1.5' "$(sed -n 2p "$WORK/t.csv" | tr -d '\r')"

ksq "$DB" ".import $WORK/t.csv t2"
check "import creates a table from the header" "id|TEXT
name|TEXT
note|TEXT
x|TEXT" "$(ksq "$DB" "SELECT name, type FROM pragma_table_info('t2');")"
check "and reads every field back" 0 \
    "$(ksq "$DB" "SELECT count(*) FROM (SELECT CAST(id AS TEXT), name, coalesce(note, ''), coalesce(CAST(x AS TEXT), '') FROM t EXCEPT SELECT * FROM t2);")"
check "as many rows" 6 "$(ksq "$DB" "SELECT count(*) FROM t2;")"
ksq "$DB" ".import --skip 1 $WORK/t.csv t"
check "import into an existing table skips the header with --skip 1" "12|2" \
    "$(ksq "$DB" "SELECT count(*), (SELECT count(*) FROM t WHERE id = 1) FROM t;")"
check "and keeps the table's types" "integer" "$(ksq "$DB" "SELECT DISTINCT typeof(id) FROM t;")"

printf 'a,b\r\n1\r\n2,3,4\r\n' >"$WORK/ragged.csv"
ksq "$DB" ".import $WORK/ragged.csv r" 2>"$WORK/err"
check "short records are filled with NULL, long ones cut" "1|NULL
2|3" "$(ksq -nullvalue NULL "$DB" "SELECT * FROM r;")"
check_match "with a warning naming the record" "ragged.csv: record 2: expected 2 columns but found 1 - filling the rest with NULL" "$(cat "$WORK/err")"
check_match "both ways" "ragged.csv: record 3: expected 2 columns but found 3 - extras ignored" "$(cat "$WORK/err")"
set +e
ksq "$DB" ".import $WORK/missing.csv m" 2>"$WORK/err"
code=$?
set -e
check "a missing file is an error" 1 "$code"
check_match "that names it" "cannot open \".*missing.csv\"" "$(cat "$WORK/err")"

ksq --brokers "$BROKERS" "$DB" "CREATE STREAM weather WITH (topic = 'weather', timestamp = 'ts');" \
    ".export weather $WORK/weather.csv" \
    ".export \"SELECT city, count(*) AS n FROM weather GROUP BY city ORDER BY city\" $WORK/cities.csv"
check "a stream exports its rows with a header" "21" "$("$PY" -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$WORK/weather.csv")"
check "a query exports too" "city,n|Berlin,5|London,5|Madrid,5|Paris,5" "$(tr -d '\r' <"$WORK/cities.csv" | paste -sd'|')"

ksq "$DB" ".export --safe t $WORK/safe.csv"
safe_field() { # safe_field ID COLUMN: a field of safe.csv as Python reads it
    "$PY" -c 'import csv,sys; r={x["id"]: x for x in csv.DictReader(open(sys.argv[1], newline=""))}; print(r[sys.argv[2]][sys.argv[3]])' \
        "$WORK/safe.csv" "$1" "$2"
}
check "--safe neutralises formulas" "'=1+2 '@cmd" "$(safe_field 5 name) $(safe_field 5 note)"
check "but not numbers" "-2.25" "$(safe_field 2 x)"
finish
