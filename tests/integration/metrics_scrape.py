#!/usr/bin/python3
"""metrics_scrape.py — the Prometheus endpoint of a running service, scraped
with curl and checked against what was produced.

    metrics_scrape.py BIN BROKERS WORKDIR SRC

Events come from kcat (per-partition counts known); a service runs a
TUMBLE view, a filter view and a file sink with --metrics; the scrape must
reach lag 0 with exactly the produced counts, agree with the database, show
the input stalled when it stops and running again when events come, and
serve every metric the Grafana dashboard uses. SIGTERM ends it with 0.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

BIN, BROKERS, WORK, SRC = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
SLOW = int(os.environ.get("KSQ_SLOW", "1"))  # waits scale under valgrind (lib.sh)
os.chdir(WORK)
checks = 0


def check(what, want, got):
    global checks
    checks += 1
    if want != got:
        print("FAIL: %s\n  expected: %.600r\n  actual:   %.600r" % (what, want, got))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


def produce(part, n, start_s):
    lines = "".join('{"city":"c%d","ts":%d,"v":%d}\n' % (i % 5, (1795262400 + start_s + i) * 1000, i)
                    for i in range(n))
    subprocess.run(["kcat", "-P", "-b", BROKERS, "-t", "m", "-p", str(part)], input=lines.encode(),
                   check=True, stderr=subprocess.DEVNULL)


COUNTS = {0: 700, 1: 500, 2: 300}
for p, n in COUNTS.items():
    produce(p, n, 0)
TOTAL = sum(COUNTS.values())

with open("svc.sql", "w") as f:
    f.write("""
CREATE STREAM IF NOT EXISTS s (city TEXT, ts TIMESTAMP, v INTEGER)
  WITH (topic = 'm', brokers = '%s', timestamp = 'ts', stall_timeout = '2 seconds');
CREATE MATERIALIZED VIEW IF NOT EXISTS per_min AS
  SELECT city, window_start, count(*) AS n FROM s GROUP BY city, TUMBLE(ts, '1 minute');
CREATE MATERIALIZED VIEW IF NOT EXISTS evens AS SELECT city, v FROM s WHERE v %% 2 = 0;
CREATE SINK IF NOT EXISTS evens_files FROM evens INTO FILES 'out' FORMAT CSV PARTITION BY (city)
  WITH (roll_rows = 100);
