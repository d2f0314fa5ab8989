#!/usr/bin/python3
"""sink_crash.py — a file sink across SIGKILL: every row once, no partial file.

    sink_crash.py BIN BROKERS WORKDIR KILLS

Runs a pipeline as a service (a filter view and a file sink partitioned by
city that rolls files every 100 rows or second) while events are produced,
kills it with SIGKILL at KILLS random moments and restarts it each time.
After every kill each visible file must be complete (it parses, and holds
the rows the manifest says). At the end a --exit-at-end run publishes the
rest, and the published files must hold exactly the view's rows, each once.
"""
import csv
import glob
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

BIN, BROKERS, WORK, KILLS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
EVENTS = 60000
rng = random.Random(11)
os.chdir(WORK)
ksq = os.path.join(BIN, "ksqlite")
with open("pipeline.sql", "w") as f:
    f.write("""
CREATE STREAM IF NOT EXISTS weather (city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL)
  WITH (topic = 'weather', brokers = '%s', timestamp = 'ts');
CREATE MATERIALIZED VIEW IF NOT EXISTS windy AS
  SELECT city, country, ts, temperature, windspeed FROM weather WHERE windspeed > 15;
CREATE SINK IF NOT EXISTS windy_files FROM windy INTO FILES 'out/windy' FORMAT CSV
  PARTITION BY (country, city) WITH (roll_rows = 100, roll_interval = '1 second');
""" % BROKERS)

gen = subprocess.Popen([os.path.join(BIN, "ksqlite-gen"), "--brokers", BROKERS, "--topic", "weather",
                        "--count", str(EVENTS), "--rate", "6000", "--eps", "200", "--seed", "5",
                        "--start", "2026-11-20T00:00:00Z", "--cities", "12"], stderr=subprocess.DEVNULL)


def committed():
    try:
        c = sqlite3.connect("crashed.db", timeout=5)
        n = c.execute("SELECT coalesce(max(events), 0) FROM ksq_view_state").fetchone()[0]
        c.close()
        return n
    except sqlite3.Error:
        return 0


def visible_files():
    return sorted(glob.glob("out/windy/**/part-*.csv", recursive=True))


def check_complete(when):
    """Every visible file parses and holds the rows its manifest entry says."""
    c = sqlite3.connect("crashed.db")
    manifest = dict(c.execute("SELECT path, rows FROM ksq_sink_files WHERE sink = 'windy_files'").fetchall())
    c.close()
    for p in visible_files():
        rel = os.path.relpath(p, "out/windy")
        with open(p, newline="") as f:
            rows = list(csv.reader(f))
        if rows[0] != ["ts", "temperature", "windspeed"]:
            sys.exit("%s: %s has no header" % (when, p))
        if rel not in manifest:
            sys.exit("%s: %s is visible but not recorded" % (when, p))
        if manifest[rel] != len(rows) - 1:
            sys.exit("%s: %s holds %d rows, recorded %d" % (when, p, len(rows) - 1, manifest[rel]))


mid = 0
for k in range(KILLS):
    before = committed()
    p = subprocess.Popen([ksq, "crashed.db", "-f", "pipeline.sql"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while committed() <= before and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.6))
    p.send_signal(signal.SIGKILL)
    p.wait()
    ok = sqlite3.connect("crashed.db").execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        sys.exit("integrity_check after kill %d: %s" % (k + 1, ok))
    check_complete("after kill %d" % (k + 1))
    done = committed()
    if 0 < done < EVENTS:
        mid += 1
    print("kill %d: %d events committed, %d files visible, all complete" % (k + 1, done, len(visible_files())))
gen.wait()
if gen.returncode != 0:
    sys.exit("the generator failed")

