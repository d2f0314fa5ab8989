#!/usr/bin/python3
"""crash_run.py — exactly once across SIGKILL.

    crash_run.py BIN BROKERS WORKDIR KILLS

Runs a pipeline as a service while 200,000 events are produced, kills it
with SIGKILL at KILLS random moments (restarting it each time), lets it
finish with --exit-at-end --drain, and compares every view with an
uninterrupted run over the same topic. PRAGMA integrity_check must be ok
after every kill.
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

BIN, BROKERS, WORK, KILLS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
EVENTS = 200000
rng = random.Random(7)
script = os.path.join(WORK, "pipeline.sql")
with open(script, "w") as f:
    f.write("""
CREATE STREAM IF NOT EXISTS weather (city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL, humidity INTEGER)
  WITH (topic = 'weather', brokers = '%s', timestamp = 'ts', watermark = '5 seconds');
CREATE MATERIALIZED VIEW IF NOT EXISTS m_tumble AS SELECT city, window_start, count(*) AS n, avg(temperature) AS t,
  max(windspeed) AS w, stddev(temperature) AS sd FROM weather GROUP BY city, TUMBLE(ts, '1 minute');
CREATE MATERIALIZED VIEW IF NOT EXISTS m_hop AS SELECT country, window_start, count(*) AS n, min(temperature) AS lo
  FROM weather GROUP BY country, HOP(ts, '5 minutes', '1 minute');
CREATE MATERIALIZED VIEW IF NOT EXISTS m_session AS SELECT city, window_start, window_end, count(*) AS n
  FROM weather WHERE windspeed > 20 GROUP BY city, SESSION(ts, '30 seconds');
CREATE MATERIALIZED VIEW IF NOT EXISTS m_total AS SELECT city, count(*) AS n, sum(humidity) AS h FROM weather GROUP BY city;
CREATE MATERIALIZED VIEW IF NOT EXISTS m_windy AS SELECT city, ts, windspeed FROM weather WHERE windspeed > 30;
""" % BROKERS)
ksq = os.path.join(BIN, "ksqlite")
db = os.path.join(WORK, "crashed.db")

# Produce in the background, paced, so the service consumes while we kill it.
gen = subprocess.Popen([os.path.join(BIN, "ksqlite-gen"), "--brokers", BROKERS, "--topic", "weather", "--count",
                        str(EVENTS), "--rate", "15000", "--eps", "200", "--seed", "3", "--jitter", "3000",
                        "--start", "2026-11-20T00:00:00Z", "--cities", "40"], stderr=subprocess.DEVNULL)
def committed():
    try:
        c = sqlite3.connect(db, timeout=5)
        n = c.execute("SELECT coalesce(max(events), 0) FROM ksq_view_state").fetchone()[0]
        c.close()
        return n
    except sqlite3.OperationalError:
        return 0


mid = 0
for k in range(KILLS):
    before = committed()
    p = subprocess.Popen([ksq, db, "-f", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill at a random moment once this run is committing batches, so the
    # kill lands mid-stream rather than during start-up.
    deadline = time.monotonic() + 20
    while committed() <= before and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.25))
    p.send_signal(signal.SIGKILL)
    p.wait()
    c = sqlite3.connect(db)
    ok = c.execute("PRAGMA integrity_check").fetchone()[0]
    c.close()
    done = committed()
    if ok != "ok":
        sys.exit("integrity_check after kill %d: %s" % (k + 1, ok))
    if 0 < done < EVENTS:
        mid += 1
    print("kill %d: %d events committed, integrity ok" % (k + 1, done))
gen.wait()
if gen.returncode != 0:
    sys.exit("the generator failed")
subprocess.run([ksq, "--exit-at-end", "--drain", db, "-f", script], check=True)
ref = os.path.join(WORK, "reference.db")
subprocess.run([ksq, "--exit-at-end", "--drain", ref, "-f", script], check=True)

a, b = sqlite3.connect(db), sqlite3.connect(ref)
failures = 0
for view in ("m_tumble", "m_hop", "m_session", "m_total", "m_windy"):
    x = sorted(a.execute("SELECT * FROM %s" % view).fetchall(), key=repr)
    y = sorted(b.execute("SELECT * FROM %s" % view).fetchall(), key=repr)
    if x != y:
        failures += 1
        print("FAIL %s: %d rows after kills, %d uninterrupted" % (view, len(x), len(y)))
    else:
        print("ok - %s: %d rows identical to the uninterrupted run" % (view, len(x)))
n = a.execute("SELECT sum(n) FROM m_total").fetchone()[0]
print("events counted once: %s of %d" % (n, EVENTS))
if n != EVENTS:
    failures += 1
print("kills that landed mid-stream: %d" % mid)
if mid < 10:
    failures += 1
    print("FAIL: fewer than 10 kills landed while events were being processed")
sys.exit(1 if failures else 0)
