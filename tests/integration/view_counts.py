#!/usr/bin/python3
"""view_counts.py — exact counts of late events, dead letters, idle
partitions and a future-stamped event.

    view_counts.py BIN BROKERS WORKDIR

Each scenario produces a known sequence with Python's kafka client and
checks the exact rows of ksq_late, ksq_dead_letters and the views.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from kafka import KafkaProducer

BIN, BROKERS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
KSQ = os.path.join(BIN, "ksqlite")
SLOW = int(os.environ.get("KSQ_SLOW", "1"))  # waits scale under valgrind (lib.sh)
producer = KafkaProducer(bootstrap_servers=BROKERS, max_in_flight_requests_per_connection=1)
checks = 0


def check(what, want, got):
    global checks
    checks += 1
    if want != got:
        print("FAIL: %s\n  expected: %r\n  actual:   %r" % (what, want, got))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


def send(topic, payloads, partition=0):
    for p in payloads:
        producer.send(topic, value=p if isinstance(p, bytes) else json.dumps(p).encode(), partition=partition)
    producer.flush()


def run(db, script, *flags):
    subprocess.run([KSQ, *flags, db], input=script, text=True, check=True)
    return sqlite3.connect(db)


# ------------------------------------------------------------ late events
# One partition, so the order is fixed. watermark 2 s, windows of 10 s.
B = 1795262400000  # 2026-11-21 12:00:00
order = [0, 5, 12, 3, 15, 25, 11, 19, 21, 8]  # seconds after B
send("late", [{"ts": B + s * 1000, "v": s} for s in order])
db = run(os.path.join(WORK, "late.db"), """
CREATE STREAM s (ts TIMESTAMP, v INTEGER) WITH (topic = 'late', brokers = '%s', timestamp = 'ts', watermark = '2 seconds');
CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) AS n, group_concat(v) AS vs FROM s GROUP BY TUMBLE(ts, '10 seconds');
""" % BROKERS, "--exit-at-end", "--drain")
# 12 s makes the watermark 10 s, closing [0,10): 3 s is late; 25 s makes it
# 23 s, closing [10,20): 11 s and 19 s are late, and so is 8 s.
check("late events, by offset", [(3, "2026-11-21 12:00:03.000", "2026-11-21 12:00:10.000"),
                                 (6, "2026-11-21 12:00:11.000", "2026-11-21 12:00:23.000"),
                                 (7, "2026-11-21 12:00:19.000", "2026-11-21 12:00:23.000"),
                                 (9, "2026-11-21 12:00:08.000", "2026-11-21 12:00:23.000")],
      db.execute("SELECT offset, event_time, watermark FROM ksq_late ORDER BY offset").fetchall())
check("windows hold only the events in time",
      [("2026-11-21 12:00:00.000", 2, "0,5"), ("2026-11-21 12:00:10.000", 2, "12,15"),
       ("2026-11-21 12:00:20.000", 2, "25,21")],
      db.execute("SELECT window_start, n, vs FROM w ORDER BY 1").fetchall())
check("SHOW VIEWS counts them", (10, 6, 4),
      db.execute("SELECT events + late, events, late FROM ksq_view_state").fetchone())
check("late payloads are kept", json.dumps({"ts": B + 3000, "v": 3}).encode(),
      db.execute("SELECT payload FROM ksq_late WHERE offset = 3").fetchone()[0])

# ------------------------------------------------------------ dead letters
msgs = [
    {"ts": B, "city": "Oslo", "t": 1.5},               # 0 good
    b"not json",                                        # 1
    {"ts": B + 1000, "city": "Oslo", "t": "warm"},     # 2 wrong type
    {"city": "Oslo", "t": 2.0},                         # 3 no event time
    {"ts": "yesterday", "city": "Oslo", "t": 2.0},     # 4 bad event time
    b"",                                                # 5 empty
    {"ts": B + 2000, "city": "Rome", "t": 20},         # 6 good
    b'{"ts": 1, "city": ',                              # 7 truncated
    {"ts": B + 3000, "city": "Rome", "t": None},       # 8 good (NULL is a value)
]
send("dead", msgs)
db = run(os.path.join(WORK, "dead.db"), """
CREATE STREAM strict (ts TIMESTAMP, city TEXT, t REAL) WITH (topic = 'dead', brokers = '%s', timestamp = 'ts');
CREATE STREAM lenient (ts TIMESTAMP, city TEXT, t REAL) WITH (topic = 'dead', brokers = '%s', timestamp = 'ts', on_error = 'null');
CREATE MATERIALIZED VIEW ok_strict AS SELECT city, count(*) AS n, count(t) AS nt FROM strict GROUP BY city;
CREATE MATERIALIZED VIEW ok_lenient AS SELECT city, count(*) AS n, count(t) AS nt FROM lenient GROUP BY city;
""" % (BROKERS, BROKERS), "--exit-at-end")
rows = db.execute("SELECT offset, stage, error FROM ksq_dead_letters WHERE stream = 'strict' ORDER BY offset").fetchall()
check("strict: the dead letters' offsets", [1, 2, 3, 4, 5, 7], [r[0] for r in rows])
check("strict: their stages", ["decode"] * 6, [r[1] for r in rows])
check("strict: their errors say what is wrong",
      ["not JSON", "column t: expected REAL", "event time column ts is missing", "column ts: expected TIMESTAMP",
       "empty payload", "not JSON"],
      [r[2][:len(p)] for r, p in zip(rows, ["not JSON", "column t: expected REAL", "event time column ts is missing",
                                             "column ts: expected TIMESTAMP", "empty payload", "not JSON"])])
check("strict: the good events are counted", [("Oslo", 1, 1), ("Rome", 2, 1)],
      db.execute("SELECT * FROM ok_strict ORDER BY city").fetchall())
check("dead letters keep topic, partition and payload", ("dead", 0, b"not json"),
      db.execute("SELECT topic, partition, payload FROM ksq_dead_letters WHERE stream = 'strict' AND offset = 1").fetchone())
check("on_error = 'null' keeps a wrong-typed row, not one without event time", [1, 3, 4, 5, 7],
      [r[0] for r in db.execute("SELECT offset FROM ksq_dead_letters WHERE stream = 'lenient' ORDER BY offset")])
check("on_error = 'null': the kept row has a NULL value", [("Oslo", 2, 1), ("Rome", 2, 1)],
      db.execute("SELECT * FROM ok_lenient ORDER BY city").fetchall())
check("SHOW STREAMS counts dead letters", [("lenient", 5), ("strict", 6)],
      db.execute("SELECT name, (SELECT count(*) FROM ksq_dead_letters d WHERE d.stream = s.name) FROM ksq_streams s "
                 "ORDER BY 1").fetchall())

# ------------------------------------------------------------ a future-stamped event
now = int(time.time() * 1000)
F = now - now % 60000 - 3600000  # an hour ago, on a minute
future = [{"ts": F + s * 1000} for s in range(0, 120, 10)]  # 12 events over 2 minutes
future.insert(5, {"ts": now + 10 * 86400000})                 # one clock 10 days ahead
send("future", future)
db = run(os.path.join(WORK, "future.db"), """
CREATE STREAM s (ts TIMESTAMP) WITH (topic = 'future', brokers = '%s', timestamp = 'ts', watermark = '5 seconds', max_future = '1 hour');
CREATE MATERIALIZED VIEW m AS SELECT window_start, count(*) AS n FROM s GROUP BY TUMBLE(ts, '1 minute');
""" % BROKERS, "--exit-at-end")
check("the future-stamped event is a dead letter", [(5, "event time")],
      db.execute("SELECT offset, stage FROM ksq_dead_letters").fetchall())
check("and does not close every window: only the first minute closed", [(6,)],
      db.execute("SELECT n FROM m").fetchall())
check("nothing else is late", 0, db.execute("SELECT count(*) FROM ksq_late").fetchone()[0])

# ------------------------------------------------------------ idle partitions
# Partitions 0 and 1 get events, partition 2 never does. Event times are a
# few minutes ahead of the wall clock so that the wall clock cannot close
# these windows. While events keep trickling into partitions 0 and 1, only
# partition 2 can go idle: with a short idle_timeout it stops holding the
# watermark back, which becomes min(59 s, 29 s) - 1 s = 28 s and closes two
# windows; with a long one it holds the watermark (and every window) back.
# Once the trickle stops every partition goes idle: nothing more is coming,
# and the watermark moves to the most advanced partition's, 58 s.
I = now - now % 60000 + 300000
send("idle", [{"ts": I + s * 1000} for s in range(60)], partition=0)
send("idle", [{"ts": I + s * 1000} for s in range(30)], partition=1)


def trickle(n):
    """n more events in each of partitions 0 and 1, at their last event time."""
    for _ in range(n):
        producer.send("idle", value=json.dumps({"ts": I + 59000}).encode(), partition=0)
        producer.send("idle", value=json.dumps({"ts": I + 29000}).encode(), partition=1)
        producer.flush()
        time.sleep(0.1)


def poll(path, query, want, seconds):
    """Poll a running view's database until query gives want (or time out)."""
    deadline = time.time() + seconds
    got = None
    while time.time() < deadline:
        try:
            c = sqlite3.connect(path)
            got = c.execute(query).fetchone()[0]
            c.close()
        except sqlite3.Error:
            pass
        if got == want:
            break
        time.sleep(0.1)
    return got


