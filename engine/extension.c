/*
** extension.c — ksqlite as an SQLite loadable extension.
**
**   sqlite> .load ./libksqlite
**   sqlite> SELECT ksqlite_brokers('127.0.0.1:9092');
**   sqlite> CREATE VIRTUAL TABLE t USING kafka(topic = 'weather');
**   sqlite> SELECT count(*) FROM t;
**   sqlite> SELECT ksqlite_exec('CREATE STREAM weather (city TEXT, ts TIMESTAMP, temp REAL)
**      ...>   WITH (topic = ''weather'', timestamp = ''ts'');
**      ...> CREATE MATERIALIZED VIEW m AS SELECT city, count(*) AS n, window_start
**      ...>   FROM weather GROUP BY city, TUMBLE(ts, ''1 minute'')');
**   sqlite> SELECT ksqlite_run(500);       -- process for up to 500 ms; events processed
**   sqlite> SELECT * FROM m;
**
** Loading the extension starts an engine on the connection (ksqlite_attach)
** and registers:
**
**   ksqlite_exec(SQL)          run statements, the stream ones included; the
**                              rows of the last statement that returned some,
**                              as a JSON array of objects, or NULL
**   ksqlite_run(MS)            process the views for up to MS milliseconds;
**                              the number of events processed
**   ksqlite_run_to_end([DRAIN]) read every stream to its end (DRAIN: close
**                              every window); the events processed
**   ksqlite_brokers([LIST])    set (LIST, NULL clears) and return the
**                              default bootstrap servers
**   ksqlite_error_offset()     byte offset of the last ksqlite_exec() error
**   ksqlite_version()          the library's version
**   ksqlite_status             a one-row table: views, scanning, read,
**                              total, lag, events_per_sec, watermark
**
** The functions are SQLITE_DIRECTONLY: a trigger or view in a database
** file cannot call them. They run SQL on the connection they are called
** on, from inside the caller's statement: each batch of the views commits
** its own transaction, so they fail when the caller has a transaction
** open (Python's sqlite3: use isolation_level=None), and a DROP through
** ksqlite_exec() fails while another statement reads the database. Push
** queries (EMIT CHANGES) never end and are refused; read the views'
** tables instead.
**
** Lifetime. The engine lives with the connection: every registration holds
** a reference to it (ext_conn.nRef) and the last destructor, run when the
** connection closes, frees it. sqlite3_close() refuses to close a
** connection that still has prepared statements, and the engine keeps
** some (its views'); SQLite disconnects every virtual table before that
** check, precisely so a virtual table can finalize what it holds. The
** ksqlite_status table is connected at load for that reason: its
** xDisconnect suspends the engine (finalizes its statements, stops its
** Kafka consumers; no SQL runs). If the close then fails (the host has
** statements of its own), the next ksqlite_*() call resumes the views.
**
** SQLite. Every SQLite call of the library goes through the host's
** routines, pApi (engine/ksq_sqlite.h): the engine works with whichever
** SQLite the host has, built in or shared. The library is linked with
** -z nodelete, so it stays in memory when the connection closes (its
** dependencies, librdkafka among them, are not made to unload).
*/
#include "ksqlite.h"
#include "runtime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The engine of one connection, shared by the registrations. */
typedef struct ext_conn {
    ksqlite *k;    /* the engine on the connection */
    int nRef;      /* registrations pointing here (functions, the status module), + init's */
    int armed;     /* the ksqlite_status table is connected: a close will tell us */
    int suspended; /* its disconnect suspended the engine: views to load again */
    int warned;    /* arming failed and was reported */
} ext_conn;

/* Drop a reference; the last one frees the engine (the connection is
** closing: no SQL runs). */
static void ext_unref(void *p)
{
    ext_conn *x = p;
    if (--x->nRef > 0) return;
    ksq_engine_destroy(x->k);
    sqlite3_free(x);
}

/* ------------------------------------------------------------------ the close hook: ksqlite_status
 */

typedef struct status_vtab {
    sqlite3_vtab base; /* base class: must be first */
    ext_conn *x;       /* the connection's engine */
} status_vtab;

typedef struct status_cursor {
    sqlite3_vtab_cursor base; /* base class: must be first */
    int iRow;                 /* 0 on the one row, 1 at EOF */
    ksqlite_status st;        /* the figures, read at xFilter */
    int nView;                /* views running */
} status_cursor;

