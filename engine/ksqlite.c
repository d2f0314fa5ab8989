/*
** ksqlite.c — the engine handle: open a database, register the `kafka`
** module, run statements, close. This is the public API of ksqlite.h.
*/
#include "ksqlite.h"
#include "sink.h"

#include <stdlib.h>
#include <string.h>

const char *ksqlite_version(void)
{
    return KSQLITE_VERSION;
}

void ksqlite_free(void *p)
{
    sqlite3_free(p);
}

static void set_err(char **pzErr, char *zMsg)
{
    if (pzErr) {
        *pzErr = zMsg;
    } else {
        sqlite3_free(zMsg);
    }
}

/* Create the handle around db and register what the engine provides. */
static int engine_init(sqlite3 *db, int ownsDb, ksqlite **ppK, char **pzErr)
{
    ksqlite *k = sqlite3_malloc(sizeof *k);
    if (!k) return SQLITE_NOMEM;
    memset(k, 0, sizeof *k);
    k->db = db;
    k->owns_db = ownsDb;
    k->error_offset = -1;
    const char *env = getenv("KSQLITE_BROKERS");
    if (env && env[0] && ksqlite_set_brokers(k, env) != SQLITE_OK) {
        sqlite3_free(k);
        return SQLITE_NOMEM;
    }
    char *zErr = NULL;
    int rc = ksq_vtab_register(db, k);
    if (!rc) rc = ksq_catalog_register(db, k);
    if (!rc) rc = ksq_metrics_register(db, k);
    if (rc) zErr = sqlite3_mprintf("cannot register the kafka module: %s", sqlite3_errmsg(db));
    if (!rc) rc = ksq_runtime_init(k, &zErr);
    /* Views in the database resume where they stopped, and their sinks. */
    if (!rc) rc = ksq_runtime_resume(k, &zErr);
    if (!rc) rc = ksq_sinks_resume(k, &zErr);
    if (rc) {
        set_err(pzErr, zErr);
        ksq_runtime_free(k);
        sqlite3_free(k->zDefaultBrokers);
        sqlite3_free(k);
        return rc;
    }
    *ppK = k;
    return SQLITE_OK;
}