""" % BROKERS)
err = open("svc.err", "w")
svc = subprocess.Popen([os.path.join(BIN, "ksqlite"), "--metrics", "127.0.0.1:0", "svc.db", "-f", "svc.sql"],
                       stdout=subprocess.DEVNULL, stderr=err)
url = None
for _ in range(100 * SLOW):
    m = re.search(r"metrics at (http://127\.0\.0\.1:\d+/metrics)", open("svc.err").read())
    if m:
        url = m.group(1)
        break
    time.sleep(0.05)
check("the service prints where its metrics are, on loopback", True, url is not None)


def scrape():
    out = subprocess.run(["curl", "-sf", url], capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else ""


def samples(text):
    """{(name, frozenset(labels)): value}"""
    d = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        d[(m.group(1), labels)] = float(m.group(3))
    return d


def value(d, name, **labels):
    return d.get((name, frozenset(labels.items())))


def wait_for(cond, seconds=30):
    deadline = time.time() + seconds * SLOW
    d = {}
    while time.time() < deadline:
        d = samples(scrape())
        if cond(d):
            return d
        time.sleep(0.2)
    return d


d = wait_for(lambda d: value(d, "ksqlite_view_events_total", stream="s", view="per_min") == TOTAL and
             all(value(d, "ksqlite_stream_partition_lag", stream="s", partition=str(p)) == 0 for p in COUNTS))
check("lag reaches 0 on every partition", [0.0] * 3,
      [value(d, "ksqlite_stream_partition_lag", stream="s", partition=str(p)) for p in COUNTS])
check("every view took every event", [TOTAL, TOTAL],
      [value(d, "ksqlite_view_events_total", stream="s", view=v) for v in ("per_min", "evens")])
check("per-partition counts are the produced ones", [float(COUNTS[p]) for p in COUNTS],
      [value(d, "ksqlite_stream_partition_events_total", stream="s", partition=str(p)) for p in COUNTS])
check("high-water marks and committed offsets are the produced counts",
      [(float(COUNTS[p]), float(COUNTS[p])) for p in COUNTS],
      [(value(d, "ksqlite_stream_partition_high_watermark", stream="s", partition=str(p)),
        value(d, "ksqlite_stream_partition_committed_offset", stream="s", partition=str(p))) for p in COUNTS])
db = sqlite3.connect("svc.db")
check("rows emitted agree with the view's table",
      db.execute("SELECT count(*) FROM evens").fetchone()[0],
      int(value(d, "ksqlite_view_rows_emitted_total", stream="s", view="evens")))
check("the TUMBLE view's emitted rows too",
      db.execute("SELECT count(*) FROM per_min").fetchone()[0],
      int(value(d, "ksqlite_view_rows_emitted_total", stream="s", view="per_min")))
check("open windows: the TUMBLE view keeps state for the windows not yet closed", True,
      value(d, "ksqlite_view_open_windows", stream="s", view="per_min") > 0 and
      value(d, "ksqlite_view_state_bytes", stream="s", view="per_min") > 0)
check("commit latency quantiles are served", True,
      all(value(d, "ksqlite_view_commit_seconds", stream="s", view="evens", quantile=q) is not None
          for q in ("0.5", "0.99")))
d = wait_for(lambda d: value(d, "ksqlite_sink_files", view="evens", sink="evens_files") ==
             db.execute("SELECT count(*) FROM ksq_sink_files WHERE state = 'published'").fetchone()[0] and
             value(d, "ksqlite_sink_files", view="evens", sink="evens_files") > 0)
check("sink figures agree with its manifest",
      list(db.execute("SELECT count(*), sum(rows), sum(bytes) FROM ksq_sink_files WHERE state = 'published'")
           .fetchone()),
      [int(value(d, n, view="evens", sink="evens_files")) for n in
       ("ksqlite_sink_files", "ksqlite_sink_rows", "ksqlite_sink_bytes")])
d = wait_for(lambda d: value(d, "ksqlite_view_stalled", stream="s", view="per_min") == 1)
check("with no input for stall_timeout the views say stalled", [1.0, 1.0],
      [value(d, "ksqlite_view_stalled", stream="s", view=v) for v in ("per_min", "evens")])
produce(1, 50, 1000)
d = wait_for(lambda d: value(d, "ksqlite_view_stalled", stream="s", view="per_min") == 0 and
             value(d, "ksqlite_view_events_total", stream="s", view="per_min") == TOTAL + 50)
check("new events: not stalled, and counted", (0.0, float(TOTAL + 50)),
      (value(d, "ksqlite_view_stalled", stream="s", view="per_min"),
       value(d, "ksqlite_view_events_total", stream="s", view="per_min")))

# The exposition format: HELP and TYPE once per metric, then its samples.
text = scrape()
families, bad = [], []
for line in text.splitlines():
    if line.startswith("# TYPE "):
        families.append(line.split()[2])
    elif not line.startswith("#") and not re.match(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$', line):
        bad.append(line)
check("every sample line is well formed", [], bad)
check("each family is declared once", len(families), len(set(families)))

# The dashboard uses only metrics the endpoint serves.
dash = json.load(open(os.path.join(SRC, "docs", "service", "grafana-dashboard.json")))
used = set()
for p in dash["panels"]:
    for t in p["targets"]:
        used |= set(re.findall(r"ksqlite_[a-z_]+", t["expr"]))
check("the Grafana dashboard references only served metrics", [], sorted(used - set(families)))

svc.send_signal(signal.SIGTERM)
check("SIGTERM ends the service with 0", 0, svc.wait(timeout=30 * SLOW))
print("# %d checks passed" % checks)
