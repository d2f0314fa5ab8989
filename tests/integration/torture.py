#!/usr/bin/python3
"""torture.py — malformed input torture for a continuous view.

    torture.py BIN BROKERS WORKDIR

Produces, with Python's kafka client, 900 good weather events interleaved
with about 10% bad records of every kind (not JSON, truncated, wrong types,
missing, null, unparseable and out-of-range event times, invalid UTF-8, NUL
bytes raw and escaped, nesting beyond jansson's depth limit, a ~1 MB record,
empty payloads and tombstones, arrays and scalars, a byte-order mark, an
integer too big for JSON, trailing garbage, an event time far in the future)
over 3 partitions, plus a good ~1 MB event. Then runs two continuous views
with `ksqlite DB --exit-at-end --drain` and checks exactly:

  - every good event is counted once (per city: count and sum of ids; per
    minute window; in the views' event counters), nothing is late;
  - ksq_dead_letters holds every bad record once, at its partition and
    offset, with its payload and an error that says what is wrong (its
    gist is checked for each kind) and is valid, printable UTF-8;
  - a pull query over the topic returns every message, with `_error` set
    exactly on the records that do not decode, and the same error text.
"""
import hashlib
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time

from kafka import KafkaProducer

BIN, BROKERS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
KSQ = os.path.join(BIN, "ksqlite")
TOPIC = "torture"
NPART = 3
NGOOD = 900
checks = 0


def check(what, want, got):
    global checks
    checks += 1
    if want != got:
        print("FAIL: %s\n  expected: %r\n  actual:   %r" % (what, want, got))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


NOW = int(time.time() * 1000)
BASE = NOW - NOW % 60000 - 2 * 3600000  # two hours ago, on a minute
CITIES = ["Berlin", "Oslo", "Lima", "Tokyo", "Cairo", "Quito"]


def good(i, pad=None):
    ev = {"id": i, "city": CITIES[i % len(CITIES)], "ts": BASE + i * 1000,
          "temperature": round(-10 + (i * 7919 % 400) / 10.0, 1), "humidity": i % 100}
    if pad:
        ev["pad"] = pad
    return json.dumps(ev).encode()


def ev_with(**fields):
    ev = {"id": 999999, "city": "Bad", "ts": BASE, "temperature": 1.5, "humidity": 50}
    ev.update(fields)
    for k in [k for k, v in fields.items() if v is ...]:
        del ev[k]
    return json.dumps(ev).encode()


# Each bad kind: name, payload (None is a tombstone), the gist of its error
# (a regular expression) and the stage that rejects it.
NOT_JSON = r"^not JSON: .+ at line \d+ column \d+$"
KINDS = [
    ("not JSON", b"not json at all", NOT_JSON, "decode"),
    ("truncated", good(1)[:25], NOT_JSON, "decode"),
    ("wrong type REAL", ev_with(temperature="warm"), r'^column temperature: expected REAL, got "warm"$', "decode"),
    ("wrong type INTEGER", ev_with(humidity="high"), r'^column humidity: expected INTEGER, got "high"$', "decode"),
    ("array for INTEGER", ev_with(id=[1, 2]), r"^column id: expected INTEGER, got an array$", "decode"),
    ("missing event time", ev_with(ts=...), r"^event time column ts is missing$", "decode"),
    ("null event time", ev_with(ts=None), r"^event time column ts is missing$", "decode"),
    ("unparseable event time", ev_with(ts="yesterday"), r'^column ts: expected TIMESTAMP, got "yesterday"$', "decode"),
    ("impossible date", ev_with(ts="2026-13-45T99:00:00Z"), r'^column ts: expected TIMESTAMP, got "2026-13-45T99:00:00Z"$', "decode"),
    ("event time out of range", ev_with(ts=1e20), r"^column ts: expected TIMESTAMP, got a number$", "decode"),
    ("boolean event time", ev_with(ts=True), r"^column ts: expected TIMESTAMP, got a boolean$", "decode"),
    ("invalid UTF-8", b'{"id":1,"city":"\xff\xfe","ts":%d}' % BASE, r"^not JSON: unable to decode byte 0xff", "decode"),
    ("raw NUL byte", b'{"id":1,"city":"N\x00L","ts":%d}' % BASE, NOT_JSON, "decode"),
    # \u0000 is valid JSON, but no text column can hold it: only the column
    # that reads it fails
    ("escaped NUL", b'{"id":1,"city":"N\\u0000L","ts":%d}' % BASE, r"^column city: the string contains \\u0000$", "decode"),
    ("trailing NUL", good(2) + b"\x00", NOT_JSON, "decode"),
    ("too deep", b'{"a":' * 3000 + b"1" + b"}" * 3000, r"^not JSON: maximum parsing depth reached", "decode"),
    ("empty", b"", r"^empty payload$", "decode"),
    ("tombstone", None, r"^empty payload$", "decode"),
    ("array", b"[1,2,3]", r"^not a JSON object but an array$", "decode"),
    ("scalar", b'"just a string"', r"^not a JSON object but a string$", "decode"),
    ("byte-order mark", b"\xef\xbb\xbf" + good(3), NOT_JSON, "decode"),
    ("integer too big", b'{"id":123456789012345678901234567890,"ts":%d}' % BASE, r"^not JSON: too big integer", "decode"),
    ("trailing garbage", good(4) + b" trailing", r"^not JSON: end of file expected", "decode"),
    ("far future", ev_with(ts=NOW + 10 * 86400000), r"^event time \d{4}-.* is more than max_future ahead", "event time"),
]
HUGE_BAD = ("huge", b"x" * 1000000, NOT_JSON, "decode")