enum { ST_VIEWS, ST_SCANNING, ST_READ, ST_TOTAL, ST_LAG, ST_RATE, ST_WATERMARK };

static int status_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                          sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)argc;
    (void)argv;
    (void)pzErr;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(views INTEGER, scanning INTEGER, read "
                                      "INTEGER, total INTEGER, lag INTEGER, events_per_sec REAL, "
                                      "watermark TEXT)");
    if (rc) return rc;
    status_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->x = pAux;
    vt->x->armed = 1;
    *ppVtab = &vt->base;
    return SQLITE_OK;
}

/* Called when the connection closes (before SQLite checks for unfinalized
** statements), or if the module is dropped: let go of every statement. */
static int status_disconnect(sqlite3_vtab *pVtab)
{
    status_vtab *vt = (status_vtab *)pVtab;
    ext_conn *x = vt->x;
    x->armed = 0;
    if (!x->suspended) {
        ksq_engine_suspend(x->k);
        x->suspended = 1;
    }
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int status_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo)
{
    (void)pVtab;
    pInfo->estimatedCost = 1.0;
    pInfo->estimatedRows = 1;
    return SQLITE_OK;
}

static int status_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur)
{
    (void)pVtab;
    status_cursor *cur = sqlite3_malloc(sizeof *cur);
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof *cur);
    *ppCur = &cur->base;
    return SQLITE_OK;
}

static int status_close(sqlite3_vtab_cursor *pCur)
{
    sqlite3_free(pCur);
    return SQLITE_OK;
}

static int status_filter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv)
{
    (void)idxNum;
    (void)idxStr;
    (void)argc;
    (void)argv;
    status_cursor *cur = (status_cursor *)pCur;
    ksqlite *k = ((status_vtab *)pCur->pVtab)->x->k;
    cur->iRow = 0;
    ksqlite_get_status(k, &cur->st);
    cur->nView = ksqlite_view_count(k);
    return SQLITE_OK;
}

static int status_next(sqlite3_vtab_cursor *pCur)
{
    ((status_cursor *)pCur)->iRow++;
    return SQLITE_OK;
}

static int status_eof(sqlite3_vtab_cursor *pCur)
{
    return ((status_cursor *)pCur)->iRow > 0;
}

static int status_column(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int i)
{
    const status_cursor *cur = (const status_cursor *)pCur;
    const ksqlite_status *st = &cur->st;
    switch (i) {
    case ST_VIEWS: sqlite3_result_int(ctx, cur->nView); break;
    case ST_SCANNING: sqlite3_result_int(ctx, st->scanning); break;
    case ST_READ: sqlite3_result_int64(ctx, st->nRead); break;
    case ST_TOTAL:
        if (st->nTotal >= 0) sqlite3_result_int64(ctx, st->nTotal);
        break;
    case ST_LAG:
        if (st->lag >= 0) sqlite3_result_int64(ctx, st->lag);
        break;
    case ST_RATE: sqlite3_result_double(ctx, st->eventsPerSec); break;
    case ST_WATERMARK:
        if (st->watermark >= 0) {
            char z[KSQ_TIME_TEXT_LEN + 1];
            ksq_time_format(st->watermark, z);
            sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
        }
        break;
    default: break;
    }
    return SQLITE_OK;
}

static int status_rowid(sqlite3_vtab_cursor *pCur, sqlite3_int64 *pRowid)
{
    *pRowid = ((status_cursor *)pCur)->iRow;
    return SQLITE_OK;
}

/* Eponymous-only (no xCreate): one instance per connection, the hook. */
static sqlite3_module status_module = {
    /* iVersion    */ 0,
    /* xCreate     */ 0,
    /* xConnect    */ status_connect,
    /* xBestIndex  */ status_best_index,
    /* xDisconnect */ status_disconnect,
    /* xDestroy    */ 0,
    /* xOpen       */ status_open,
    /* xClose      */ status_close,
    /* xFilter     */ status_filter,
    /* xNext       */ status_next,
    /* xEof        */ status_eof,
    /* xColumn     */ status_column,
    /* xRowid      */ status_rowid,
    /* xUpdate     */ 0, /* read-only */
    /* xBegin      */ 0,
    /* xSync       */ 0,
    /* xCommit     */ 0,
    /* xRollback   */ 0,
    /* xFindFunction */ 0,
    /* xRename     */ 0,
    /* xSavepoint  */ 0,
    /* xRelease    */ 0,
    /* xRollbackTo */ 0,
    /* xShadowName */ 0,
};

