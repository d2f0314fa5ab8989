#!/usr/bin/python3
"""disk_faults.py — a full disk and a read-only sink directory under a running service.

    disk_faults.py BIN BROKERS WORKDIR

A service runs a TUMBLE view, a running total and a filter view with a file
sink while events are produced (ksqlite-gen, paced). Then:

1. Full disk for SQLite: the service's file size limit (RLIMIT_FSIZE, set on
   the running process with prlimit; SIGXFSZ ignored) drops to 64 KB, so
   every write of the database and WAL past it fails with EFBIG. The service
   must log a clear error and keep retrying, commit nothing meanwhile, and
   leave the database consistent (a reader sees offsets that match the
   committed results, sink rows once); once the limit is lifted it goes on.
2. A read-only sink directory: the sink's tree is made immutable
   (chattr +i, which stops root too); where the file system cannot do that,
   a regular file takes the directory's place. The sink must say 'retrying'
   with the error, keep its rows buffered while the views go on, and publish
   them once the directory is writable again. A stop meanwhile exits 1 and
   keeps the rows buffered.
3. Full disk for the sink: a run (--exit-at-end) limited to 256 KB must fail
   with a clear error when the sink's file passes the limit, leaving the
   rows buffered and nothing hidden or partial; an unlimited run publishes
   them.

At the end the views equal an uninterrupted run and the sink's files hold
every row of its view exactly once.
"""
import csv
import glob
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from view_compare import compare_views

BIN, BROKERS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
ksq = os.path.join(BIN, "ksqlite")
SLOW = int(os.environ.get("KSQ_SLOW", "1"))  # waits scale under valgrind (lib.sh)
os.chdir(WORK)
VIEWS = ("d_tumble", "d_total", "d_windy")
children = []
INF = resource.RLIM_INFINITY


def die(msg):
    print("FAIL: " + msg)
    for p in children:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


PIPELINE = """
CREATE STREAM IF NOT EXISTS weather (city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL, humidity INTEGER)
  WITH (topic = 'weather', brokers = '%s', timestamp = 'ts', watermark = '10 seconds', idle_timeout = '1 hour');
CREATE MATERIALIZED VIEW IF NOT EXISTS d_tumble AS SELECT city, window_start, count(*) AS n, avg(temperature) AS t
  FROM weather GROUP BY city, TUMBLE(ts, '2 seconds');
CREATE MATERIALIZED VIEW IF NOT EXISTS d_total AS SELECT city, count(*) AS n, sum(humidity) AS h FROM weather GROUP BY city;
CREATE MATERIALIZED VIEW IF NOT EXISTS d_windy AS SELECT city, country, ts, windspeed FROM weather WHERE windspeed > 15;
CREATE SINK IF NOT EXISTS windy_files FROM d_windy INTO FILES '%s' FORMAT CSV
  WITH (roll_rows = 20000, roll_interval = '1 second');
"""
for name, out in (("pipeline.sql", "out/windy"), ("reference.sql", "ref/windy")):
    with open(name, "w") as f:
        f.write(PIPELINE % (BROKERS, out))
db = "disk.db"


def reader():
    c = sqlite3.connect(db, timeout=10)
    c.execute("BEGIN")  # one snapshot for every query
    return c


def committed():
    try:
        c = reader()
        n = c.execute("SELECT coalesce(min(events), 0) FROM ksq_view_state").fetchone()[0]
        c.close()
        return n
    except sqlite3.Error:
        return 0


