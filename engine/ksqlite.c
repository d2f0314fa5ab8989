/*
** ksqlite.c — the engine handle: the public API of ksqlite.h.
**
**   ksqlite *k;
**   ksqlite_open("pipeline.db", &k, &zErr);      // or ksqlite_attach(db, &k, &zErr)
**   ksqlite_exec(k, "CREATE STREAM ...; CREATE MATERIALIZED VIEW ...", NULL, NULL, &zErr);
**   ksqlite_serve(k, &zErr);                     // until ksqlite_stop()
**   ksqlite_close(k);
**
** The work is done by the modules (catalog.c, runtime.c, push.c, tap.c);
** this file adds the API's rules: messages kept for ksqlite_errmsg(), calls
** from inside callbacks refused, one engine per connection, and a host's
** connection left clean by ksqlite_close().
*/
#include "ksqlite.h"
#include "sink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *ksqlite_version(void)
{
    return KSQLITE_VERSION;
}

int ksqlite_version_number(void)
{
    return KSQLITE_VERSION_NUMBER;
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

/* ------------------------------------------------------------------ errors and misuse */

/* Record the outcome of an API call on k: rc, and zErr (taken; NULL means
** rc's generic message). On failure the message goes to *pzErr (when
** wanted) and a copy stays in k for ksqlite_errmsg(). Returns rc. */
static int api_result(ksqlite *k, int rc, char *zErr, char **pzErr)
{
    sqlite3_free(k->zErrMsg);
    k->zErrMsg = NULL;
    k->errCode = rc;
    if (rc == SQLITE_OK) {
        sqlite3_free(zErr);
        return rc;
    }
    if (!zErr) zErr = sqlite3_mprintf("%s", sqlite3_errstr(rc));
    if (zErr) k->zErrMsg = sqlite3_mprintf("%s", zErr);
    set_err(pzErr, zErr);
    return rc;
}

/* Is this call made from inside a callback of another call on k (which
** the API does not allow: the running call owns the engine's state)? Then
** record KSQLITE_MISUSE and return it, else 0. */
static int in_callback(ksqlite *k, const char *zFunc, char **pzErr)
{
    if (k->nDepth == 0) return 0;
    return api_result(k, SQLITE_MISUSE,
                      sqlite3_mprintf("%s() cannot be called from inside a callback of another "
                                      "ksqlite call on the same handle",
                                      zFunc),
                      pzErr);
}

/* The views' loops commit one transaction per batch: refuse to start one
** while the host holds a transaction open on the connection. */
static int in_transaction(ksqlite *k, const char *zFunc, char **pzErr)
{
    if (sqlite3_get_autocommit(k->db)) return 0;
    return api_result(k, SQLITE_MISUSE,
                      sqlite3_mprintf("%s(): a transaction is open on the connection; end it "
                                      "first (the views commit one transaction per batch)",
                                      zFunc),
                      pzErr);
}

const char *ksqlite_errmsg(ksqlite *k)
{
    if (!k) return sqlite3_errstr(SQLITE_NOMEM);
    return k->zErrMsg ? k->zErrMsg : sqlite3_errstr(k->errCode);
}

int ksqlite_error_offset(ksqlite *k)
{
    return k->error_offset;
}

/* ------------------------------------------------------------------ one engine per connection */

/* The connections that have an engine, so a second one is refused (two
** engines would register the same module and functions, and the first to
** close would pull them from under the other). */
static pthread_mutex_t g_engines_mutex = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 **g_aEngineDb; /* connections with an engine */
static int g_nEngineDb, g_nEngineAlloc;

/* Note that db has an engine. SQLITE_MISUSE if it has one already. */
static int engines_add(sqlite3 *db)
{
    int rc = SQLITE_OK;
    pthread_mutex_lock(&g_engines_mutex);
    for (int i = 0; i < g_nEngineDb && !rc; i++) {
        if (g_aEngineDb[i] == db) rc = SQLITE_MISUSE;
    }
    if (!rc && g_nEngineDb == g_nEngineAlloc) {
        int n = g_nEngineAlloc ? g_nEngineAlloc * 2 : 8;
        sqlite3 **a = realloc(g_aEngineDb, sizeof(sqlite3 *) * (size_t)n);
        if (a) {
            g_aEngineDb = a;
            g_nEngineAlloc = n;
        } else {
            rc = SQLITE_NOMEM;
        }
    }
    if (!rc) g_aEngineDb[g_nEngineDb++] = db;
    pthread_mutex_unlock(&g_engines_mutex);
    return rc;
}

static void engines_remove(sqlite3 *db)
{
    pthread_mutex_lock(&g_engines_mutex);
    for (int i = 0; i < g_nEngineDb; i++) {
        if (g_aEngineDb[i] == db) {
            g_aEngineDb[i] = g_aEngineDb[--g_nEngineDb];
            break;
        }
    }
    if (g_nEngineDb == 0) {
        free(g_aEngineDb);
        g_aEngineDb = NULL;
        g_nEngineAlloc = 0;
    }
    pthread_mutex_unlock(&g_engines_mutex);
}

/* ------------------------------------------------------------------ opening and closing */

/* Remove from a host's connection what the engine registered that points
** to k: its temp tables (a ksq_batch table per view), the function
** ksq_view_info and the modules kafka and ksq_batch; then reload the
** schema so the virtual tables connected through those modules are
** disconnected (their next use fails with "no such module"). The stateless
** aggregates stay. Returns 0 when k may be freed: nothing refers to it. */
static int detach_from_host(ksqlite *k)
{
    sqlite3 *db = k->db;
    sqlite3_stmt *st = NULL;
    sqlite3_str *drops = sqlite3_str_new(NULL);
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM temp.sqlite_schema WHERE type = 'table' AND name "
                           "LIKE 'ksq\\_b\\_%' ESCAPE '\\'",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            sqlite3_str_appendf(drops, "DROP TABLE IF EXISTS temp.\"%w\";",
                                (const char *)sqlite3_column_text(st, 0));
        }
    }
    sqlite3_finalize(st);
    char *zDrops = sqlite3_str_finish(drops);
    if (zDrops) sqlite3_exec(db, zDrops, 0, 0, NULL);
    sqlite3_free(zDrops);

    int rc = sqlite3_create_function(db, "ksq_view_info", 2, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    sqlite3_create_module_v2(db, "kafka", NULL, NULL, NULL);
    sqlite3_create_module_v2(db, "ksq_batch", NULL, NULL, NULL);

    /* PRAGMA writable_schema=RESET reloads the schema (and turns
    ** writable_schema off: restore it if the host had it on). */
    int writable = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA writable_schema", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) writable = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_exec(db, "PRAGMA writable_schema=RESET", 0, 0, NULL);
    if (writable) sqlite3_exec(db, "PRAGMA writable_schema=ON", 0, 0, NULL);
    if (rc) {
        /* A statement of the host still runs: the function cannot go. */
        ksq_log(KSQ_LOG_WARN,
                "ksqlite_close(): a statement is still running on the connection; the engine "
                "keeps %d bytes so that ksq_view_info() stays safe",
                (int)sizeof *k);
    }
    return rc;
}