# ---------------------------------------------------------------- the topic
rng = random.Random(8)
msgs = [("good", good(i), None, None) for i in range(NGOOD)]
msgs[NGOOD // 2] = ("good", good(NGOOD // 2, pad="p" * 1000000), None, None)  # a ~1 MB good event
bad = [KINDS[k % len(KINDS)] for k in range(4 * len(KINDS))] + [HUGE_BAD]
for b in bad:
    msgs.insert(rng.randrange(len(msgs) + 1), b)

producer = KafkaProducer(bootstrap_servers=BROKERS, max_in_flight_requests_per_connection=1,
                         max_request_size=4 * 1024 * 1024, linger_ms=5)
futures = []
for i, (kind, payload, _, _) in enumerate(msgs):
    # the two huge records go to different partitions (retention: 5 MiB each)
    huge = payload is not None and len(payload) >= 1000000
    part = (0 if kind == "good" else 1) if huge else i % NPART
    futures.append(producer.send(TOPIC, key=b"k%d" % i, value=payload, partition=part))
producer.flush()
where = [(f.get(timeout=30).partition, f.get(timeout=30).offset) for f in futures]
producer.close()
expect_bad = {where[i]: m for i, m in enumerate(msgs) if m[0] != "good"}
check("every bad kind was produced", len(KINDS) + 1, len({m[0] for m in expect_bad.values()}))

# ---------------------------------------------------------------- the views
db_path = os.path.join(WORK, "torture.db")
script = """
CREATE STREAM s (id INTEGER, city TEXT, ts TIMESTAMP, temperature REAL, humidity INTEGER)
  WITH (topic = '%s', brokers = '%s', timestamp = 'ts', watermark = '1 second');
CREATE MATERIALIZED VIEW per_city AS
  SELECT city, count(*) AS n, sum(id) AS ids, count(temperature) AS nt FROM s GROUP BY city;
CREATE MATERIALIZED VIEW per_minute AS
  SELECT window_start, count(*) AS n FROM s GROUP BY TUMBLE(ts, '1 minute');
""" % (TOPIC, BROKERS)
run = subprocess.run([KSQ, "--exit-at-end", "--drain", db_path], input=script, text=True,
                     capture_output=True, timeout=240)
check("ksqlite exits 0 (no crash, no sanitizer report)", (0, ""), (run.returncode, run.stderr))

db = sqlite3.connect(db_path)
want_city = {}
for i in range(NGOOD):
    c = CITIES[i % len(CITIES)]
    n, ids = want_city.get(c, (0, 0))
    want_city[c] = (n + 1, ids + i)
check("per city: every good event counted once (count, sum of ids)",
      sorted((c, n, ids, n) for c, (n, ids) in want_city.items()),
      db.execute("SELECT city, n, ids, nt FROM per_city ORDER BY city").fetchall())
want_min = {}
for i in range(NGOOD):
    ws = (BASE + i * 1000) // 60000 * 60000
    want_min[ws] = want_min.get(ws, 0) + 1
got_min = db.execute("SELECT window_start, n FROM per_minute ORDER BY 1").fetchall()
check("per minute: every window closed with its exact count",
      [(time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime(ws / 1000)), n) for ws, n in sorted(want_min.items())],
      got_min)
