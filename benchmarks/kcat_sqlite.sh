#!/bin/sh
# kcat_sqlite.sh — the TUMBLE workload done the way a user would without
# ksqlite: dump the topic with kcat, load the JSON lines into sqlite3, and run
# the same GROUP BY in batch.
#
#   benchmarks/kcat_sqlite.sh BROKERS TOPIC DB
#
# Leaves DB with a `tumble` table of the same rows the ksqlite TUMBLE view
# produces (one per city and minute: count, avg, min, max, sample stddev).
# The JSON lines are imported whole (ASCII mode, the unit separator as the
# column separator: it never occurs in JSON) and read with ->>, SQLite's
# own JSON operator.
set -eu
brokers=$1 topic=$2 db=$3
rm -f "$db"
kcat -C -b "$brokers" -t "$topic" -e -q -o beginning -f '%s\n' |
    sqlite3 "$db" \
        -cmd "CREATE TABLE raw(j TEXT);" \
        -cmd ".mode ascii" \
        -cmd ".separator \"\037\" \"\n\"" \
        -cmd ".import /dev/stdin raw" \
        "CREATE TABLE tumble AS
         SELECT city, datetime(ws, 'unixepoch') AS window_start, count(*) AS n, avg(t) AS t,
                min(t) AS lo, max(t) AS hi,
                sqrt((sum(t * t) - sum(t) * sum(t) / count(*)) / (count(*) - 1)) AS sd
         FROM (SELECT j ->> 'city' AS city, CAST(unixepoch(j ->> 'ts') / 60 AS INTEGER) * 60 AS ws,
                      j ->> 'temperature' AS t
               FROM raw)
         GROUP BY city, ws;"
