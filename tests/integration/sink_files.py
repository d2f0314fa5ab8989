#!/usr/bin/python3
"""sink_files.py — file sinks: every emitted row in exactly one published
file, hostile values round-trip, Hive layout under the root, COMPACT, EXPORT.

    sink_files.py BIN BROKERS WORKDIR

Produces events with Python's kafka client (hostile city names among them),
runs ksqlite with a filter view and four file sinks (--exit-at-end), then
reads every published file back with Python's csv and json modules and with
the stock sqlite3 shell's .import, and compares them with the view's rows.
"""
import csv
import glob
import json
import os
import sqlite3
import subprocess
import sys

from kafka import KafkaProducer

BIN, BROKERS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
KSQ = os.path.join(BIN, "ksqlite")
os.chdir(WORK)
checks = 0


def check(what, want, got):
    global checks
    checks += 1
    if want != got:
        print("FAIL: %s\n  expected: %.600r\n  actual:   %.600r" % (what, want, got))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


HOSTILE = ["Berlin", "a,b", 'q"uote"', "new\nline", "cr\r\nlf", "../../etc", "/abs/path", "x" * 3000,
           "Zürich 東京 🚀", "", None, "=1+1", " lead and trail ", "%41 not escaped", "semi;colon",
           "back\\slash", "tab\there", "hash#?*:[]{}^'"]
B = 1795262400000  # 2026-11-21 12:00:00 UTC
producer = KafkaProducer(bootstrap_servers=BROKERS, max_in_flight_requests_per_connection=1)
n = 0
for rep in range(40):
    for i, city in enumerate(HOSTILE):
        ev = {"city": city, "k": n % 3, "ts": B + n * 1000, "x": (n * 7 % 100) / 4.0}
        producer.send("hostile", value=json.dumps(ev).encode(), partition=n % 2)
        n += 1
producer.flush()
TOTAL = n

subprocess.run([KSQ, "--exit-at-end", "hostile.db"], check=True, text=True, input="""
CREATE STREAM s (city TEXT, k INTEGER, ts TIMESTAMP, x REAL)
  WITH (topic = 'hostile', brokers = '%s', timestamp = 'ts');
CREATE MATERIALIZED VIEW v AS SELECT city, k, ts, x, city || char(0) || 'z' AS nul FROM s;
CREATE SINK by_city FROM v INTO FILES 'out/bycity' FORMAT CSV PARTITION BY (city);
CREATE SINK everything FROM v INTO FILES 'out/all' FORMAT CSV WITH (roll_rows = 50);
CREATE SINK as_json FROM v INTO FILES 'out/json' FORMAT JSONL PARTITION BY (k, date(ts) AS day);
CREATE SINK with_city FROM v INTO FILES 'out/inc' FORMAT CSV PARTITION BY (city)
  WITH (include_partition_columns = true, csv_formula_guard = true);
""" % BROKERS)

db = sqlite3.connect("hostile.db")
db.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
# The view's rows as text, the way a CSV file holds them (NULL as '').
view = db.execute("SELECT coalesce(CAST(city AS TEXT), ''), CAST(k AS TEXT), CAST(ts AS TEXT), "
                  "CAST(x AS TEXT), coalesce(CAST(nul AS TEXT), '') FROM v ORDER BY rowid").fetchall()
check("the view holds every event", TOTAL, len(view))


def published(root, ext):
    files = sorted(glob.glob(os.path.join(root, "**", "part-*." + ext), recursive=True))
    hidden = [p for p in glob.glob(os.path.join(root, "**", ".*"), recursive=True)]
    return files, hidden


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# ---------------------------------------------------------------- every column, rolled
files, hidden = published("out/all", "csv")
check("no hidden file is left in a sink's directory", [], hidden)
rows, sizes = [], []
for p in files:
    header, body = read_csv(p)
    check_header = header == ["city", "k", "ts", "x", "nul"]
    if not check_header:
        check("header of %s" % p, ["city", "k", "ts", "x", "nul"], header)
    rows += [tuple(r) for r in body]
    sizes.append(len(body))
