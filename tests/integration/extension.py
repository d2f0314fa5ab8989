"""extension.py — the ksqlite SQLite extension from Python's sqlite3 module
(Debian's /usr/bin/python3, standard library only), run by 0052-extension.sh.

    extension.py LIBKSQLITE BROKERS TOPIC NMSG DIR

TOPIC holds NMSG weather events (ksqlite-gen). Prints one "ok" line per
check; exits 1 at the first failure.
"""
import json
import sqlite3
import sys

lib, brokers, topic, nmsg, workdir = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
checks = 0


def check(what, cond):
    global checks
    checks += 1
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {checks} - {what}")


def error_of(con, sql, *args):
    try:
        con.execute(sql, args).fetchall()
    except sqlite3.Error as e:
        return str(e)
    return ""


def connect(path):
    con = sqlite3.connect(path, isolation_level=None)
    con.enable_load_extension(True)
    con.load_extension(lib)
    con.enable_load_extension(False)
    con.execute("SELECT ksqlite_brokers(?)", (brokers,))
    return con


db = f"{workdir}/py.db"
con = connect(db)
check("load_extension() registers the functions",
      con.execute("SELECT ksqlite_version()").fetchone()[0] == "0.1.0")
con.execute(f"CREATE VIRTUAL TABLE t USING kafka(topic = '{topic}')")
check("the kafka module counts the topic", con.execute("SELECT count(*) FROM t").fetchone()[0] == nmsg)

pipeline = f"""
CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL)
  WITH (topic = '{topic}', timestamp = 'ts', watermark = '1 second');
CREATE MATERIALIZED VIEW m AS SELECT city, count(*) AS n, window_start
  FROM weather GROUP BY city, TUMBLE(ts, '10 seconds');
"""
check("ksqlite_exec() runs stream statements, returning NULL",
      con.execute("SELECT ksqlite_exec(?)", (pipeline,)).fetchone()[0] is None)
shown = json.loads(con.execute("SELECT ksqlite_exec('SHOW VIEWS')").fetchone()[0])
check("rows come back as JSON", [v["name"] for v in shown] == ["m"] and shown[0]["status"] == "running")
total = 0
for _ in range(100):
    total += con.execute("SELECT ksqlite_run(200)").fetchone()[0]
    if total >= nmsg:
        break
check("ksqlite_run(MS) returns the events it processed", total == nmsg)
check("ksqlite_status: caught up", con.execute("SELECT views, lag FROM ksqlite_status").fetchone() == (1, 0))
check("ksqlite_run_to_end(1) closes the rest", con.execute("SELECT ksqlite_run_to_end(1)").fetchone()[0] == 0
      and con.execute("SELECT sum(n) FROM m").fetchone()[0] == nmsg)

err = error_of(con, "SELECT ksqlite_exec(?)", "SELECT 1;\nSELECT nosuch FROM m")
check("errors come as sqlite3 errors with the message", "no such column: nosuch" in err)
check("ksqlite_error_offset() points into the SQL", con.execute("SELECT ksqlite_error_offset()").fetchone()[0] == 17)
check("push queries are refused",
      "push query" in error_of(con, "SELECT ksqlite_exec('SELECT * FROM weather EMIT CHANGES')"))
con.execute("BEGIN")
check("inside a transaction the views cannot commit: a clear error",
      "transaction is open" in error_of(con, "SELECT ksqlite_run(10)"))
con.execute("ROLLBACK")
check("the functions cannot be used from a trigger (SQLITE_DIRECTONLY)",
      con.execute("CREATE TABLE x(a)") is not None and
      con.execute("CREATE TRIGGER xt AFTER INSERT ON x BEGIN SELECT ksqlite_run(0); END") is not None and
      "unsafe use of ksqlite_run" in error_of(con, "INSERT INTO x VALUES (1)"))
check("DROP through ksqlite_exec()", con.execute("SELECT ksqlite_exec('DROP MATERIALIZED VIEW m')").fetchone()[0] is None
      and con.execute("SELECT views FROM ksqlite_status").fetchone()[0] == 0)
con.execute("SELECT ksqlite_exec(?)", ("CREATE MATERIALIZED VIEW m2 AS SELECT city FROM weather WHERE temperature > 100",))
con.close()

# A new connection to the file resumes the view where it stopped.
con = connect(db)
check("a new connection resumes the database's view",
      con.execute("SELECT views FROM ksqlite_status").fetchone()[0] == 1)
check("and reads on from its offsets", con.execute("SELECT ksqlite_run_to_end(0)").fetchone()[0] == nmsg)
two = connect(":memory:")
check("two connections, two engines",
      two.execute("SELECT views FROM ksqlite_status").fetchone()[0] == 0 and
      con.execute("SELECT views FROM ksqlite_status").fetchone()[0] == 1)
two.close()
con.close()
print(f"# {checks} checks passed")
