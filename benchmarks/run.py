#!/usr/bin/python3
"""run.py — ksqlite's benchmarks, with their baselines, in one run.

    benchmarks/run.py [--build build] [--events 1000000] [--rounds 5] [--write]

Starts a mock cluster (ksqlite-broker) with a 32-partition `weather` topic,
fills it with a fixed, seeded workload (ksqlite-gen: 1,000,000 events, even
over the partitions, lz4 so the mock's 5 MiB-per-partition retention holds
them), checks that nothing was evicted, then runs every workload and baseline
in alternating rounds. The machine is shared and noisy, so each figure is the
median of the rounds and is reported as a ratio to the floor measured in the
same run. Then: the state the windowed views keep open (dbstat), and the
latency of closing windows and of EMIT CHANGES at a steady 20,000 events/s
(benchmarks/latency.c). --write replaces the generated section of
docs/benchmarks.md and draws its charts (gnuplot, docs/img/*.png).

Only the Python standard library is used.
"""
import argparse
import csv
import io
import json
import os
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK_DIR = tempfile.mkdtemp(prefix="ksq-bench-")

WEATHER_COLUMNS = ("city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP, "
                   "temperature REAL, windspeed REAL, humidity INTEGER, weathercode INTEGER")


FLOOR_PREFETCH = ["queued.max.messages.kbytes", "8192", "queued.min.messages", "100000"]  # as ksqlite's

TUMBLE_SELECT = ("SELECT city, window_start, count(*) AS n, avg(temperature) AS t, min(temperature) AS lo, "
                 "max(temperature) AS hi, stddev(temperature) AS sd FROM weather GROUP BY city, TUMBLE(ts, '1 minute')")
HOP_SELECT = ("SELECT city, window_start, count(*) AS n, avg(temperature) AS t, min(temperature) AS lo, "
              "max(temperature) AS hi, stddev(temperature) AS sd FROM weather GROUP BY city, HOP(ts, '1 hour', '1 minute')")
SESSION_SELECT = ("SELECT city, window_start, window_end, count(*) AS n, avg(temperature) AS t, max(windspeed) AS w "
                  "FROM weather GROUP BY city, SESSION(ts, '2 seconds')")
FILTER_SELECT = "SELECT city, ts, temperature, humidity FROM weather WHERE temperature > 25"
JOIN_SELECT = ("SELECT w.city, window_start, count(*) AS n, avg(w.temperature - c.mean_temp) AS anomaly, "
               "max(c.population) AS population FROM weather AS w JOIN cities AS c ON c.city = w.city "
               "GROUP BY w.city, TUMBLE(w.ts, '1 minute')")


