#!/usr/bin/env python3
"""window_counts.py — a windowed view over a Kafka topic from Python, through
the ksqlite SQLite extension, with only the standard library.

    python3 window_counts.py [--to-end] [--lib PATH] BROKERS TOPIC

TOPIC holds weather events as JSON ({"city": "Berlin", "ts": "2026-11-21T12:00:00.000Z",
"temperature": 6.8, "windspeed": 18.0, ...}). Each closed one-minute window of each city
is printed as window_start|city|events|average temperature|maximum wind speed, the rows
docs/examples/window_counts.c prints. Without --to-end it runs until Ctrl-C.

--lib is the extension, without its suffix (default: $KSQLITE_LIB, else "libksqlite",
found like any shared library); e.g. /usr/local/lib/libksqlite.
"""
import argparse
import os
import signal
import sqlite3

PIPELINE = """
CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL)
  WITH (topic = '{topic}', timestamp = 'ts', watermark = '5 seconds');
CREATE MATERIALIZED VIEW city_minute AS
  SELECT window_start, city, count(*) AS n, printf('%.1f', avg(temperature)) AS avg_temp,
         max(windspeed) AS max_wind
    FROM weather GROUP BY city, TUMBLE(ts, '1 minute');
"""


def main():
    ap = argparse.ArgumentParser(description="a windowed view over a Kafka topic")
    ap.add_argument("--to-end", action="store_true",
                    help="read what the topic holds, close every window, exit")
    ap.add_argument("--lib", default=os.environ.get("KSQLITE_LIB", "libksqlite"))
    ap.add_argument("brokers")
    ap.add_argument("topic")
    args = ap.parse_args()

    # Autocommit (isolation_level=None): the views commit one transaction per
    # batch, which they cannot do inside a transaction Python would open.
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.enable_load_extension(True)
    con.load_extension(args.lib)  # an engine for this connection, freed when it closes
    con.enable_load_extension(False)

    con.execute("SELECT ksqlite_brokers(?)", (args.brokers,))
    con.execute("SELECT ksqlite_exec(?)", (PIPELINE.format(topic=args.topic.replace("'", "''")),))

    # The view is an ordinary table; a window's row is appended when it closes.
    last = 0

    def print_new_rows():
        nonlocal last
        for rowid, start, city, n, avg_temp, max_wind in con.execute(
                "SELECT rowid, window_start, city, n, avg_temp, max_wind FROM city_minute"
                " WHERE rowid > ? ORDER BY rowid", (last,)):
            print(f"{start}|{city}|{n}|{avg_temp}|{max_wind:.1f}", flush=True)
            last = rowid

    if args.to_end:
        # A batch run: everything up to the end, every window closed (drain).
        con.execute("SELECT ksqlite_run_to_end(1)")
        print_new_rows()
    else:
        stop = False

        def on_signal(sig, frame):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not stop:
            con.execute("SELECT ksqlite_run(500)")  # up to 500 ms; returns the events processed
            print_new_rows()
    con.close()


if __name__ == "__main__":
    main()