int ksqlite_open(const char *zPath, ksqlite **ppK, char **pzErr)
{
    sqlite3 *db = NULL;
    *ppK = NULL;
    if (!zPath || !zPath[0]) zPath = ":memory:";
    int rc = sqlite3_open_v2(zPath, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc) {
        set_err(pzErr, sqlite3_mprintf("cannot open database %s: %s", zPath,
                                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 0);
    /* WAL lets other clients read results while views commit; NORMAL
    ** synchronous survives process crashes. */
    if (strcmp(zPath, ":memory:") != 0) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", 0, 0, 0);
        if (rc) {
            set_err(pzErr,
                    sqlite3_mprintf("cannot open database %s: %s", zPath, sqlite3_errmsg(db)));
            sqlite3_close(db);
            return rc;
        }
    }
    rc = engine_init(db, 1, ppK, pzErr);
    if (rc) sqlite3_close(db);
    return rc;
}

int ksqlite_attach(sqlite3 *db, ksqlite **ppK, char **pzErr)
{
    *ppK = NULL;
    return engine_init(db, 0, ppK, pzErr);
}

void ksqlite_close(ksqlite *k)
{
    if (!k) return;
    ksq_metrics_stop(k);
    ksq_runtime_free(k);
    if (k->owns_db) sqlite3_close(k->db);
    sqlite3_free(k->zDefaultBrokers);
    sqlite3_free(k);
}

sqlite3 *ksqlite_db(ksqlite *k)
{
    return k->db;
}

int ksqlite_set_brokers(ksqlite *k, const char *zBrokers)
{
    char *z = NULL;
    if (zBrokers) {
        z = sqlite3_mprintf("%s", zBrokers);
        if (!z) return SQLITE_NOMEM;
    }
    sqlite3_free(k->zDefaultBrokers);
    k->zDefaultBrokers = z;
    return SQLITE_OK;
}

const char *ksqlite_brokers(ksqlite *k)
{
    return k->zDefaultBrokers;
}

void ksqlite_interrupt(ksqlite *k)
{
    k->interrupted = 1;
    sqlite3_interrupt(k->db);
}

int ksqlite_error_offset(ksqlite *k)
{
    return k->error_offset;
}

/* Run one plain SQLite statement zSql[0..n), rows to xRow. */
static int exec_sqlite(ksqlite *k, const char *zSql, int n, ksqlite_row_fn xRow, void *pArg,
                       char **pzErr, int *pErrOff)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(k->db, zSql, n, &stmt, NULL);
    if (rc) {
        *pErrOff = sqlite3_error_offset(k->db);
        set_err(pzErr, sqlite3_mprintf("%s", sqlite3_errmsg(k->db)));
        return rc;
    }
    if (!stmt) return SQLITE_OK; /* a comment */
    int nRow = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        nRow++;
        if (xRow && xRow(pArg, stmt)) {
            rc = k->interrupted ? SQLITE_INTERRUPT : SQLITE_DONE;
            break;
        }
    }
    if (nRow > 0 && xRow) xRow(pArg, NULL); /* end of this result set */
    if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    } else {
        if (k->interrupted) rc = SQLITE_INTERRUPT;
        *pErrOff = 0;
        set_err(pzErr, sqlite3_mprintf("%s", rc == SQLITE_INTERRUPT ? "interrupted"
                                                                    : sqlite3_errmsg(k->db)));
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The row function of a push query whose caller wants no rows. */
static int discard_row(void *pArg, sqlite3_stmt *pStmt)
{
    (void)pArg;
    (void)pStmt;
    return 0;
}

int ksqlite_exec(ksqlite *k, const char *zSql, ksqlite_row_fn xRow, void *pArg, char **pzErr)
{
    int rc = SQLITE_OK, off = 0, start, end;
    k->interrupted = 0;
    k->error_offset = -1;
    while (rc == SQLITE_OK && ksq_next_statement(zSql, &off, &start, &end)) {
        ksq_stmt st;
        char *zErr = NULL;
        int errOff = -1;
        rc = ksq_stmt_parse(zSql + start, end - start, &st, &zErr, &errOff);
        if (!rc) {
            if (st.kind == KSQ_STMT_SQL) {
                rc = exec_sqlite(k, zSql + start, end - start, xRow, pArg, &zErr, &errOff);
            } else if (st.kind == KSQ_STMT_PUSH_QUERY) {
                rc = ksq_push_run(k, &st, xRow ? xRow : discard_row, pArg, &zErr, &errOff);
            } else {
                rc =
                    ksq_catalog_exec(k, &st, zSql + start, end - start, xRow, pArg, &zErr, &errOff);
            }
            ksq_stmt_clear(&st);
        }
        if (rc) {
            k->error_offset = start + (errOff > 0 ? errOff : 0);
            set_err(pzErr, zErr ? zErr : sqlite3_mprintf("%s", sqlite3_errstr(rc)));
        }
    }
    k->interrupted = 0;
    return rc;
}

int ksqlite_on_emit(ksqlite *k, const char *zView, ksqlite_emit_fn xEmit, void *pArg, char **pzErr)
{
    ksq_tap *t = ksq_tap_find(k, zView);
    if (!xEmit) {
        if (t) {
            t->xEmit = NULL;
            ksq_tap_release(k, t);
        }
        return SQLITE_OK;
    }
    char *zErr = NULL;
    int rc = t ? SQLITE_OK : ksq_tap_open(k, zView, &t, &zErr);
    if (rc) {
        set_err(pzErr, zErr ? zErr : sqlite3_mprintf("%s", sqlite3_errstr(rc)));
        return rc;
    }
    t->xEmit = xEmit;
    t->pEmitArg = pArg;
    return SQLITE_OK;
}

void ksqlite_get_status(ksqlite *k, ksqlite_status *p)
{
    memset(p, 0, sizeof *p);
    p->lag = -1;
    p->watermark = -1;
    if (k->scan.nActive > 0) {
        int64_t ms = ksq_monotonic_ms() - k->scan.startMs;
        p->scanning = 1;
        p->nRead = k->scan.nRead;
        p->nTotal = k->scan.nTotal;
        p->lag = k->scan.nTotal - k->scan.nRead;
        p->eventsPerSec = ms > 0 ? (double)k->scan.nRead * 1000.0 / (double)ms : 0.0;
        return;
    }
    int64_t nRead, lag, wm;
    ksq_runtime_status(k, &nRead, &lag, &p->eventsPerSec, &wm);
    p->nRead = nRead;
    p->lag = lag;
    p->watermark = wm;
    p->nTotal = lag >= 0 ? nRead + lag : -1;
}