def cities_table(build):
    """SQL creating and filling the `cities` table (ksqlite-gen's cities with
    an invented population) that the join workload enriches events with."""
    out = subprocess.run([os.path.join(build, "ksqlite-gen"), "--cities-csv"], check=True,
                         capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    values = ",".join("('%s', %d, %s)" % (r["city"].replace("'", "''"), 50000 * (i + 1), r["mean_temp"])
                      for i, r in enumerate(rows))
    return ("CREATE TABLE cities(city TEXT PRIMARY KEY, population INTEGER, mean_temp REAL);"
            "INSERT INTO cities VALUES %s;" % values)


def workloads(build, brokers):
    """name -> (description, argv). The floor comes first: ratios are to it."""
    ksq = os.path.join(build, "ksqlite")
    floor = os.path.join(build, "benchmarks", "floor_consumer")
    vtab = ("CREATE VIRTUAL TABLE weather USING kafka(topic='weather', brokers='%s', "
            "timestamp='ts', columns='%s');" % (brokers, WEATHER_COLUMNS))
    batch_db = os.path.join(WORK_DIR, "kcat_sqlite.db")
    return {
        "floor": ("minimal librdkafka + jansson consumer, decodes all 9 fields",
                  [floor, brokers, "weather"] + FLOOR_PREFETCH),
        "floor_simdjson": ("the same consumer decoding with simdjson (ksqlite's parser)",
                           [floor, "--simdjson", brokers, "weather"] + FLOOR_PREFETCH),
        "kcat": ("kcat -C to /dev/null (no decoding)",
                 ["sh", "-c", "kcat -C -b %s -t weather -e -q -o beginning >/dev/null" % brokers]),
        "kcat_sqlite": ("without ksqlite: kcat dumps the topic into sqlite3, then the TUMBLE query as "
                        "a batch GROUP BY",
                        Fresh(batch_db, ["sh", os.path.join(ROOT, "benchmarks", "kcat_sqlite.sh"), brokers,
                                         "weather", batch_db])),
        "scan": ("pull query decoding all 9 columns through the kafka vtab",
                 [ksq, ":memory:", vtab,
                  "SELECT count(city), count(country), count(region), count(continent), max(ts), "
                  "sum(temperature), sum(windspeed), sum(humidity), sum(weathercode) FROM weather;"]),
        "filter": ("filter/projection view: 4 columns of the events above 25 °C (11%) into a table",
                   view_run(ksq, brokers, "filter", FILTER_SELECT)),
        "tumble": ("TUMBLE(1 minute) by city: count, avg/min/max/stddev, into a WAL database file",
                   view_run(ksq, brokers, "tumble", TUMBLE_SELECT)),
        "tumble_small": ("the TUMBLE view over a fifth of the events (same cities)",
                         view_run(ksq, brokers, "tumble_small", TUMBLE_SELECT, topic="weather_small")),
        "hop": ("HOP(1 hour, 1 minute) by city, the same aggregates",
                view_run(ksq, brokers, "hop", HOP_SELECT)),
        "session": ("SESSION(ts, '2 seconds') by city: 130,000 sessions",
                    view_run(ksq, brokers, "session", SESSION_SELECT)),
        "join": ("TUMBLE(1 minute) by city joined with a 113-row cities table (enrichment)",
                 view_run(ksq, brokers, "joined", JOIN_SELECT, before=[cities_table(build)])),
        "sink": ("a filter view passing every event into a CSV file sink partitioned by city and hour",
                 view_run(ksq, brokers, "sink", "SELECT * FROM weather", extra=[
                     "CREATE SINK files FROM sink INTO FILES '%s' FORMAT CSV "
                     "PARTITION BY (city, strftime('%%H', ts) AS hour);" % SINK_DIR], out_dir=SINK_DIR)),
    }


def stream_sql(brokers, topic):
    return ("CREATE STREAM weather (%s) WITH (topic = '%s', brokers = '%s', timestamp = 'ts', "
            "watermark = '5 seconds');" % (WEATHER_COLUMNS, topic, brokers))


def view_run(ksq, brokers, name, select, topic="weather", before=(), extra=(), drain=True, out_dir=None):
    """argv of an --exit-at-end run of one view (closing every window with
    --drain) into a fresh database, with statements before and after it."""
    db = os.path.join(WORK_DIR, name + ".db")
    return Fresh(db, [ksq, "--exit-at-end"] + (["--drain"] if drain else []) +
                 [db, stream_sql(brokers, topic)] + list(before) +
                 ["CREATE MATERIALIZED VIEW %s AS %s;" % (name, select)] + list(extra), out_dir)


SINK_DIR = os.path.join(WORK_DIR, "sink")


class Fresh(list):
    """An argv whose database file (and the directory it writes, if any) is
    removed before every run."""

    def __init__(self, db, argv, out_dir=None):
        super().__init__(argv)
        self.db = db
        self.out_dir = out_dir

    def prepare(self):
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.db + suffix)
            except FileNotFoundError:
                pass
        if self.out_dir:
            shutil.rmtree(self.out_dir, ignore_errors=True)


def sink_files():
    """(files, partition directories) the sink workload published."""
    files = [os.path.join(d, f) for d, _, fs in os.walk(SINK_DIR) for f in fs if f.startswith("part-")]
    return len(files), len(set(os.path.dirname(f) for f in files))


def run_once(argv):
    """Run argv; return (seconds, peak RSS in MiB, stdout)."""
    if hasattr(argv, "prepare"):
        argv.prepare()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("benchmark command failed (%d): %s\n%s" % (p.returncode, shlex.join(argv), err.decode()))
    return secs, usage.ru_maxrss / 1024.0, out.decode()


def start_broker(build, partitions, latency_runs):
    """The mock cluster with the workloads' topics and one fresh topic per
    latency run (the mock's fetch slows down as a partition's log grows, so a
    reused topic would measure the mock, not the engine)."""
    topics = ["weather:%d" % partitions, "weather_small:%d" % partitions]
    topics += ["latency%d:8" % (i + 1) for i in range(latency_runs)]
    p = subprocess.Popen([os.path.join(build, "ksqlite-broker")] + [a for t in topics for a in ("--topic", t)],
                         stdout=subprocess.PIPE, text=True)
    brokers = p.stdout.readline().strip()
    if not brokers:
        sys.exit("ksqlite-broker did not start")
    return p, brokers


