"""view_compare.py — what the fault drivers (broker_faults.py, disk_faults.py)
share: a view's rows through the faults against an uninterrupted run."""


def compare_views(db, ref, views):
    """Compare each view's rows (any order) in the sqlite3 connections db and
    ref; print an "ok" or "FAIL" line for each. Returns the failures."""
    failures = 0
    for view in views:
        x = sorted(db.execute("SELECT * FROM %s" % view).fetchall(), key=repr)
        y = sorted(ref.execute("SELECT * FROM %s" % view).fetchall(), key=repr)
        if x != y:
            failures += 1
            print("FAIL %s: %d rows through the faults, %d uninterrupted" % (view, len(x), len(y)))
        else:
            print("ok - %s: %d rows identical to the uninterrupted run" % (view, len(x)))
    return failures