/* Connect the ksqlite_status table (if it is not), so that closing the
** connection calls status_disconnect(). */
static void arm(ext_conn *x)
{
    if (x->armed) return;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(x->k->db, "SELECT 1 FROM ksqlite_status", -1, &st, NULL) != SQLITE_OK &&
        !x->warned) {
        ksq_log(KSQ_LOG_WARN,
                "cannot connect ksqlite_status (%s): closing the connection may "
                "fail with unfinalized statements",
                sqlite3_errmsg(x->k->db));
        x->warned = 1;
    }
    sqlite3_finalize(st);
}

/* ------------------------------------------------------------------ the SQL functions */

/* The engine for a call, with its views loaded and the close hook armed;
** NULL after reporting an error on ctx. */
static ksqlite *engine_for(sqlite3_context *ctx)
{
    ext_conn *x = sqlite3_user_data(ctx);
    if (x->suspended) {
        char *zErr = NULL;
        int rc = ksq_engine_resume(x->k, &zErr);
        if (rc) {
            sqlite3_result_error(ctx, zErr ? zErr : sqlite3_errstr(rc), -1);
            sqlite3_result_error_code(ctx, rc);
            sqlite3_free(zErr);
            return NULL;
        }
        x->suspended = 0;
    }
    arm(x);
    return x->k;
}

/* Report a failed call: the message (taken) and the code. */
static void result_error(sqlite3_context *ctx, int rc, char *zErr)
{
    if (rc == SQLITE_NOMEM) {
        sqlite3_result_error_nomem(ctx);
    } else {
        sqlite3_result_error(ctx, zErr ? zErr : sqlite3_errstr(rc), -1);
        sqlite3_result_error_code(ctx, rc);
    }
    sqlite3_free(zErr);
}

/* Views commit a transaction per batch: not inside the caller's. */
static int refuse_in_transaction(sqlite3_context *ctx, ksqlite *k, const char *zFunc)
{
    if (sqlite3_get_autocommit(k->db)) return 0;
    result_error(ctx, SQLITE_ERROR,
                 sqlite3_mprintf("%s(): a transaction is open on this connection; commit it first "
                                 "(the views commit one transaction per batch; in Python's "
                                 "sqlite3, connect with isolation_level=None)",
                                 zFunc));
    return 1;
}

/* Rows of ksqlite_exec() as JSON: the last result set. */
typedef struct json_rows {
    sqlite3_str *out; /* "[{...},{...}" so far, or NULL */
    int ended;        /* the result set ended: a new row starts a new one */
} json_rows;

/* Append z[0..n) as a JSON string. */
static void json_string(sqlite3_str *s, const unsigned char *z, int n)
{
    sqlite3_str_appendchar(s, 1, '"');
    for (int i = 0; i < n; i++) {
        unsigned char c = z[i];
        if (c == '"' || c == '\\') {
            sqlite3_str_appendf(s, "\\%c", c);
        } else if (c < 0x20) {
            sqlite3_str_appendf(s, "\\u%04x", c);
        } else {
            sqlite3_str_appendchar(s, 1, (char)c);
        }
    }
    sqlite3_str_appendchar(s, 1, '"');
}

