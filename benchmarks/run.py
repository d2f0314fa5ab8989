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
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WEATHER_COLUMNS = ("city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP, "
                   "temperature REAL, windspeed REAL, humidity INTEGER, weathercode INTEGER")


def workloads(build, brokers):
    """name -> (description, argv). The floor comes first: ratios are to it."""
    ksq = os.path.join(build, "ksqlite")
    vtab = ("CREATE VIRTUAL TABLE weather USING kafka(topic='weather', brokers='%s', "
            "timestamp='ts', columns='%s');" % (brokers, WEATHER_COLUMNS))
    return {
        "floor": ("minimal librdkafka + jansson consumer, decodes all 9 fields",
                  [os.path.join(build, "benchmarks", "floor_consumer"), brokers, "weather"]),
        "kcat": ("kcat -C to /dev/null (no decoding)",
                 ["sh", "-c", "kcat -C -b %s -t weather -e -q -o beginning >/dev/null" % brokers]),
        "scan": ("ksqlite pull query decoding all 9 columns through the kafka vtab",
                 [ksq, ":memory:", vtab,
                  "SELECT count(city), count(country), count(region), count(continent), max(ts), "
                  "sum(temperature), sum(windspeed), sum(humidity), sum(weathercode) FROM weather;"]),
    }


def run_once(argv):
    """Run argv; return (seconds, peak RSS in MiB, stdout)."""
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
    p = subprocess.Popen([os.path.join(build, "ksqlite-broker"), "--topic", "weather:%d" % partitions],
                         stdout=subprocess.PIPE, text=True)
    brokers = p.stdout.readline().strip()
    if not brokers:
        sys.exit("ksqlite-broker did not start")
    return p, brokers


def produce(build, brokers, events):
    t0 = time.monotonic()
    subprocess.run([os.path.join(build, "ksqlite-gen"), "--brokers", brokers, "--topic", "weather",
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
    finally:
        broker.terminate()
        broker.wait()

    floor = statistics.median(times["floor"])
    rows = []
    for n in names:
        med = statistics.median(times[n])
        rows.append("| %s | %s | %.2f | %s | %.2f× | %.0f |" % (
            n, work[n][0], med, "{:,}".format(int(args.events / med)), floor / med, rss[n]))
    table = "\n".join([
        "| workload | what it does | median s | events/s | × floor | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|",
    ] + rows)
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
