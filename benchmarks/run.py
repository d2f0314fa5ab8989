#!/usr/bin/python3
"""run.py — ksqlite's benchmarks, with their baselines, in one run.

    benchmarks/run.py [--build build] [--events 1000000] [--rounds 5] [--write]

Starts a mock cluster (ksqlite-broker) with a 32-partition `weather` topic,
fills it with a fixed, seeded workload (ksqlite-gen: 1,000,000 events, even
over the partitions, lz4 so the mock's 5 MiB-per-partition retention holds
them), checks that nothing was evicted, then runs every workload and baseline
in alternating rounds. The machine is shared and noisy, so each figure is the
median of the rounds and is reported as a ratio to the floor measured in the
same run. --write replaces the generated section of docs/benchmarks.md.

Only the Python standard library is used.
"""
import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK_DIR = tempfile.mkdtemp(prefix="ksq-bench-")

WEATHER_COLUMNS = ("city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP, "
                   "temperature REAL, windspeed REAL, humidity INTEGER, weathercode INTEGER")


def workloads(build, brokers):
    """name -> (description, argv). The floor comes first: ratios are to it."""
    ksq = os.path.join(build, "ksqlite")
    vtab = ("CREATE VIRTUAL TABLE weather USING kafka(topic='weather', brokers='%s', "
            "timestamp='ts', columns='%s');" % (brokers, WEATHER_COLUMNS))
    return {
        "floor": ("minimal librdkafka + jansson consumer, decodes all 9 fields",
                  [os.path.join(build, "benchmarks", "floor_consumer"), brokers, "weather",
                   # the prefetch ksqlite uses (engine/ksq_int.h)
                   "queued.max.messages.kbytes", "8192", "queued.min.messages", "100000"]),
        "kcat": ("kcat -C to /dev/null (no decoding)",
                 ["sh", "-c", "kcat -C -b %s -t weather -e -q -o beginning >/dev/null" % brokers]),
        "scan": ("ksqlite pull query decoding all 9 columns through the kafka vtab",
                 [ksq, ":memory:", vtab,
                  "SELECT count(city), count(country), count(region), count(continent), max(ts), "
                  "sum(temperature), sum(windspeed), sum(humidity), sum(weathercode) FROM weather;"]),
        "tumble": ("TUMBLE(1 minute) by city: count, avg/min/max/stddev, into a WAL database file",
                   view_run(ksq, brokers, "tumble", TUMBLE_SELECT)),
        "tumble_small": ("the TUMBLE view over a fifth of the events (same cities): memory must not grow "
                         "with the number of events",
                         view_run(ksq, brokers, "tumble_small", TUMBLE_SELECT, topic="weather_small")),
        "sink": ("a filter view passing every event into a CSV file sink partitioned by city and hour",
                 view_run(ksq, brokers, "sink", "SELECT * FROM weather", extra=[
                     "CREATE SINK files FROM sink INTO FILES '%s' FORMAT CSV "
                     "PARTITION BY (city, strftime('%%H', ts) AS hour);" % SINK_DIR])),
        "hop": ("HOP(1 hour, 1 minute) by city, the same aggregates",
                view_run(ksq, brokers, "hop",
                         "SELECT city, window_start, count(*) AS n, avg(temperature) AS t, "
                         "min(temperature) AS lo, max(temperature) AS hi, stddev(temperature) AS sd "
                         "FROM weather GROUP BY city, HOP(ts, '1 hour', '1 minute')")),
    }


TUMBLE_SELECT = ("SELECT city, window_start, count(*) AS n, avg(temperature) AS t, min(temperature) AS lo, "
                 "max(temperature) AS hi, stddev(temperature) AS sd FROM weather GROUP BY city, TUMBLE(ts, '1 minute')")


def view_run(ksq, brokers, name, select, topic="weather", extra=()):
    """argv of a --exit-at-end --drain run of one view (and extra statements)
    into a fresh database."""
    db = os.path.join(WORK_DIR, name + ".db")
    stream = ("CREATE STREAM weather (%s) WITH (topic = '%s', brokers = '%s', timestamp = 'ts', "
              "watermark = '5 seconds');" % (WEATHER_COLUMNS, topic, brokers))
    return Fresh(db, [ksq, "--exit-at-end", "--drain", db, stream,
                      "CREATE MATERIALIZED VIEW %s AS %s;" % (name, select)] + list(extra))


SINK_DIR = os.path.join(WORK_DIR, "sink")


class Fresh(list):
    """An argv whose database file (and the sink directory) is removed before
    every run."""

    def __init__(self, db, argv):
        super().__init__(argv)
        self.db = db

    def prepare(self):
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.db + suffix)
            except FileNotFoundError:
                pass
        shutil.rmtree(SINK_DIR, ignore_errors=True)


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


def start_broker(build, partitions):
    p = subprocess.Popen([os.path.join(build, "ksqlite-broker"), "--topic", "weather:%d" % partitions,
                          "--topic", "weather_small:%d" % partitions],
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", help="comma-separated workloads (the floor always runs)")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()

    broker, brokers = start_broker(args.build, args.partitions)
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
                print("round %d %-8s %7.3f s  %6.1f MiB" % (r + 1, n, secs, mib), file=sys.stderr)
        sink_report = None
        if "sink" in work:
            # The last sink run's files, then a COMPACT of them.
            nFiles, nParts = sink_files()
            subprocess.run([os.path.join(args.build, "ksqlite"), work["sink"][1].db, "COMPACT SINK files;"],
                           check=True, stdout=subprocess.DEVNULL)
            nAfter, _ = sink_files()
            sink_report = (nFiles, nParts, nAfter)
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
        goal("peak RSS of the TUMBLE run ≤ 96 MiB", "%.0f MiB" % rss["tumble"], rss["tumble"] <= 96)
    if "hop" in rate and "tumble" in rate:
        goal("HOP(1 hour, 1 minute) ≥ 0.9× TUMBLE", "%.2f×" % (rate["hop"] / rate["tumble"]),
             rate["hop"] >= 0.9 * rate["tumble"])
    if "tumble_small" in rss and "tumble" in rss:
        goal("memory independent of the number of events: peak RSS at 1,000,000 vs 200,000 events",
             "%.2f×" % (rss["tumble"] / rss["tumble_small"]), rss["tumble"] <= 1.1 * rss["tumble_small"])
    if sink_report:
        nFiles, nParts, nAfter = sink_report
        goal("file sink: a handful of files per partition, not one per batch",
             "%d files in %d partitions (%.1f each)" % (nFiles, nParts, nFiles / max(nParts, 1)),
             nFiles <= 5 * nParts)
        goal("COMPACT SINK leaves one file per partition", "%d files" % nAfter, nAfter == nParts)
    if goals:
        table += "\n\n| goal | measured | |\n|---|---:|---|\n" + "\n".join(goals)
    report = ("Run of %s on %s: %s events in %d partitions (produced in %.1f s), "
              "median of %d alternating rounds.\n\n%s\n" % (
                  time.strftime("%Y-%m-%d"), machine(), "{:,}".format(args.events), args.partitions,
                  produce_secs, args.rounds, table))
    print(report)
    if args.write:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        doc = open(path).read()
        begin, end = "<!-- results:begin -->", "<!-- results:end -->"
        if begin not in doc or end not in doc:
            sys.exit("docs/benchmarks.md lacks the results markers")
        doc = doc[:doc.index(begin) + len(begin)] + "\n" + report + doc[doc.index(end):]
        open(path, "w").write(doc)


if __name__ == "__main__":
    main()