static int json_row(void *pArg, sqlite3_stmt *pStmt)
{
    json_rows *j = pArg;
    if (!pStmt) {
        j->ended = 1;
        return 0;
    }
    if (!j->out || j->ended) {
        sqlite3_free(j->out ? sqlite3_str_finish(j->out) : NULL);
        j->out = sqlite3_str_new(NULL);
        j->ended = 0;
        sqlite3_str_appendchar(j->out, 1, '[');
    } else {
        sqlite3_str_appendchar(j->out, 1, ',');
    }
    sqlite3_str *s = j->out;
    sqlite3_str_appendchar(s, 1, '{');
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
        const char *zName = sqlite3_column_name(pStmt, i);
        if (i) sqlite3_str_appendchar(s, 1, ',');
        json_string(s, (const unsigned char *)(zName ? zName : ""), zName ? (int)strlen(zName) : 0);
        sqlite3_str_appendchar(s, 1, ':');
        switch (sqlite3_column_type(pStmt, i)) {
        case SQLITE_INTEGER: sqlite3_str_appendf(s, "%lld", sqlite3_column_int64(pStmt, i)); break;
        case SQLITE_FLOAT: {
            double r = sqlite3_column_double(pStmt, i);
            if (isfinite(r)) {
                sqlite3_str_appendf(s, "%!.17g", r);
            } else {
                sqlite3_str_appendall(s, "null");
            }
            break;
        }
        case SQLITE_TEXT:
            json_string(s, sqlite3_column_text(pStmt, i), sqlite3_column_bytes(pStmt, i));
            break;
        case SQLITE_BLOB: {
            /* Blobs as hex text. */
            const unsigned char *b = sqlite3_column_blob(pStmt, i);
            int n = sqlite3_column_bytes(pStmt, i);
            sqlite3_str_appendchar(s, 1, '"');
            for (int m = 0; m < n; m++) sqlite3_str_appendf(s, "%02x", b[m]);
            sqlite3_str_appendchar(s, 1, '"');
            break;
        }
        default: sqlite3_str_appendall(s, "null"); break;
        }
    }
    sqlite3_str_appendchar(s, 1, '}');
    return sqlite3_str_errcode(s) != SQLITE_OK;
}

/* Refuse push queries (they run until interrupted) before running anything.
** Returns non-zero after reporting. */
static int refuse_push_queries(sqlite3_context *ctx, const char *zSql)
{
    int off = 0, start, end;
    while (ksq_next_statement(zSql, &off, &start, &end)) {
        ksq_stmt st;
        char *zErr = NULL;
        int errOff = -1;
        if (ksq_stmt_parse(zSql + start, end - start, &st, &zErr, &errOff) != SQLITE_OK) {
            sqlite3_free(zErr); /* ksqlite_exec() reports it, with its position */
            return 0;
        }
        int push = st.kind == KSQ_STMT_PUSH_QUERY;
        ksq_stmt_clear(&st);
        if (push) {
            result_error(ctx, SQLITE_ERROR,
                         sqlite3_mprintf("ksqlite_exec(): a push query (EMIT CHANGES) never ends "
                                         "inside a function; create a materialized view and "
                                         "read its table (statement at byte %d)",
                                         start));
            return 1;
        }
    }
    return 0;
}

/* ksqlite_exec(SQL) */
static void fn_exec(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *zSql = (const char *)sqlite3_value_text(argv[0]);
    if (!zSql) {
        result_error(ctx, SQLITE_MISUSE, sqlite3_mprintf("ksqlite_exec(): SQL text expected"));
        return;
    }
    ksqlite *k = engine_for(ctx);
    if (!k || refuse_push_queries(ctx, zSql)) return;
    json_rows j = {NULL, 0};
    char *zErr = NULL;
    int rc = ksqlite_exec(k, zSql, json_row, &j, &zErr);
    if (!rc && j.out && sqlite3_str_errcode(j.out) != SQLITE_OK) rc = SQLITE_NOMEM;
    char *zJson = j.out ? sqlite3_str_finish(j.out) : NULL;
    if (rc) {
        sqlite3_free(zJson);
        result_error(ctx, rc, zErr);
        return;
    }
    sqlite3_free(zErr);
    if (zJson) {
        char *z = sqlite3_mprintf("%s]", zJson);
        sqlite3_free(zJson);
        if (!z) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        sqlite3_result_text(ctx, z, -1, sqlite3_free);
    }
}

/* ksqlite_run(MS) */
static void fn_run(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_int64 ms = sqlite3_value_int64(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER || ms < 0 || ms > 24 * 3600 * 1000) {
        result_error(ctx, SQLITE_MISUSE,
                     sqlite3_mprintf("ksqlite_run(MS): MS is milliseconds, 0 to 86400000"));
        return;
    }
    ksqlite *k = engine_for(ctx);
    if (!k || refuse_in_transaction(ctx, k, "ksqlite_run")) return;
    int n;
    char *zErr = NULL;
    int rc = ksq_engine_run(k, (int)ms, &n, &zErr);
    if (rc) {
        result_error(ctx, rc, zErr);
        return;
    }
    sqlite3_result_int(ctx, n);
}

