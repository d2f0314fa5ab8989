#!/usr/bin/python3
"""views_vs_batch.py — continuous views equal the same query run in batch.

    views_vs_batch.py BIN BROKERS WORKDIR SEED

Produces a random stream (several partitions, out of order within the
watermark delay, duplicate timestamps, gaps, empty windows, NULLs) with
Python's kafka client, runs ksqlite with TUMBLE, HOP and SESSION views, an
EMIT CHANGES view, a GROUP BY without window, a filter view and an
enrichment join, all with --exit-at-end --drain, then computes every view
with SQLite in batch over all the rows (windows assigned with plain SQL and
window functions) and compares them row for row. Exit status 1 on a
difference, with the first differences printed.
"""
import json
import math
import os
import random
import sqlite3
import subprocess
import sys

from kafka import KafkaProducer

BIN, BROKERS, WORK, SEED = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
TOPIC = "p%d" % SEED
PARTITIONS = 3
DELAY_MS = 3000          # the stream's watermark delay
JITTER_MS = 2500         # events arrive out of order by up to this much (< delay)
rng = random.Random(SEED)

# ---------------------------------------------------------------- the stream
events = []
t = 1795262400000  # 2026-11-21 12:00:00 UTC
for n in range(4000):
    step = rng.choice([0, 0, 7, 40, 250, 900, 2500])
    if rng.random() < 0.01:
        step += rng.randint(20000, 90000)  # a gap: empty windows
    t += step
    ts = t - rng.randint(0, JITTER_MS)
    events.append({
        "k": rng.choice(["a", "b", "c", "d", None]),
        "ts": ts,
        "x": None if rng.random() < 0.12 else round(rng.uniform(-20, 40), 2),
        "i": None if rng.random() < 0.12 else rng.randint(-5, 60),
        "s": rng.choice(["x", "y", "z", "w", None]),
        "p": rng.randrange(PARTITIONS),
    })
producer = KafkaProducer(bootstrap_servers=BROKERS, max_in_flight_requests_per_connection=1)
for e in events:
    payload = {k: e[k] for k in ("k", "ts", "x", "i", "s") if e[k] is not None or rng.random() < 0.5}
    producer.send(TOPIC, value=json.dumps(payload).encode(), partition=e["p"])
producer.flush()

# Offsets as the broker assigned them, read back with kcat.
out = subprocess.run(["kcat", "-C", "-b", BROKERS, "-t", TOPIC, "-e", "-q", "-f", "%p\t%o\t%s\n"],
                     check=True, capture_output=True, text=True).stdout
rows = []
for line in out.splitlines():
    p, o, v = line.split("\t", 2)
    d = json.loads(v)
    rows.append((d.get("k"), d["ts"], d.get("x"), d.get("i"), d.get("s"), int(p), int(o)))
assert len(rows) == len(events), "kcat read %d of %d events" % (len(rows), len(events))

# ---------------------------------------------------------------- ksqlite
AGGS = ("count(*) AS n, count(x) AS nx, sum(i) AS si, total(x) AS tx, avg(x) AS ax, min(x) AS mn, "
        "max(x) AS mx, count(DISTINCT i) AS di, group_concat(s) AS gs, stddev(x) AS sd, var_pop(x) AS vp, "
        "first(x) AS fx, last(x) AS lx, sum(i) FILTER (WHERE x > 0) AS sip")
# Without first/last, a HOP view computes its windows as one sliding frame
# over the panes (their merges have inverses): a second HOP view covers it.
SLIDE_AGGS = ("count(*) AS n, count(x) AS nx, sum(i) AS si, total(x) AS tx, avg(x) AS ax, min(x) AS mn, "
              "max(x) AS mx, count(DISTINCT i) AS di, group_concat(s) AS gs, stddev(x) AS sd, var_pop(x) AS vp, "
              "sum(i) FILTER (WHERE x > 0) AS sip")