check("the views counted 900 events each, none late", [("per_city", NGOOD, 0), ("per_minute", NGOOD, 0)],
      db.execute("SELECT view, events, late FROM ksq_view_state ORDER BY view").fetchall())
check("ksq_late is empty", 0, db.execute("SELECT count(*) FROM ksq_late").fetchone()[0])

# ---------------------------------------------------------------- dead letters
rows = db.execute("SELECT partition, offset, stream, topic, stage, error, payload, "
                  "typeof(error) FROM ksq_dead_letters").fetchall()
got = {(r[0], r[1]): r for r in rows}
check("every bad record is a dead letter, once, at its partition and offset",
      sorted(expect_bad), sorted(got))
check("dead letters name the stream and topic", {("s", TOPIC)}, {(r[2], r[3]) for r in rows})
wrong = []
for pos, (kind, payload, gist, stage) in sorted(expect_bad.items()):
    r = got[pos]
    if r[4] != stage:
        wrong.append((kind, "stage", r[4]))
    if not re.search(gist, r[5]):
        wrong.append((kind, "error", r[5]))
    if (r[6] or b"") != (payload or b""):
        wrong.append((kind, "payload", len(r[6] or b"")))
check("each dead letter has its stage, the gist of its error and its payload", [], wrong)
check("errors are printable text", [],
      [r[5] for r in rows if r[7] != "text" or re.search(r"[\x00-\x1f\x7f]", r[5])])
db.close()
show = subprocess.run([KSQ, "-json", db_path, "SHOW STREAMS;"], capture_output=True, timeout=60)
check("SHOW STREAMS counts the dead letters", [("s", len(bad))],
      [(r["name"], r["dead_letters"]) for r in json.loads(show.stdout.decode("utf-8"))])

# ---------------------------------------------------------------- a pull query
pull = subprocess.run([KSQ, "-json", db_path,
                       "SELECT _partition AS p, _offset AS o, _error AS e, id, length(_value) AS n FROM s;"],
                      capture_output=True, timeout=120)
check("the pull query exits 0", (0, b""), (pull.returncode, pull.stderr))
prow = json.loads(pull.stdout.decode("utf-8"))
check("the pull query returns every message", len(msgs), len(prow))
pull_bad = {(r["p"], r["o"]): r["e"] for r in prow if r["e"] is not None}
decode_bad = {pos: m for pos, m in expect_bad.items() if m[3] == "decode"}
check("_error is set exactly on the records that do not decode", sorted(decode_bad), sorted(pull_bad))
dl = {(r[0], r[1]): r[5] for r in rows}
check("_error says what the dead letter says", [], [p for p in decode_bad if pull_bad[p] != dl[p]])
nfuture = sum(1 for m in expect_bad.values() if m[3] == "event time")
check("good rows decode in full (and the future-stamped ones, which only a view refuses)",
      sum(range(NGOOD)) + 999999 * nfuture, sum(r["id"] for r in prow if r["e"] is None))
check("the ~1 MB payloads come back whole", 2,
      sum(1 for r in prow if r["n"] is not None and r["n"] > 1000000 - 1))
print("# %d messages (%d good, %d bad of %d kinds); %d checks passed"
      % (len(msgs), NGOOD, len(bad), len(KINDS) + 1, checks))
