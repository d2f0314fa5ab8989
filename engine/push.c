/*
** push.c — push queries: SELECT ... EMIT CHANGES.
**
**   SELECT city, temperature FROM weather WHERE windspeed > 60 EMIT CHANGES;
**   SELECT * FROM city_minute WHERE n > 100 EMIT CHANGES;
**
** A push query reads what arrives from the moment it starts and hands each
** row to the caller as its batch commits, until the caller says stop or
** ksqlite_interrupt() is called; the continuous views keep running
** meanwhile. Over a stream it runs as a transient view (its tables in the
** temp schema, its progress not saved, starting at the high-water marks)
** whose emitted rows are tapped; over a materialized view, the query runs
** on the rows that view emits (tap.c).
*/
#include "runtime.h"

#include <string.h>
#include <strings.h>

/* The first table named in the SELECT's FROM clause (token index), or -1. */
static int first_table(const ksq_select *sel)
{
    int depth = 0;
    for (int i = sel->from.start; i < sel->from.end; i++) {
        if (ksq_tok_is(&sel->toks, i, "(")) depth++;
        if (ksq_tok_is(&sel->toks, i, ")")) depth--;
        if (depth == 0 && sel->toks.a[i].type == KSQ_TK_ID && !ksq_tok_is(&sel->toks, i + 1, ".") &&
            ksq_tok_table_position(&sel->toks, i, sel->from.start))
            return i;
    }
    return -1;
}

/* Drop the temp tables of transient view zName (each on its own: the view
** is a table or an SQL view depending on its kind). */
static void drop_transient(ksqlite *k, const char *zName)
{
    static const char *const azFmt[] = {
        "DROP VIEW IF EXISTS temp.\"%w\"",        "DROP TABLE IF EXISTS temp.\"%w\"",
        "DROP TABLE IF EXISTS temp.\"ksq_r_%w\"", "DROP TABLE IF EXISTS temp.\"ksq_s_%w\"",
        "DROP TABLE IF EXISTS temp.\"ksq_d_%w\"", "DROP TABLE IF EXISTS temp.\"ksq_n_%w\"",
        "DROP TABLE IF EXISTS temp.\"ksq_b_%w\""};
    for (size_t i = 0; i < sizeof azFmt / sizeof azFmt[0]; i++) {
        char *z = sqlite3_mprintf(azFmt[i], zName);
        if (z) sqlite3_exec(k->db, z, 0, 0, NULL);
        sqlite3_free(z);
    }
}

/* Start a transient view over stream zStream for the SELECT of st. */
static int start_transient(ksqlite *k, const ksq_stmt *st, const char *zName, ksq_view **ppView,
                           char **pzErr, int *pErrOff)
{
    char *zPrefix = sqlite3_mprintf("CREATE MATERIALIZED VIEW \"%w\" AS ", zName);
    char *zDef = zPrefix ? sqlite3_mprintf("%s%s", zPrefix, st->zSelect) : NULL;
    int nPrefix = zPrefix ? (int)strlen(zPrefix) : 0;
    sqlite3_free(zPrefix);
    if (!zDef) return SQLITE_NOMEM;
    ksq_view *v = NULL;
    int errOff = -1;
    int rc =
        ksq_view_compile(k, zName, zDef, KSQ_VIEW_CREATE | KSQ_VIEW_TRANSIENT, &v, pzErr, &errOff);
    sqlite3_free(zDef);
    if (rc) {
        if (errOff >= nPrefix) *pErrOff = errOff - nPrefix + st->selectOff;
        drop_transient(k, zName);
        return rc;
    }
    rc = ksq_runtime_start_at_end(k, v, pzErr);
    if (!rc) rc = ksq_runtime_add_view(k, v);
    if (rc) {
        ksq_view_free(k, v);
        drop_transient(k, zName);
        return rc;
    }
    *ppView = v;
    return SQLITE_OK;
}