sent = 90
for name, timeout, want in (("short", "2 seconds", 2), ("long", "1 hour", 0)):
    path = os.path.join(WORK, "idle_%s.db" % name)
    script = os.path.join(WORK, "idle_%s.sql" % name)
    with open(script, "w") as f:
        f.write("CREATE STREAM s (ts TIMESTAMP) WITH (topic = 'idle', brokers = '%s', timestamp = 'ts', "
                "watermark = '1 second', idle_timeout = '%s');\n"
                "CREATE MATERIALIZED VIEW m AS SELECT window_start, count(*) AS n FROM s GROUP BY TUMBLE(ts, '10 seconds');\n"
                % (BROKERS, timeout))
    p = subprocess.Popen([KSQ, path, "-f", script])
    # Trickle until the service has taken what was there and partition 2 has
    # been silent for well over the short timeout.
    trickle(40)
    sent += 80
    got = poll(path, "SELECT count(*) FROM m", want, 20 * SLOW)
    check("idle_timeout %s, partitions 0 and 1 active: windows closed" % timeout, want, got)
    if name == "long":
        trickle(10)  # still active; the long timeout keeps every window open
        sent += 20
        check("idle_timeout 1 hour: still none closed", 0,
              poll(path, "SELECT count(*) FROM m", -1, 1.5))
    else:
        check("idle_timeout 2 seconds, all partitions idle: the watermark is the most advanced one's", 5,
              poll(path, "SELECT count(*) FROM m", 5, 20 * SLOW))
    check("idle_timeout %s: every event read and committed" % timeout, sent,
          poll(path, "SELECT events FROM ksq_view_state", sent, 20 * SLOW))
    p.send_signal(signal.SIGTERM)
    check("idle_timeout %s: SIGTERM exits 0" % timeout, 0, p.wait(timeout=20 * SLOW))
db = run(os.path.join(WORK, "idle_long.db"), "", "--exit-at-end", "--drain")
check("after --drain every window is there", 6,
      db.execute("SELECT count(*) FROM m").fetchone()[0])
check("with every event once", sent, db.execute("SELECT sum(n) FROM m").fetchone()[0])
print("# %d checks passed" % checks)
