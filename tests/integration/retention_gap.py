#!/usr/bin/python3
"""retention_gap.py — offsets a view stored that the topic no longer holds.

    retention_gap.py BIN BROKERS WORKDIR

A view reads 1,000 events; then 8,000 more of about 1 KB make the mock
cluster's retention (5 MiB a partition) delete the oldest, past the view's
offset. The next run must stop with the exact missing range (not silently
jump), leave the view's results as they were, and after ALTER STREAM ...
SET (on_gap = 'skip') go on from the first offset still held, recording
the gap in ksq_gaps.
"""
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


producer = KafkaProducer(bootstrap_servers=BROKERS, linger_ms=5)
PAD = "x" * 1000


def produce(start, n):
    for i in range(start, start + n):
        producer.send("gap", value=json.dumps({"i": i, "ts": 1795262400000 + i * 1000, "pad": PAD}).encode(),
                      partition=0)
    producer.flush()


def first_offset():
    out = subprocess.run(["kcat", "-C", "-b", BROKERS, "-t", "gap", "-p", "0", "-o", "beginning", "-c", "1",
                          "-f", "%o\n"], capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def run(*args):
    return subprocess.run([KSQ, *args], capture_output=True, text=True)


produce(0, 1000)
r = run("g.db", "CREATE STREAM s (i INTEGER, ts TIMESTAMP) WITH (topic = 'gap', brokers = '%s', timestamp = 'ts');"
        % BROKERS, "CREATE MATERIALIZED VIEW n AS SELECT count(*) AS events, sum(i) AS si FROM s;")
check("stream and view created", 0, r.returncode)
check("the first run reads 1000 events", 0, run("--exit-at-end", "g.db").returncode)
db = sqlite3.connect("g.db")
check("the view holds them", (1000, sum(range(1000))), db.execute("SELECT events, si FROM n").fetchone())

produce(1000, 8000)
low = first_offset()
check("the mock's retention deleted offsets past the view's 1000", True, low > 1000)

r = run("--exit-at-end", "g.db")
gap = "offsets 1000 to %d (%d messages) were removed by the topic's retention" % (low - 1, low - 1000)
check("the next run fails (exit 1)", 1, r.returncode)
check("naming the exact missing range", True, gap in r.stderr)
check("and the way on", True, "ALTER STREAM s SET (on_gap = 'skip')" in r.stderr)
db = sqlite3.connect("g.db")
check("the view is stopped with that error", ["failed", True],
      [v.split("|")[4] == "failed" and "failed" for v in run("g.db", "SHOW VIEWS;").stdout.splitlines()][:1] +
      [gap in run("g.db", "SHOW VIEWS;").stdout])
check("its results are as they were, nothing skipped silently", (1000, sum(range(1000))),
      db.execute("SELECT events, si FROM n").fetchone())
check("its offset did not move", 1000, db.execute("SELECT next_offset FROM ksq_progress").fetchone()[0])

r = run("g.db", "ALTER STREAM s SET (on_gap = 'skip');")
check("ALTER STREAM s SET (on_gap = 'skip')", (0, ""), (r.returncode, r.stderr))
r = run("--exit-at-end", "g.db")
check("the run after it goes on (exit 0)", 0, r.returncode)
check("and says what it skipped", True, "offsets 1000 to %d" % (low - 1) in r.stderr)
db = sqlite3.connect("g.db")
check("the gap is recorded in ksq_gaps", [("s", "n", "gap", 0, 1000, low - 1, low - 1000)],
      db.execute("SELECT stream, view, topic, partition, from_offset, to_offset, messages FROM ksq_gaps").fetchall())
held = list(range(low, 9000))
check("the view counted the events before the gap and those still held, once each",
      (1000 + len(held), sum(range(1000)) + sum(held)), db.execute("SELECT events, si FROM n").fetchone())
check("SHOW VIEWS: running again", "running", run("g.db", "SHOW VIEWS;").stdout.split("|")[4])
r = run("g.db", "ALTER STREAM s SET (watermark = '1 second');")
check("ALTER STREAM refuses options that would change results", True,
      r.returncode == 1 and "ALTER STREAM can set on_gap, idle_timeout, stall_timeout and max_future" in r.stderr)
r = run("g.db", "ALTER STREAM s SET (on_gap = 'sometimes');")
check("and bad values", True, r.returncode == 1 and "on_gap must be 'stop' or 'skip'" in r.stderr)
print("# %d checks passed" % checks)