/* Free what k holds; with keepStruct, k itself stays allocated. */
static void free_handle(ksqlite *k, int keepStruct)
{
    sqlite3_free(k->zDefaultBrokers);
    k->zDefaultBrokers = NULL;
    sqlite3_free(k->zErrMsg);
    k->zErrMsg = NULL;
    if (!keepStruct) sqlite3_free(k);
}

/* Create the handle around db and register what the engine provides. */
static int engine_init(sqlite3 *db, int ownsDb, ksqlite **ppK, char **pzErr)
{
    int rc = engines_add(db);
    if (rc) {
        set_err(pzErr, rc == SQLITE_MISUSE ? sqlite3_mprintf("this connection already has a "
                                                             "ksqlite engine")
                                           : NULL);
        return rc;
    }
    ksqlite *k = sqlite3_malloc(sizeof *k);
    if (!k) {
        engines_remove(db);
        return SQLITE_NOMEM;
    }
    memset(k, 0, sizeof *k);
    k->db = db;
    k->owns_db = ownsDb;
    k->error_offset = -1;
    const char *env = getenv("KSQLITE_BROKERS");
    if (env && env[0] && ksqlite_set_brokers(k, env) != SQLITE_OK) {
        engines_remove(db);
        free_handle(k, 0);
        return SQLITE_NOMEM;
    }
    char *zErr = NULL;
    rc = ksq_vtab_register(db, k);
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
        int keep = !ownsDb && detach_from_host(k) != SQLITE_OK;
        engines_remove(db);
        free_handle(k, keep);
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
    /* One thread at a time uses a handle (ksqlite.h, "Threads"), so the
    ** connection needs no mutexes of its own (SQLite's multi-thread mode):
    ** they were a tenth of a session view's CPU time. */
    int rc = sqlite3_open_v2(
        zPath, &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
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
    if (!db) {
        set_err(pzErr, sqlite3_mprintf("ksqlite_attach(): no connection"));
        return SQLITE_MISUSE;
    }
    return engine_init(db, 0, ppK, pzErr);
}

void ksqlite_close(ksqlite *k)
{
    if (!k) return;
    if (k->nDepth > 0) {
        ksq_log(KSQ_LOG_ERROR, "ksqlite_close() called from a callback: ignored");
        return;
    }
    ksq_metrics_stop(k);
    ksq_runtime_free(k);
    int keep = !k->owns_db && detach_from_host(k) != SQLITE_OK;
    engines_remove(k->db);
    if (k->owns_db) sqlite3_close(k->db);
    free_handle(k, keep);
}

void ksq_engine_suspend(ksqlite *k)
{
    ksq_runtime *rt = k->rt;
    if (!rt) return;
    while (rt->nTap > 0) ksq_tap_forget(k, rt->aTap[0]->zView);
    while (rt->nView > 0) {
        char *zName = sqlite3_mprintf("%s", rt->aView[0]->zName);
        if (!zName) {
            /* No memory for the name: free the runtime whole instead. */
            ksq_runtime_free(k);
            return;
        }
        ksq_runtime_remove_view(k, zName);
        sqlite3_free(zName);
    }
}

int ksq_engine_resume(ksqlite *k, char **pzErr)
{
    if (!k->rt) {
        int rc = ksq_runtime_init(k, pzErr);
        if (rc) return rc;
    }
    return ksq_runtime_resume(k, pzErr);
}

void ksq_engine_destroy(ksqlite *k)
{
    if (!k) return;
    ksq_runtime_free(k);
    engines_remove(k->db);
    free_handle(k, 0);
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
        if (!z) return api_result(k, SQLITE_NOMEM, NULL, NULL);
    }
    sqlite3_free(k->zDefaultBrokers);
    k->zDefaultBrokers = z;
    return api_result(k, SQLITE_OK, NULL, NULL);
}