script = """
CREATE STREAM s (k TEXT, ts TIMESTAMP, x REAL, i INTEGER, s TEXT)
  WITH (topic = '{topic}', brokers = '{brokers}', timestamp = 'ts', watermark = '{delay} milliseconds');
CREATE TABLE regions(k TEXT PRIMARY KEY, region TEXT);
INSERT INTO regions VALUES ('a', 'north'), ('b', 'north'), ('c', 'south');
CREATE MATERIALIZED VIEW v_tumble AS SELECT k, window_start, window_end, {aggs} FROM s GROUP BY k, TUMBLE(ts, '10 seconds');
CREATE MATERIALIZED VIEW v_hop AS SELECT k, window_start, window_end, {aggs} FROM s GROUP BY k, HOP(ts, '30 seconds', '10 seconds');
CREATE MATERIALIZED VIEW v_slide AS SELECT k, window_start, window_end, {slide_aggs} FROM s GROUP BY k, HOP(ts, '40 seconds', '10 seconds') HAVING count(*) > 3;
CREATE MATERIALIZED VIEW v_session AS SELECT k, window_start, window_end, {aggs} FROM s GROUP BY k, SESSION(ts, '2 seconds');
CREATE MATERIALIZED VIEW v_changes AS SELECT k, window_start, count(*) AS n, avg(x) AS ax FROM s GROUP BY k, TUMBLE(ts, '10 seconds') EMIT CHANGES;
CREATE MATERIALIZED VIEW v_group AS SELECT k, count(*) AS n, max(x) AS mx, avg(i) AS ai FROM s GROUP BY k HAVING count(*) > 5;
CREATE MATERIALIZED VIEW v_filter AS SELECT k, ts, x * 2 AS x2, CASE WHEN i > 30 THEN 'high' ELSE 'low' END AS level FROM s WHERE x > 10;
CREATE MATERIALIZED VIEW v_region AS SELECT r.region, window_start, count(*) AS n, sum(i) AS si
  FROM s JOIN regions r ON r.k = s.k GROUP BY r.region, TUMBLE(ts, '1 minute');
""".format(topic=TOPIC, brokers=BROKERS, delay=DELAY_MS, aggs=AGGS, slide_aggs=SLIDE_AGGS)
db = os.path.join(WORK, "views%d.db" % SEED)
subprocess.run([os.path.join(BIN, "ksqlite"), "--exit-at-end", "--drain", db], input=script, text=True, check=True)

# ---------------------------------------------------------------- the batch oracle
def fmt(ms):
    import datetime
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class Var:
    def __init__(self, kind):
        self.kind, self.v = kind, []

    def step(self, x):
        if x is not None:
            self.v.append(float(x))

    def finalize(self):
        n = len(self.v)
        if n == 0 or (self.kind == "samp" and n < 2):
            return None
        m = sum(self.v) / n
        ss = sum((a - m) ** 2 for a in self.v)
        return math.sqrt(ss / (n - 1)) if self.kind == "samp" else ss / n


class Pick:
    """first/last by (event time, partition, offset), NULLs skipped."""
    def __init__(self, last):
        self.last, self.best = last, None

    def step(self, x, ts, p, o):
        if x is None:
            return
        key = (ts, p, o)
        if self.best is None or (key > self.best[0] if self.last else key < self.best[0]):
            self.best = (key, x)

    def finalize(self):
        return None if self.best is None else self.best[1]


ora = sqlite3.connect(":memory:")
ora.create_aggregate("stddev_samp", 1, lambda: Var("samp"))
ora.create_aggregate("var_pop", 1, lambda: Var("pop"))
ora.create_aggregate("first_by", 4, lambda: Pick(False))
ora.create_aggregate("last_by", 4, lambda: Pick(True))
ora.execute("CREATE TABLE e(k, ts, x, i, s, p, o)")
ora.executemany("INSERT INTO e VALUES (?,?,?,?,?,?,?)", rows)
ora.execute("CREATE TABLE regions(k TEXT PRIMARY KEY, region TEXT)")
ora.execute("INSERT INTO regions VALUES ('a', 'north'), ('b', 'north'), ('c', 'south')")
ora.execute("CREATE TABLE seq(j)")
ora.executemany("INSERT INTO seq VALUES (?)", [(j,) for j in range(10)])
OAGGS = ("count(*), count(x), sum(i), total(x), avg(x), min(x), max(x), count(DISTINCT i), group_concat(s), "
         "stddev_samp(x), var_pop(x), first_by(x, ts, p, o), last_by(x, ts, p, o), "
         "sum(CASE WHEN x > 0 THEN i END)")