check("roll_rows = 50 makes files of 50 rows; the rest is published at exit",
      [50] * (TOTAL // 50) + [TOTAL % 50], sizes)
check("the published CSV files hold the view's rows, each once, in order", view, rows)
raw = open(files[0], "rb").read()
check("CSV records end with CRLF (RFC 4180)", True, raw.startswith(b"city,k,ts,x,nul\r\n"))
empty_city = [ln for ln in b"".join(open(p, "rb").read() for p in files).split(b"\r\n") if ln.startswith(b'"",')]
null_city = [ln for ln in b"".join(open(p, "rb").read() for p in files).split(b"\r\n") if ln.startswith(b",")]
check("the empty string is \"\" and NULL is an empty field", (40, 40), (len(empty_city), len(null_city)))

# ---------------------------------------------------------------- the stock sqlite3 shell reads them
imp = os.path.join(WORK, "import.db")
script = "".join(".import --csv %s%s t\n" % ("" if i == 0 else "--skip 1 ", p) for i, p in enumerate(files))
subprocess.run(["sqlite3", imp], input=script, text=True, check=True)
got = sqlite3.connect(imp).execute("SELECT count(*), sum(CAST(x AS REAL)), count(DISTINCT city) FROM t").fetchone()
want = db.execute("SELECT count(*), sum(x), count(DISTINCT coalesce(city, '')) FROM v").fetchone()
check("sqlite3 .import reads the same rows", want, got)

# ---------------------------------------------------------------- Hive partitions by city
root = os.path.realpath("out/bycity")
files, hidden = published("out/bycity", "csv")
check("no hidden file in the partitioned sink", [], hidden)
outside = [p for p in files if not os.path.realpath(p).startswith(root + os.sep)]
check("every file is under the sink's root", [], outside)


def unescape(s):
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        if b[i:i + 1] == b"%" and i + 2 < len(b) + 0 and all(c in b"0123456789ABCDEFabcdef" for c in b[i + 1:i + 3]) and len(b[i + 1:i + 3]) == 2:
            out.append(int(b[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(b[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


by_city = {}
for p in files:
    rel = os.path.relpath(p, "out/bycity")
    part = rel.split(os.sep)[0]
    check_prefix = part.startswith("city=")
    if not check_prefix:
        check("partition directory of %s" % p, "city=...", part)
    value = part[len("city="):]
    header, body = read_csv(p)
    if header != ["k", "ts", "x", "nul"]:
        check("partition column left out of %s" % p, ["k", "ts", "x", "nul"], header)
    by_city.setdefault(value, []).extend(tuple(r) for r in body)
check("one directory per distinct city", len(HOSTILE) - 1, len(by_city))  # None and '' share one
check("NULL and '' go to __HIVE_DEFAULT_PARTITION__", 80, len(by_city.get("__HIVE_DEFAULT_PARTITION__", [])))
check("'/' and '..' are escaped, not followed", True, "..%2F..%2Fetc" in by_city and "%2Fabs%2Fpath" in by_city)
long_dirs = [d for d in by_city if d.startswith("xxxx")]
check("a 3000-byte value is cut to fit a file name, with a hash", [True],
      [len(d.encode()) <= 220 and "~" in d for d in long_dirs])
exact = {c: sorted(r[1:] for r in view if r[0] == c) for c in set(r[0] for r in view)}
mismatch = []
for d, body in by_city.items():
    if d == "__HIVE_DEFAULT_PARTITION__" or d in long_dirs:
        continue
    city = unescape(d)
    if sorted(body) != exact.get(city):
        mismatch.append(city)
check("partition values round-trip through the path, rows through the files", [], mismatch)

# ---------------------------------------------------------------- include_partition_columns, formula guard
files, _ = published("out/inc", "csv")
rows = []
for p in files:
    header, body = read_csv(p)
    rows += [tuple(r) for r in body]
guarded = [r for r in rows if r[0].startswith("'=")]
check("csv_formula_guard neutralises =1+1", 40, len(guarded))
unguarded = [tuple(c[1:] if c.startswith("'=") else c for c in r) for r in rows]
check("with include_partition_columns the exact values are in the files", sorted(view), sorted(unguarded))

# ---------------------------------------------------------------- JSONL
files, _ = published("out/json", "jsonl")
objs = []
for p in files:
    part = os.path.relpath(os.path.dirname(p), "out/json")
    check_layout = part.startswith("k=") and "/day=2026-11-2" in part
    if not check_layout:
        check("JSONL partition layout of %s" % p, "k=N/day=YYYY-MM-DD", part)
    for line in open(p, encoding="utf-8"):
        objs.append(json.loads(line))
want = sorted(db.execute("SELECT city, k, ts, x, nul FROM v").fetchall(), key=repr)
got = sorted(((o["city"], o["ts"], o["x"], o["nul"]) for o in objs), key=repr)
check("JSONL lines parse and hold the rows, NUL bytes included (k is in the path)",
      [(c, t, x, nul) for c, k, t, x, nul in want], got)
check("numbers stay numbers in JSONL", True, all(isinstance(o["x"], float) for o in objs))

# ---------------------------------------------------------------- SHOW SINKS agrees with the disk
out = subprocess.run([KSQ, "hostile.db", "SHOW SINKS;"], capture_output=True, text=True, check=True).stdout
show = {ln.split("|")[0]: ln.split("|") for ln in out.splitlines()}
for name, root in (("by_city", "out/bycity"), ("everything", "out/all"), ("as_json", "out/json")):
    files = glob.glob(os.path.join(root, "**", "part-*"), recursive=True)
    size = sum(os.path.getsize(p) for p in files)
    check("SHOW SINKS %s: files, rows, bytes, nothing buffered" % name,
          [str(len(files)), str(TOTAL), str(size), "0"], show[name][5:9])

# ---------------------------------------------------------------- COMPACT
before = sorted(r for p in published("out/all", "csv")[0] for r in read_csv(p)[1])
out = subprocess.run([KSQ, "hostile.db", "COMPACT SINK everything;", "COMPACT SINK by_city;"],
                     capture_output=True, text=True, check=True).stdout.split()
files, hidden = published("out/all", "csv")
check("COMPACT reports the files merged and left", ["%d|1" % (TOTAL // 50 + 1)], out[:1])
check("COMPACT leaves one file", 1, len(files))
check("with the same rows", before, sorted(read_csv(files[0])[1]))
check("and nothing hidden", [], hidden)
dirs = {}
for p in published("out/bycity", "csv")[0]:
    dirs.setdefault(os.path.dirname(p), []).append(p)
check("COMPACT of a partitioned sink: one file per partition", {1}, set(len(v) for v in dirs.values()))

# ---------------------------------------------------------------- EXPORT
out = subprocess.run([KSQ, "hostile.db", "EXPORT v TO 'out/export.csv';"], capture_output=True, text=True,
                     check=True).stdout.strip()
check("EXPORT reports the rows", "%d|out/export.csv" % TOTAL, out)
header, body = read_csv("out/export.csv")
check("EXPORT writes the view as CSV", view, [tuple(r) for r in body])
print("# %d checks passed" % checks)