def consistent(when, quiet=False):
    """The database as a reader sees it: intact, offsets = results, sink rows once.
    Returns the rows the sink holds in its buffer."""
    c = reader()
    ok = c.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        die("%s: integrity_check: %s" % (when, ok))
    for v in VIEWS:
        events, offsets = c.execute(
            "SELECT (SELECT events FROM ksq_view_state WHERE view = ?1), "
            "(SELECT sum(next_offset) FROM ksq_progress WHERE view = ?1)", (v,)).fetchone()
        if events != offsets:
            die("%s: view %s counted %s events, its offsets say %s" % (when, v, events, offsets))
    total = c.execute("SELECT sum(n) FROM d_total").fetchone()[0]
    offsets = c.execute("SELECT sum(next_offset) FROM ksq_progress WHERE view = 'd_total'").fetchone()[0]
    in_files = c.execute("SELECT coalesce(sum(rows), 0) FROM ksq_sink_files WHERE state IN ('pending', 'published')").fetchone()[0]
    buffered = c.execute("SELECT count(*) FROM ksq_k_windy_files").fetchone()[0]
    rows = c.execute("SELECT count(*) FROM d_windy").fetchone()[0]
    c.close()
    if total != offsets or in_files + buffered != rows:
        die("%s: %s events for offsets %s; sink rows %d in files + %d buffered for %d in the view"
            % (when, total, offsets, in_files, buffered, rows))
    if not quiet:
        print("ok - %s: consistent (%d events = offsets; sink rows %d in files + %d buffered = %d)"
              % (when, total, in_files, buffered, rows))
    return buffered


service = None