oracle = {
    "v_tumble": "SELECT k, ws, ws + 10000, %s FROM (SELECT *, ts - ((ts %% 10000) + 10000) %% 10000 AS ws FROM e) "
                "GROUP BY k, ws" % OAGGS,
    "v_hop": "SELECT k, ws, ws + 30000, %s FROM (SELECT e.*, (ts - ((ts %% 10000) + 10000) %% 10000) - j * 10000 AS ws "
             "FROM e, seq WHERE j < 3) GROUP BY k, ws" % OAGGS,
    "v_slide": "SELECT k, ws, ws + 40000, count(*), count(x), sum(i), total(x), avg(x), min(x), max(x), "
               "count(DISTINCT i), group_concat(s), stddev_samp(x), var_pop(x), sum(CASE WHEN x > 0 THEN i END) "
               "FROM (SELECT e.*, (ts - ((ts % 10000) + 10000) % 10000) - j * 10000 AS ws "
               "FROM e, seq WHERE j < 4) GROUP BY k, ws HAVING count(*) > 3",
    "v_session": "SELECT k, min(ts), max(ts) + 2000, %s FROM (SELECT *, sum(brk) OVER (PARTITION BY k ORDER BY ts, p, o) "
                 "AS sid FROM (SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY k ORDER BY ts, p, o) < 2000 THEN 0 "
                 "ELSE 1 END AS brk FROM e)) GROUP BY k, sid" % OAGGS,
    "v_changes": "SELECT k, ws, count(*), avg(x) FROM (SELECT *, ts - ((ts % 10000) + 10000) % 10000 AS ws FROM e) "
                 "GROUP BY k, ws",
    "v_group": "SELECT k, count(*), max(x), avg(i) FROM e GROUP BY k HAVING count(*) > 5",
    "v_filter": "SELECT k, ts, x * 2, CASE WHEN i > 30 THEN 'high' ELSE 'low' END FROM e WHERE x > 10",
    "v_region": "SELECT r.region, ws, count(*), sum(i) FROM (SELECT *, ts - ((ts % 60000) + 60000) % 60000 AS ws FROM e) "
                "AS e JOIN regions r ON r.k = e.k GROUP BY r.region, ws",
}
# Which oracle columns are window times (ms -> text), and group_concat (compared as a multiset).
TIME_COLS = {"v_tumble": (1, 2), "v_hop": (1, 2), "v_slide": (1, 2), "v_session": (1, 2), "v_changes": (1,), "v_region": (1,), "v_filter": (1,)}
GC_COL = {"v_tumble": 11, "v_hop": 11, "v_slide": 11, "v_session": 11}


def norm(view, row, from_oracle):
    row = list(row)
    if from_oracle:
        for c in TIME_COLS.get(view, ()):
            row[c] = fmt(row[c])
    c = GC_COL.get(view)
    if c is not None and row[c] is not None:
        row[c] = ",".join(sorted(row[c].split(",")))
    return row


def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


got_db = sqlite3.connect(db)
failures = 0
for view, sql in oracle.items():
    want = sorted((norm(view, r, True) for r in ora.execute(sql)), key=repr)
    got = sorted((norm(view, r, False) for r in got_db.execute('SELECT * FROM "%s"' % view)), key=repr)
    bad = len(want) != len(got) or any(len(a) != len(b) or not all(close(x, y) for x, y in zip(a, b))
                                       for a, b in zip(want, got))
    if bad:
        failures += 1
        print("FAIL %s: %d rows expected, %d found" % (view, len(want), len(got)))
        shown = 0
        for a, b in zip(want, got):
            if len(a) != len(b) or not all(close(x, y) for x, y in zip(a, b)):
                print("  expected", a, "\n  found   ", b)
                shown += 1
                if shown == 3:
                    break
    else:
        print("ok - %s: %d rows equal the batch query" % (view, len(want)))
for view in ("v_tumble", "v_hop", "v_slide", "v_session", "v_filter"):
    counted = got_db.execute("SELECT rows FROM ksq_view_state WHERE view = ?", (view,)).fetchone()[0]
    stored = got_db.execute('SELECT count(*) FROM "%s"' % view).fetchone()[0]
    if counted != stored:
        failures += 1
        print("FAIL %s: SHOW VIEWS counts %d rows emitted, the table holds %d" % (view, counted, stored))
late = got_db.execute("SELECT count(*) FROM ksq_late").fetchone()[0]
dead = got_db.execute("SELECT count(*) FROM ksq_dead_letters").fetchone()[0]
if late or dead:
    failures += 1
    print("FAIL: %d late events and %d dead letters, expected none" % (late, dead))
ok = got_db.execute("PRAGMA integrity_check").fetchone()[0]
if ok != "ok":
    failures += 1
    print("FAIL: integrity_check:", ok)
sys.exit(1 if failures else 0)