const char *ksqlite_brokers(ksqlite *k)
{
    return k->zDefaultBrokers;
}

void ksqlite_interrupt(ksqlite *k)
{
    if (!k) return;
    k->interrupted = 1;
    sqlite3_interrupt(k->db);
}

/* ------------------------------------------------------------------ running statements */

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
    char *zFail = NULL;
    if (in_callback(k, "ksqlite_exec", pzErr)) return SQLITE_MISUSE;
    k->nDepth++;
    k->interrupted = 0;
    k->error_offset = -1;
    while (rc == SQLITE_OK && zSql && ksq_next_statement(zSql, &off, &start, &end)) {
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
            zFail = zErr;
        } else {
            sqlite3_free(zErr);
        }
    }
    k->interrupted = 0;
    k->nDepth--;
    return api_result(k, rc, zFail, pzErr);
}

/* ------------------------------------------------------------------ continuous views */

int ksq_engine_run(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr)
{
    char *zErr = NULL;
    *pnEvents = 0;
    if (in_callback(k, "ksqlite_run", pzErr)) return SQLITE_MISUSE;
    k->nDepth++;
    int rc = ksq_runtime_run(k, timeoutMs, pnEvents, &zErr);
    k->nDepth--;
    return api_result(k, rc, zErr, pzErr);
}

int ksqlite_run(ksqlite *k, int timeoutMs)
{
    int n;
    int rc = ksq_engine_run(k, timeoutMs, &n, NULL);
    if (rc) ksq_log(KSQ_LOG_ERROR, "%s", ksqlite_errmsg(k));
    return rc;
}

int ksq_engine_run_to_end(ksqlite *k, int drain, int *pnEvents, char **pzErr)
{
    char *zErr = NULL;
    *pnEvents = 0;
    if (in_callback(k, "ksqlite_run_to_end", pzErr)) return SQLITE_MISUSE;
    if (in_transaction(k, "ksqlite_run_to_end", pzErr)) return SQLITE_MISUSE;
    k->nDepth++;
    int rc = ksq_runtime_run_to_end(k, drain, pnEvents, &zErr);
    k->nDepth--;
    return api_result(k, rc, zErr, pzErr);
}

int ksqlite_run_to_end(ksqlite *k, int drain, char **pzErr)
{
    int n;
    return ksq_engine_run_to_end(k, drain, &n, pzErr);
}

int ksqlite_serve(ksqlite *k, char **pzErr)
{
    char *zErr = NULL;
    if (in_callback(k, "ksqlite_serve", pzErr)) return SQLITE_MISUSE;
    if (in_transaction(k, "ksqlite_serve", pzErr)) return SQLITE_MISUSE;
    k->nDepth++;
    int rc = ksq_runtime_serve(k, &zErr);
    k->nDepth--;
    return api_result(k, rc, zErr, pzErr);
}

void ksqlite_stop(ksqlite *k)
{
    if (k && k->rt) k->rt->stop = 1;
}

int ksqlite_view_count(ksqlite *k)
{
    int n = 0;
    for (int i = 0; k->rt && i < k->rt->nView; i++) n += !k->rt->aView[i]->failed;
    return n;
}

int ksqlite_views_created(ksqlite *k)
{
    return k->nViewsCreated;
}

/* ------------------------------------------------------------------ emitted rows, status */

int ksqlite_on_emit(ksqlite *k, const char *zView, ksqlite_emit_fn xEmit, void *pArg, char **pzErr)
{
    if (in_callback(k, "ksqlite_on_emit", pzErr)) return SQLITE_MISUSE;
    if (!zView) return api_result(k, SQLITE_MISUSE, sqlite3_mprintf("no view named"), pzErr);
    ksq_tap *t = ksq_tap_find(k, zView);
    if (!xEmit) {
        if (t) {
            t->xEmit = NULL;
            ksq_tap_release(k, t);
        }
        return api_result(k, SQLITE_OK, NULL, pzErr);
    }
    char *zErr = NULL;
    int rc = t ? SQLITE_OK : ksq_tap_open(k, zView, &t, &zErr);
    if (!rc) {
        t->xEmit = xEmit;
        t->pEmitArg = pArg;
    }
    return api_result(k, rc, zErr, pzErr);
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