def produce(build, brokers, events, topic="weather"):
    t0 = time.monotonic()
    subprocess.run([os.path.join(build, "ksqlite-gen"), "--brokers", brokers, "--topic", topic,
                    "--count", str(events), "--seed", "42", "--start", "2026-01-01T00:00:00Z",
                    "--eps", "100", "--jitter", "2000"], check=True, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores" % (cpu, os.cpu_count() or 0)


def query(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def state_size(ksq, brokers, name, select, topic="weather"):
    """Run a view to the end of the topic without closing the open windows,
    then measure its state table (ksq_s_<name>, with its index): rows (one
    per group and pane: for TUMBLE a window, for HOP a slide, for SESSION a
    session), bytes on pages, and bytes of the rows' own content."""
    argv = view_run(ksq, brokers, name, select, topic=topic, drain=False)
    run_once(argv)
    rows = query(argv.db, 'SELECT count(*) FROM "ksq_s_%s"' % name)[0][0]
    pages, payload = query(argv.db, "SELECT sum(pgsize), sum(payload) FROM dbstat "
                                    "WHERE name = 'ksq_s_%s' OR name = 'ksq_s_%s_pane'" % (name, name))[0]
    return rows, pages or 0, payload or 0


def latency(build, brokers, runs, rate, seconds):
    """Window-close and EMIT CHANGES latency (benchmarks/latency.c), each
    run's figures; the first run warms the topic."""
    out = []
    for i in range(runs):
        p = subprocess.run([os.path.join(build, "benchmarks", "latency"), brokers, "latency%d" % (i + 1), str(rate),
                            str(seconds)], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("latency benchmark failed: %s" % p.stderr)
        out.append(json.loads(p.stdout))
        print("latency %s" % p.stdout.strip(), file=sys.stderr)
    return out


def charts(names, rate, rss, lat, docs):
    """PNG charts with gnuplot (docs/img/): throughput as a ratio to the
    floor, peak RSS, and latency percentiles. Returns the Markdown that shows
    them, or a note when gnuplot is missing."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "(charts skipped: gnuplot is not installed; `scripts/setup.sh bench` installs it)\n"
    img = os.path.join(docs, "img")
    os.makedirs(img, exist_ok=True)
    data = os.path.join(WORK_DIR, "bars.dat")
    with open(data, "w") as f:
        for n in names:
            f.write('"%s" %.3f %.1f\n' % (n, rate[n] / rate["floor"], rss[n]))
    ldata = os.path.join(WORK_DIR, "latency.dat")
    with open(ldata, "w") as f:
        for key, label in (("close_ms", "window close (EMIT FINAL)"), ("visible_ms", "event to visible (EMIT CHANGES)")):
            med = {q: statistics.median(r[key][q] for r in lat) for q in ("p50", "p99", "max")}
            f.write('"%s" %.1f %.1f %.1f\n' % (label, med["p50"], med["p99"], med["max"]))
    common = ("set terminal pngcairo noenhanced size 900,420 font 'DejaVu Sans,10'\n"
              "set style data histograms\nset style fill solid 0.8 border -1\nset boxwidth 0.8\n"
              "set xtics rotate by -35 left\nset grid ytics\nset key off\nset yrange [0:*]\n")
    script = common + (
        "set output '%s/bench-throughput.png'\n"
        "set title 'Throughput, as a ratio to the floor (median of the rounds; higher is better)'\n"
        "set ylabel '× floor'\nplot '%s' using 2:xtic(1) lc rgb '#3b75af', 1 with lines lc rgb '#c03030' dt 2\n"
        "set output '%s/bench-memory.png'\nset title 'Peak RSS of each process (MiB)'\nset ylabel 'MiB'\n"
        "plot '%s' using 3:xtic(1) lc rgb '#5a9a5a', 96 with lines lc rgb '#c03030' dt 2\n"
        "set output '%s/bench-latency.png'\nset key top left\nset xtics norotate\n"
        "set title 'Latency at %s events/s (ms, median of the runs)'\nset ylabel 'ms'\n"
        "plot '%s' using 2:xtic(1) title 'p50' lc rgb '#3b75af', '' using 3 title 'p99' lc rgb '#e08a2c', "
        "'' using 4 title 'max' lc rgb '#999999', 50 with lines title 'goal: p99 ≤ 50 ms' lc rgb '#c03030' dt 2\n"
    ) % (img, data, img, data, img, "{:,}".format(lat[0]["rate"]), ldata)
    subprocess.run([gnuplot], input=script, text=True, check=True)
    return ("![throughput](img/bench-throughput.png)\n\n![memory](img/bench-memory.png)\n\n"
            "![latency](img/bench-latency.png)\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--latency-runs", type=int, default=3)
    ap.add_argument("--latency-rate", type=int, default=20000)
    ap.add_argument("--latency-seconds", type=int, default=15)
    ap.add_argument("--only", help="comma-separated workloads (the floor always runs)")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md and its charts")
    args = ap.parse_args()
    started = time.monotonic()
    ksq = os.path.join(args.build, "ksqlite")

    broker, brokers = start_broker(args.build, args.partitions, args.latency_runs)
    try:
        produce_secs = produce(args.build, brokers, args.events)
        produce(args.build, brokers, args.events // 5, topic="weather_small")
        work = workloads(args.build, brokers)
        if args.only:
            keep = {"floor"} | set(args.only.split(","))
            work = {k: v for k, v in work.items() if k in keep}
        # The floor must see every event: otherwise the mock evicted some.
        _, _, out = run_once(work["floor"][1])
        seen = int(re.search(r"events=(\d+)", out).group(1))
        if seen != args.events:
            sys.exit("the mock cluster kept %d of %d events (retention); use more partitions" % (seen, args.events))
        names = list(work)
        times = {n: [] for n in names}
        rss = {n: 0.0 for n in names}
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for n in order:
                secs, mib, _ = run_once(work[n][1])
                times[n].append(secs)
                rss[n] = max(rss[n], mib)
                print("round %d %-14s %7.3f s  %6.1f MiB" % (r + 1, n, secs, mib), file=sys.stderr)
        # The same answer as the batch alternative (the last runs' databases).
        agree = None
        if "tumble" in work and "kcat_sqlite" in work:
            ours = query(work["tumble"][1].db, "SELECT count(*), sum(n), round(sum(t * n), 3) FROM tumble")[0]
            theirs = query(work["kcat_sqlite"][1].db,
                           "SELECT count(*), sum(n), round(sum(t * n), 3) FROM tumble")[0]
            agree = (ours, theirs)
        sink_report = None
        if "sink" in work:
            # The last sink run's files, then a COMPACT of them.
            nFiles, nParts = sink_files()
            subprocess.run([ksq, work["sink"][1].db, "COMPACT SINK files;"], check=True, stdout=subprocess.DEVNULL)
            nAfter, _ = sink_files()
            sink_report = (nFiles, nParts, nAfter)
        state = {}
        if not args.only:
            for n, sel, topic in (("tumble", TUMBLE_SELECT, "weather"), ("tumble_small", TUMBLE_SELECT, "weather_small"),
                                  ("hop", HOP_SELECT, "weather"), ("session", SESSION_SELECT, "weather")):
                state[n] = state_size(ksq, brokers, n, sel, topic)
        lat = latency(args.build, brokers, args.latency_runs, args.latency_rate,
                      args.latency_seconds) if args.latency_runs > 0 and not args.only else []
    finally:
        broker.terminate()
        broker.wait()

    def events_of(n):
        return args.events // 5 if n.endswith("_small") else args.events

    rate = {n: events_of(n) / statistics.median(times[n]) for n in names}
    rows = []
    for n in names:
        rows.append("| %s | %s | %.2f | %s | %.2f× | %.0f |" % (
            n, work[n][0], statistics.median(times[n]), "{:,}".format(int(rate[n])),
            rate[n] / rate["floor"], rss[n]))
    table = "\n".join([
        "| workload | what it does | median s | events/s | × floor | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|",
    ] + rows)
    goals = []

    def goal(text, value, ok):
        goals.append("| %s | %s | %s |" % (text, value, "met" if ok else "**not met**"))

    if "tumble" in rate:
        goal("TUMBLE view ≥ 0.9× the floor", "%.2f×" % (rate["tumble"] / rate["floor"]),
             rate["tumble"] >= 0.9 * rate["floor"])
    if "hop" in rate and "tumble" in rate:
        goal("HOP(1 hour, 1 minute) ≥ 0.9× TUMBLE", "%.2f×" % (rate["hop"] / rate["tumble"]),
             rate["hop"] >= 0.9 * rate["tumble"])
    if "tumble" in rate and "kcat_sqlite" in rate:
        goal("whole pipeline ≥ 3× kcat → sqlite3 → GROUP BY (TUMBLE view vs the batch)",
             "%.2f×" % (rate["tumble"] / rate["kcat_sqlite"]), rate["tumble"] >= 3 * rate["kcat_sqlite"])
    if lat:
        p99 = statistics.median(r["close_ms"]["p99"] for r in lat)
        goal("window-close latency p99 ≤ 50 ms at %s events/s" % "{:,}".format(args.latency_rate),
             "%.1f ms" % p99, p99 <= 50)
    if "tumble" in rss:
        goal("peak RSS of the TUMBLE run ≤ 96 MiB", "%.0f MiB" % rss["tumble"], rss["tumble"] <= 96)
    if "tumble" in state and "tumble_small" in state:
        big, small = state["tumble"][0], state["tumble_small"][0]
        goal("state independent of the number of events: open (city, window) rows after 1,000,000 "
             "vs 200,000 events", "%d vs %d" % (big, small), big <= 1.1 * small + 10)
    if sink_report:
        nFiles, nParts, nAfter = sink_report
        goal("file sink: a handful of files per partition, not one per batch",
             "%d files in %d partitions (%.1f each)" % (nFiles, nParts, nFiles / max(nParts, 1)),
             nFiles <= 5 * nParts)
        goal("COMPACT SINK leaves one file per partition", "%d files" % nAfter, nAfter == nParts)
    if agree:
        goal("the TUMBLE view and the batch GROUP BY agree (rows, events, Σ avg·n)",
             "%s / %s" % agree, agree[0] == agree[1])
    report = ("Run of %s on %s: %s events in %d partitions (produced in %.1f s), "
              "median of %d alternating rounds; the whole run took %.0f s.\n\n%s\n" % (
                  time.strftime("%Y-%m-%d"), machine(), "{:,}".format(args.events), args.partitions,
                  produce_secs, args.rounds, time.monotonic() - started, table))
    if goals:
        report += "\n| goal | measured | |\n|---|---:|---|\n" + "\n".join(goals) + "\n"
    if state:
        report += ("\nState left open at the end of the topic (a run without `--drain`): rows of the view's "
                   "state table `ksq_s_<view>` and its index, as SQLite stores them (`dbstat`).\n\n"
                   "Peak RSS is not the measure of state: it follows librdkafka's prefetch buffers "
                   "(`queued.max.messages.kbytes` per partition), which fill faster on a longer topic, "
                   "while the state rows stay the same.\n\n"
                   "| view | events | state rows | bytes on pages | bytes per row | content bytes per row |\n"
                   "|---|---:|---:|---:|---:|---:|\n")
        for n, (nrows, pages, payload) in state.items():
            report += "| %s | %s | %d | %s | %.0f | %.0f |\n" % (
                n, "{:,}".format(events_of(n)), nrows, "{:,}".format(pages), pages / max(nrows, 1),
                payload / max(nrows, 1))
    if lat:
        report += ("\nLatency at a steady %s events/s for %d s (50 cities, watermark delay 0, the first 3 s "
                   "not counted), %d runs; each cell is p50 / p99 / max in ms.\n\n"
                   "| run | window close (TUMBLE 1 s, EMIT FINAL) | event to visible (EMIT CHANGES) |\n"
                   "|---|---|---|\n" % ("{:,}".format(args.latency_rate), args.latency_seconds, len(lat)))
        for i, r in enumerate(lat):
            report += "| %d | %.1f / %.1f / %.1f (%d windows) | %.1f / %.1f / %.1f (%d rows) |\n" % (
                i + 1, r["close_ms"]["p50"], r["close_ms"]["p99"], r["close_ms"]["max"], r["close_ms"]["n"],
                r["visible_ms"]["p50"], r["visible_ms"]["p99"], r["visible_ms"]["max"], r["visible_ms"]["n"])
    print(report)
    if args.write:
        docs = os.path.join(ROOT, "docs")
        if lat and not args.only:
            report += "\n" + charts(names, rate, rss, lat, docs)
        path = os.path.join(docs, "benchmarks.md")
        doc = open(path).read()
        begin, end = "<!-- results:begin -->", "<!-- results:end -->"
        if begin not in doc or end not in doc:
            sys.exit("docs/benchmarks.md lacks the results markers")
        doc = doc[:doc.index(begin) + len(begin)] + "\n" + report + doc[doc.index(end):]
        open(path, "w").write(doc)
    shutil.rmtree(WORK_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
