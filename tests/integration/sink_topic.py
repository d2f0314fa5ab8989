#!/usr/bin/python3
"""sink_topic.py — topic sinks: every row a view emits reaches the topic, at
least once, and the (ksqlite-sink, ksqlite-seq) headers let a consumer drop
the repeats exactly.

    sink_topic.py BIN BROKERS WORKDIR

Events come from ksqlite-gen; the topics are read back with kcat (headers
and keys included) and compared with the view's rows.
"""
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys

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


def gen(count, seed, start):
    subprocess.run([os.path.join(BIN, "ksqlite-gen"), "--brokers", BROKERS, "--topic", "weather", "--count",
                    str(count), "--seed", str(seed), "--start", start, "--cities", "8"],
                   check=True, stderr=subprocess.DEVNULL)


def consume(topic):
    """(key, headers dict, value) of every message, with kcat."""
    out = subprocess.run(["kcat", "-C", "-b", BROKERS, "-t", topic, "-e", "-q", "-f", "%k\x1f%h\x1f%s\x1e"],
                         check=True, capture_output=True).stdout.decode()
    msgs = []
    for rec in out.split("\x1e")[:-1]:
        key, hdrs, val = rec.split("\x1f")
        h = dict(kv.split("=", 1) for kv in hdrs.split(",") if kv)
        msgs.append((key, h, val))
    # Partitions are read one after the other: put the messages back in the
    # order they were produced (stable, so repeats follow their first copy).
    return sorted(msgs, key=lambda m: int(m[1].get("ksqlite-seq", 0)))


SCRIPT = """
CREATE STREAM IF NOT EXISTS weather (city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL)
  WITH (topic = 'weather', brokers = '%s', timestamp = 'ts');
CREATE MATERIALIZED VIEW IF NOT EXISTS windy AS
  SELECT city, country, ts, temperature, windspeed FROM weather WHERE windspeed > 25;
CREATE SINK IF NOT EXISTS windy_json FROM windy INTO TOPIC 'windy_json' FORMAT JSON KEY city;
CREATE SINK IF NOT EXISTS windy_csv FROM windy INTO TOPIC 'windy_csv' FORMAT CSV KEY country;
""" % BROKERS


def run(env=None):
    return subprocess.run([KSQ, "--exit-at-end", "topic.db"], input=SCRIPT, text=True,
                          env=dict(os.environ, **(env or {})), stderr=subprocess.DEVNULL).returncode


def view_rows():
    c = sqlite3.connect("topic.db")
    return c.execute("SELECT city, country, ts, temperature, windspeed FROM windy ORDER BY rowid").fetchall()


gen(4000, 1, "2026-11-21T10:00:00Z")
check("the first run exits 0", 0, run())
rows = view_rows()
msgs = consume("windy_json")
check("every row of the view is a message", len(rows), len(msgs))
check("keyed by the KEY column", [r[0] for r in rows], [m[0] for m in msgs])
check("values are the rows as JSON objects",
      [dict(zip(("city", "country", "ts", "temperature", "windspeed"), r)) for r in rows],
      [json.loads(m[2]) for m in msgs])
check("headers name the sink and number the rows",
      [("windy_json", str(i + 1)) for i in range(len(rows))],
      [(m[1].get("ksqlite-sink"), m[1].get("ksqlite-seq")) for m in msgs])
csv_msgs = consume("windy_csv")
check("a CSV topic sink: one record per message, keyed by country", [r[1] for r in rows],
      [m[0] for m in csv_msgs])
parsed = [next(csv.reader(io.StringIO(m[2]))) for m in csv_msgs]
check("whose values parse as CSV with the row's fields", [(r[0], r[1], r[2]) for r in rows],
      [tuple(p[:3]) for p in parsed])

# More events, and a run that dies after the brokers acknowledged a chunk
# but before the outbox recorded it: those rows are sent again.
gen(3000, 2, "2026-11-21T11:00:00Z")
check("a run killed after the acknowledgement", 137, run({"KSQLITE_CRASH_AT": "topic-acked"}))
check("the next run exits 0", 0, run())
rows = view_rows()
msgs = consume("windy_json")
seqs = [int(m[1]["ksqlite-seq"]) for m in msgs]
check("some rows were delivered twice", True, len(msgs) > len(rows))
dedup = {}
for m in msgs:
    dedup.setdefault((m[1]["ksqlite-sink"], m[1]["ksqlite-seq"]), m)
check("dropping repeated (sink, seq) leaves exactly the view's rows, in order",
      [dict(zip(("city", "country", "ts", "temperature", "windspeed"), r)) for r in rows],
      [json.loads(dedup[k][2]) for k in sorted(dedup, key=lambda k: int(k[1]))])
check("and a repeat is the very same message", True,
      all(m[2] == dedup[(m[1]["ksqlite-sink"], m[1]["ksqlite-seq"])][2] for m in msgs))
check("seq numbers run from 1 to the number of rows", list(range(1, len(rows) + 1)), sorted(set(seqs)))
out = subprocess.run([KSQ, "topic.db", "SHOW SINKS;"], capture_output=True, text=True, check=True).stdout
sent = {ln.split("|")[0]: ln.split("|")[6] for ln in out.splitlines()}
check("SHOW SINKS counts each row delivered once", str(len(rows)), sent["windy_json"])
out = subprocess.run([KSQ, "topic.db", "DROP SINK windy_csv;", "SHOW SINKS;"], capture_output=True, text=True,
                     check=True).stdout
check("DROP SINK", ["windy_json"], [ln.split("|")[0] for ln in out.splitlines()])
print("# %d checks passed" % checks)