/* ksqlite_run_to_end([DRAIN]) */
static void fn_run_to_end(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int drain = argc > 0 && sqlite3_value_int(argv[0]) != 0;
    ksqlite *k = engine_for(ctx);
    if (!k || refuse_in_transaction(ctx, k, "ksqlite_run_to_end")) return;
    int n;
    char *zErr = NULL;
    int rc = ksq_engine_run_to_end(k, drain, &n, &zErr);
    if (rc) {
        result_error(ctx, rc, zErr);
        return;
    }
    sqlite3_result_int(ctx, n);
}

/* ksqlite_brokers([LIST]) */
static void fn_brokers(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    ext_conn *x = sqlite3_user_data(ctx);
    if (argc > 0 && ksqlite_set_brokers(x->k, (const char *)sqlite3_value_text(argv[0]))) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    const char *z = ksqlite_brokers(x->k);
    if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
}

/* ksqlite_error_offset() */
static void fn_error_offset(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    ext_conn *x = sqlite3_user_data(ctx);
    sqlite3_result_int(ctx, ksqlite_error_offset(x->k));
}

/* ksqlite_version() */
static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_text(ctx, ksqlite_version(), -1, SQLITE_STATIC);
}

static const struct ext_function {
    const char *zName; /* SQL name */
    int nArg;          /* arguments (-1: any) */
    void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
} ext_functions[] = {
    {"ksqlite_exec", 1, fn_exec},
    {"ksqlite_run", 1, fn_run},
    {"ksqlite_run_to_end", 0, fn_run_to_end},
    {"ksqlite_run_to_end", 1, fn_run_to_end},
    {"ksqlite_brokers", 0, fn_brokers},
    {"ksqlite_brokers", 1, fn_brokers},
    {"ksqlite_error_offset", 0, fn_error_offset},
    {"ksqlite_version", 0, fn_version},
};
#define N_EXT_FUNCTIONS ((int)(sizeof ext_functions / sizeof ext_functions[0]))

/* ------------------------------------------------------------------ the entry point */

KSQLITE_API int sqlite3_ksqlite_init(sqlite3 *db, char **pzErrMsg,
                                     const struct sqlite3_api_routines *pApi)
{
    SQLITE_EXTENSION_INIT2(pApi);
    if (sqlite3_libversion_number() < 3038000) {
        if (pzErrMsg)
            *pzErrMsg = sqlite3_mprintf("ksqlite needs SQLite 3.38.0 or later; this is %s",
                                        sqlite3_libversion());
        return SQLITE_ERROR;
    }
    ext_conn *x = sqlite3_malloc(sizeof *x);
    if (!x) return SQLITE_NOMEM;
    memset(x, 0, sizeof *x);
    x->nRef = 1; /* this function's, released at the end */
    char *zErr = NULL;
    int rc = ksqlite_attach(db, &x->k, &zErr);
    if (rc) {
        sqlite3_free(x);
        if (pzErrMsg) {
            *pzErrMsg = zErr;
        } else {
            sqlite3_free(zErr);
        }
        return rc;
    }
    const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
    for (int i = 0; i < N_EXT_FUNCTIONS && !rc; i++) {
        x->nRef++; /* a failed registration calls ext_unref() itself */
        rc = sqlite3_create_function_v2(db, ext_functions[i].zName, ext_functions[i].nArg, flags, x,
                                        ext_functions[i].xFunc, NULL, NULL, ext_unref);
    }
    if (!rc) {
        x->nRef++;
        rc = sqlite3_create_module_v2(db, "ksqlite_status", &status_module, x, ext_unref);
    }
    if (!rc) arm(x);
    if (rc) {
        if (pzErrMsg)
            *pzErrMsg =
                sqlite3_mprintf("cannot register the ksqlite functions: %s", sqlite3_errmsg(db));
        if (x->nRef == 1) {
            /* Nothing refers to the engine: close it as on a host's
            ** connection, which unregisters what it registered. */
            ksqlite_close(x->k);
            sqlite3_free(x);
            return rc;
        }
        /* Registrations that succeeded keep the engine (and the library
        ** stays loaded: -z nodelete); the connection's close frees it. */
    }
    ext_unref(x);
    return rc;
}