def no_xfsz():
    """In the child: a write past the file size limit fails (EFBIG) instead of killing."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def start_service(tag):
    global service
    service = subprocess.Popen([ksq, db, "-f", "pipeline.sql"], stdout=subprocess.DEVNULL,
                               stderr=open("service-%s.err" % tag, "w"), preexec_fn=no_xfsz)
    children.append(service)
    return "service-%s.err" % tag


def wait_for(what, cond, limit=60):
    deadline = time.monotonic() + limit * SLOW
    while not cond():
        if service.poll() is not None:
            die("the service exited %d waiting for: %s" % (service.returncode, what))
        if time.monotonic() > deadline:
            die("not within %d s: %s" % (limit, what))
        time.sleep(0.05)


def progress(what, limit=60):
    before = committed()
    wait_for("%s (the views commit more events)" % what, lambda: committed() > before, limit)


gen = subprocess.Popen([os.path.join(BIN, "ksqlite-gen"), "--brokers", BROKERS, "--topic", "weather", "--count", "0",
                        "--rate", "3000", "--eps", "2000", "--seed", "4", "--jitter", "2000",
                        "--start", "2026-11-20T00:00:00Z", "--cities", "12"], stderr=open("gen.err", "w"))
children.append(gen)
log = start_service("1")
progress("start-up")
wait_for("the sink publishes a file", lambda: glob.glob("out/windy/part-*.csv"))

# 1. Full disk for SQLite (EFBIG past 64 KB), the service retrying.
resource.prlimit(service.pid, resource.RLIMIT_FSIZE, (64 * 1024, INF))
wait_for("the service reports the full disk and retries",
         lambda: "trying again" in open(log).read() and
         ("database or disk is full" in open(log).read() or "disk I/O error" in open(log).read()))
line = [x for x in open(log).read().splitlines() if "ERROR" in x][0]
print("ok - the service reports: %s" % line.split("ERROR: ", 1)[-1])
frozen = committed()
consistent("while the disk is full")
time.sleep(2)  # a while under the fault (the next check is the assertion)
if committed() != frozen or service.poll() is not None:
    die("under the full disk the service committed (%d -> %d) or exited" % (frozen, committed()))
print("ok - nothing is committed while the disk is full, and the service stays up")
resource.prlimit(service.pid, resource.RLIMIT_FSIZE, (INF, INF))
progress("the disk has room again", 60)
consistent("after the full disk")

# 2. A read-only sink directory.
method = "chattr +i"
try:
    subprocess.run(["chattr", "-R", "+i", "out/windy"], check=True, capture_output=True)
    try:
        open("out/windy/.probe", "w").close()
        os.unlink("out/windy/.probe")
        subprocess.run(["chattr", "-R", "-i", "out/windy"], check=True)
        method = None  # the flag does not stop writes here
    except OSError:
        pass
except (OSError, subprocess.CalledProcessError):
    method = None
if method is None:
    method = "a file in place of the directory"
    os.rename("out/windy", "out/windy.away")
    open("out/windy", "w").close()


def undo_read_only():
    if method == "chattr +i":
        subprocess.run(["chattr", "-R", "-i", "out/windy"], check=True)
    elif os.path.isfile("out/windy"):
        os.unlink("out/windy")
        os.rename("out/windy.away", "out/windy")


try:
    def sink_status():
        c = reader()
        r = c.execute("SELECT status, error FROM ksq_sinks WHERE name = 'windy_files'").fetchone()
        c.close()
        return r
    wait_for("the sink says 'retrying' (%s)" % method, lambda: sink_status()[0] == "retrying")
    print("ok - read-only sink directory (%s): the sink is retrying: %s" % (method, sink_status()[1]))
    progress("the sink's directory is read-only")
    print("ok - the views go on while the sink cannot write")
    # Enough rows buffered for step 3 (a file over 256 KB), then a stop.
    wait_for("rows pile up in the sink's buffer", lambda: consistent("read-only directory", True) > 7000, 90)
    consistent("read-only directory")
    gen.send_signal(signal.SIGTERM)
    if gen.wait(60) != 0:
        die("the generator failed: " + open("gen.err").read())
    subprocess.run([ksq, "--exit-at-end", "--drain", "reference.db", "-f", "reference.sql"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    ref = sqlite3.connect("reference.db")
    total = ref.execute("SELECT sum(n) FROM d_total").fetchone()[0]
    wait_for("the service catches up", lambda: committed() >= total, 120)
    service.send_signal(signal.SIGTERM)
    rc = service.wait(60)
    if rc != 1:
        die("a stop that cannot publish the sink's rows exited %d, not 1" % rc)
    print("ok - a stop that cannot publish exits 1 and keeps the rows buffered (%d)"
          % consistent("after the stop"))
finally:
    undo_read_only()

# 3. Full disk for the sink: a bounded run limited to 256 KB.
def limited():
    no_xfsz()
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, INF))


# What must pass the limit is the sink's file: start with the database's WAL
# checkpointed and empty (the stopped service may have left megabytes in it,
# and new frames would be written after them, past the limit).
c = sqlite3.connect(db)
if c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0 or \
        (os.path.exists(db + "-wal") and os.path.getsize(db + "-wal") != 0):
    die("the WAL could not be checkpointed before the sink's full disk")
c.close()
before = sorted(glob.glob("out/windy/part-*.csv"))
r = subprocess.run([ksq, "--exit-at-end", db, "-f", "pipeline.sql"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, text=True, preexec_fn=limited, timeout=120)
err = [x for x in r.stderr.splitlines() if "File too large" in x]
if r.returncode != 1 or not err:
    die("a run whose sink file passes the size limit: exit %d, %s" % (r.returncode, r.stderr.strip()))
print("ok - the sink's write past the limit fails the run: %s" % err[-1].split("ksqlite: ")[-1])
hidden = glob.glob("out/windy/.*")
if hidden or sorted(glob.glob("out/windy/part-*.csv")) != before:
    die("the failed roll left hidden %s or published files" % hidden)
left = consistent("after the sink's full disk")
if left < 7000:
    die("the rows did not stay buffered (%d)" % left)
print("ok - no file hidden or published, the rows stay buffered")
subprocess.run([ksq, "--exit-at-end", "--drain", db, "-f", "pipeline.sql"], check=True,
               stdout=subprocess.DEVNULL, timeout=120)
if consistent("at the end") != 0:
    die("rows still buffered at the end")

a = sqlite3.connect(db)
failures = compare_views(a, ref, VIEWS)
view = sorted((city, country, ts, "%r" % w) for city, country, ts, w in
              a.execute("SELECT city, country, ts, windspeed FROM d_windy"))
files = []
for p in glob.glob("out/windy/part-*.csv"):
    with open(p, newline="") as f:
        files += [(c, k, ts, "%r" % float(w)) for c, k, ts, w in list(csv.reader(f))[1:]]
if sorted(files) != view or glob.glob("out/windy/.*"):
    failures += 1
    print("FAIL: the files hold %d rows, the view %d" % (len(files), len(view)))
else:
    print("ok - the sink's files hold the view's %d rows, each once" % len(view))
print("events counted once: %d of %d" % (a.execute("SELECT sum(n) FROM d_total").fetchone()[0], total))
sys.exit(1 if failures else 0)