# Deterministic crashes at each step of a roll: more events, a run that dies
# at that point, then a check and a run that recovers.
produced = EVENTS
for i, point in enumerate(("sink-written", "sink-recorded", "sink-renamed")):
    subprocess.run([os.path.join(BIN, "ksqlite-gen"), "--brokers", BROKERS, "--topic", "weather", "--count",
                    "3000", "--seed", str(20 + i), "--start", "2026-11-21T0%d:00:00Z" % i, "--cities", "12"],
                   check=True, stderr=subprocess.DEVNULL)
    produced += 3000
    r = subprocess.run([ksq, "--exit-at-end", "crashed.db", "-f", "pipeline.sql"],
                       env=dict(os.environ, KSQLITE_CRASH_AT=point), stderr=subprocess.DEVNULL)
    if r.returncode != 137:
        sys.exit("the run did not stop at %s (exit %d)" % (point, r.returncode))
    check_complete("after a crash at %s" % point)
    print("crash at %s: every visible file complete" % point)
subprocess.run([ksq, "--exit-at-end", "crashed.db", "-f", "pipeline.sql"], check=True)
check_complete("at the end")

hidden = [p for p in glob.glob("out/windy/**/.*", recursive=True)]
c = sqlite3.connect("crashed.db")
view = sorted((country, city, ts, "%r" % t, "%r" % w) for city, country, ts, t, w in
              c.execute("SELECT city, country, ts, temperature, windspeed FROM windy"))
files = []
for p in visible_files():
    country, city = [part.split("=", 1)[1] for part in os.path.relpath(os.path.dirname(p), "out/windy").split(os.sep)]
    with open(p, newline="") as f:
        for ts, t, w in list(csv.reader(f))[1:]:
            files.append((country, city, ts, "%r" % float(t), "%r" % float(w)))
files.sort()
failures = 0
events = c.execute("SELECT events FROM ksq_view_state").fetchone()[0]
print("events counted once: %d of %d" % (events, produced))
if events != produced:
    failures += 1
if hidden:
    failures += 1
    print("FAIL: hidden files left: %s" % hidden[:5])
if files != view:
    failures += 1
    print("FAIL: %d rows in the files, %d in the view" % (len(files), len(view)))
else:
    print("ok - the published files hold the view's %d rows, each once, in %d files" % (len(view), len(visible_files())))
# A compaction that dies after recording its file, then recovers on open.
per_dir_before = len(set(os.path.dirname(p) for p in visible_files()))
r = subprocess.run([ksq, "crashed.db", "COMPACT SINK windy_files;"], env=dict(os.environ, KSQLITE_CRASH_AT="compact-recorded"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if r.returncode != 137:
    failures += 1
    print("FAIL: COMPACT did not stop at compact-recorded (exit %d)" % r.returncode)
subprocess.run([ksq, "crashed.db", "SELECT 1;"], check=True, stdout=subprocess.DEVNULL)  # recovery on open
check_complete("after a compaction crash")
rows_after_crash = []
for p in visible_files():
    with open(p, newline="") as f:
        rows_after_crash += [tuple(r) for r in list(csv.reader(f))[1:]]
if len(rows_after_crash) != len(view):
    failures += 1
    print("FAIL: after the compaction crash the files hold %d rows, not %d" % (len(rows_after_crash), len(view)))
subprocess.run([ksq, "crashed.db", "COMPACT SINK windy_files;"], check=True, stdout=subprocess.DEVNULL)
after = []
for p in visible_files():
    country, city = [part.split("=", 1)[1] for part in os.path.relpath(os.path.dirname(p), "out/windy").split(os.sep)]
    with open(p, newline="") as f:
        for ts, t, w in list(csv.reader(f))[1:]:
            after.append((country, city, ts, "%r" % float(t), "%r" % float(w)))
hidden = [p for p in glob.glob("out/windy/**/.*", recursive=True)] + glob.glob("out/.ksq*")
if sorted(after) != view or hidden or len(visible_files()) != per_dir_before:
    failures += 1
    print("FAIL: after the compaction crash: %d rows (want %d), %d files for %d partitions, hidden %s"
          % (len(after), len(view), len(visible_files()), per_dir_before, hidden[:3]))
else:
    print("ok - a compaction cut by a crash completes on open, a second one finishes: one file per partition, the same rows")
print("kills that landed mid-stream: %d" % mid)
if mid < 10:
    failures += 1
    print("FAIL: fewer than 10 kills landed while events were being processed")
sys.exit(1 if failures else 0)