int ksq_push_run(ksqlite *k, const ksq_stmt *st, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                 char **pzErr, int *pErrOff)
{
    ksq_select sel;
    memset(&sel, 0, sizeof sel);
    if (!sqlite3_get_autocommit(k->db)) {
        *pzErr = sqlite3_mprintf("a push query cannot run inside a transaction (COMMIT first)");
        return SQLITE_ERROR;
    }
    int errOff = -1;
    int rc = ksq_select_parse(st->zSelect, &sel, pzErr, &errOff);
    if (rc) {
        if (errOff >= 0) *pErrOff = errOff + st->selectOff;
        return rc;
    }
    int iTable = first_table(&sel);
    char *zName = iTable >= 0 ? ksq_tok_text(&sel.toks, iTable) : NULL;
    ksq_view *pView = zName ? ksq_runtime_view(k, zName) : NULL;
    ksq_view *pTransient = NULL;
    char *zTransient = NULL, *zRead = NULL;
    ksq_tap *t = NULL;
    if (pView && !pView->transient) {
        /* Over a materialized view: the query runs on the rows it emits. */
        char *zTap = sqlite3_mprintf("temp.\"ksq_t_%w\"", pView->zName);
        zRead = zTap ? ksq_rewrite_table(&sel.toks, (ksq_span){0, sel.toks.n}, iTable, zTap,
                                         pView->zName, NULL)
                     : NULL;
        sqlite3_free(zTap);
        rc = zRead ? ksq_tap_open(k, pView->zName, &t, pzErr) : SQLITE_NOMEM;
    } else if (zName && ksq_catalog_is_stream(k, zName)) {
        zTransient = sqlite3_mprintf("ksq_push_%d", ++k->nPush);
        rc = zTransient ? start_transient(k, st, zTransient, &pTransient, pzErr, pErrOff)
                        : SQLITE_NOMEM;
        if (!rc) rc = ksq_tap_open(k, zTransient, &t, pzErr);
        if (!rc) {
            zRead = sqlite3_mprintf("SELECT * FROM temp.\"ksq_t_%w\"", zTransient);
            if (!zRead) rc = SQLITE_NOMEM;
        }
    } else {
        *pzErr = sqlite3_mprintf("a push query reads a stream or a materialized view%s%s%s",
                                 zName ? ": " : "", zName ? zName : "",
                                 zName ? " is neither (see SHOW STREAMS, SHOW VIEWS)" : "");
        *pErrOff = st->selectOff + (iTable >= 0 ? sel.toks.a[iTable].off : 0);
        rc = SQLITE_ERROR;
    }
    if (!rc) {
        rc = sqlite3_prepare_v2(k->db, zRead, -1, &t->pPush, NULL);
        if (rc) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
    }
    if (!rc) {
        /* Run until the caller stops it; the views run meanwhile. */
        t->xPushRow = xRow;
        t->pPushArg = pArg;
        t->pushStop = 0;
        int append = pTransient && pTransient->plan.kind == KSQ_VIEW_APPEND;
        char *zTrim = append ? sqlite3_mprintf("DELETE FROM temp.\"%w\"", zTransient) : NULL;
        while (!rc && !k->interrupted && !t->pushStop) {
            int n;
            rc = ksq_runtime_step(k, 100, &n, pzErr);
            /* A transient filter view's rows were handed over: keep none. */
            if (!rc && zTrim) sqlite3_exec(k->db, zTrim, 0, 0, NULL);
            if (!rc && pTransient && pTransient->failed) {
                *pzErr = sqlite3_mprintf("%s", pTransient->zError ? pTransient->zError : "error");
                rc = SQLITE_ERROR;
            }
        }
        sqlite3_free(zTrim);
        if (!rc && k->interrupted) rc = SQLITE_INTERRUPT;
        if (rc == SQLITE_INTERRUPT && !*pzErr) *pzErr = sqlite3_mprintf("interrupted");
    }
    if (t) {
        sqlite3_finalize(t->pPush);
        t->pPush = NULL;
        ksq_tap_release(k, t);
    }
    if (pTransient) {
        ksq_tap_forget(k, zTransient);
        ksq_runtime_remove_view(k, zTransient);
        drop_transient(k, zTransient);
    }
    sqlite3_free(zTransient);
    sqlite3_free(zRead);
    sqlite3_free(zName);
    ksq_select_clear(&sel);
    return rc;
}
