/*
** tap.c — the rows a view emits, for whoever listens to them: a callback
** registered with ksqlite_on_emit(), a push query (SELECT ... EMIT CHANGES).
**
**   ksq_tap *t;
**   ksq_tap_open(k, "city_minute", &t, &zErr);  // start capturing
**   ...                                          // batches commit
**   ksq_tap_deliver(k, "weather");               // after each commit
**   ksq_tap_release(k, t);                       // stop when nobody listens
**
** A tap is a temp table, temp."ksq_t_<view>", with the view's columns, and a
** temp trigger that copies into it every row the view's SQL inserts into its
** result table (for EMIT CHANGES views, the new version of a changed row).
** A batch's rows accumulate there inside the batch's transaction, so a
** rollback takes them back; after the commit ksq_tap_deliver() hands them to
** the listeners and empties the table. Nothing is captured for views nobody
** listens to.
*/
#include "runtime.h"

#include <string.h>
#include <strings.h>

/* The view's result table as the trigger sees it: "main"."t" or "temp"."t",
** and whether its columns are positional (c0, c1, ...: EMIT CHANGES). */
static char *result_table(const ksq_view *v, int *pPositional)
{
    const char *zSchema = v->transient ? "temp" : "main";
    *pPositional = v->plan.kind == KSQ_VIEW_AGGREGATE && v->plan.emit == KSQ_EMIT_CHANGES;
    return *pPositional ? sqlite3_mprintf("\"%w\".\"ksq_r_%w\"", zSchema, v->zName)
                        : sqlite3_mprintf("\"%w\".\"%w\"", zSchema, v->zName);
}

/* Create the capture table and its trigger for view v. */
static int tap_create(ksqlite *k, ksq_view *v, char **pzErr)
{
    const char *zSchema = v->transient ? "temp" : "main";
    sqlite3_stmt *st = NULL;
    char *zCols = sqlite3_mprintf("SELECT * FROM \"%w\".\"%w\" LIMIT 0", zSchema, v->zName);
    int rc = zCols ? sqlite3_prepare_v2(k->db, zCols, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(zCols);
    if (rc) {
        *pzErr = sqlite3_mprintf("cannot read view %s: %s", v->zName, sqlite3_errmsg(k->db));
        return rc;
    }
    int positional;
    char *zTable = result_table(v, &positional);
    sqlite3_str *ddl = sqlite3_str_new(NULL);
    sqlite3_str_appendf(ddl, "CREATE TEMP TABLE \"ksq_t_%w\"(", v->zName);
    for (int i = 0; i < sqlite3_column_count(st); i++)
        sqlite3_str_appendf(ddl, "%s\"%w\"", i ? ", " : "", sqlite3_column_name(st, i));
    sqlite3_str_appendf(ddl,
                        ");\nCREATE TEMP TRIGGER \"ksq_tt_%w\" AFTER INSERT ON %s BEGIN INSERT "
                        "INTO \"ksq_t_%w\" VALUES (",
                        v->zName, zTable ? zTable : "", v->zName);
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        if (positional) {
            sqlite3_str_appendf(ddl, "%snew.c%d", i ? ", " : "", i);
        } else {
            sqlite3_str_appendf(ddl, "%snew.\"%w\"", i ? ", " : "", sqlite3_column_name(st, i));
        }
    }
    sqlite3_str_appendall(ddl, "); END;");
    sqlite3_finalize(st);
    sqlite3_free(zTable);
    char *zDdl = sqlite3_str_finish(ddl);
    rc = zDdl ? sqlite3_exec(k->db, zDdl, 0, 0, NULL) : SQLITE_NOMEM;
    if (rc && rc != SQLITE_NOMEM)
        *pzErr = sqlite3_mprintf("cannot tap view %s: %s", v->zName, sqlite3_errmsg(k->db));
    sqlite3_free(zDdl);
    return rc;
}

/* Drop the capture table and trigger (the trigger goes with its table if
** the view was dropped first). */
static void tap_drop(ksqlite *k, const char *zView)
{
    char *z = sqlite3_mprintf("DROP TRIGGER IF EXISTS temp.\"ksq_tt_%w\"; DROP TABLE IF EXISTS "
                              "temp.\"ksq_t_%w\";",
                              zView, zView);
    if (z) sqlite3_exec(k->db, z, 0, 0, NULL);
    sqlite3_free(z);
}

static void tap_free(ksq_tap *t)
{
    sqlite3_finalize(t->pAll);
    sqlite3_finalize(t->pClear);
    sqlite3_finalize(t->pPush);
    sqlite3_free(t->zView);
    sqlite3_free(t->zStream);
    sqlite3_free(t);
}

ksq_tap *ksq_tap_find(ksqlite *k, const char *zView)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nTap; i++) {
        if (strcasecmp(rt->aTap[i]->zView, zView) == 0) return rt->aTap[i];
    }
    return NULL;
}

int ksq_tap_open(ksqlite *k, const char *zView, ksq_tap **ppTap, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    ksq_tap *t = ksq_tap_find(k, zView);
    if (t) {
        *ppTap = t;
        return SQLITE_OK;
    }
    ksq_view *v = ksq_runtime_view(k, zView);
    if (!v) {
        *pzErr = sqlite3_mprintf("no such materialized view: %s", zView);
        return SQLITE_ERROR;
    }
    if (v->failed) {
        *pzErr =
            sqlite3_mprintf("view %s has stopped: %s", v->zName, v->zError ? v->zError : "error");
        return SQLITE_ERROR;
    }
    ksq_tap **a = sqlite3_realloc64(rt->aTap, sizeof(ksq_tap *) * (size_t)(rt->nTap + 1));
    if (!a) return SQLITE_NOMEM;
    rt->aTap = a;
    t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->zView = sqlite3_mprintf("%s", v->zName);
    t->zStream = sqlite3_mprintf("%s", v->zStream);
    int rc = t->zView && t->zStream ? tap_create(k, v, pzErr) : SQLITE_NOMEM;
    if (!rc) {
        char *zAll = sqlite3_mprintf("SELECT * FROM temp.\"ksq_t_%w\" ORDER BY rowid", v->zName);
        char *zClear = sqlite3_mprintf("DELETE FROM temp.\"ksq_t_%w\"", v->zName);
        rc = zAll && zClear
                 ? sqlite3_prepare_v3(k->db, zAll, -1, SQLITE_PREPARE_PERSISTENT, &t->pAll, NULL)
                 : SQLITE_NOMEM;
        if (!rc)
            rc = sqlite3_prepare_v3(k->db, zClear, -1, SQLITE_PREPARE_PERSISTENT, &t->pClear, NULL);
        if (rc && rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        sqlite3_free(zAll);
        sqlite3_free(zClear);
    }
    if (rc) {
        if (t->zView) tap_drop(k, t->zView);
        tap_free(t);
        return rc;
    }
    rt->aTap[rt->nTap++] = t;
    *ppTap = t;
    return SQLITE_OK;
}

void ksq_tap_release(ksqlite *k, ksq_tap *t)
{
    ksq_runtime *rt = k->rt;
    if (!t || t->xEmit || t->pPush || t->nSinks > 0) return; /* still listened to */
    for (int i = 0; i < rt->nTap; i++) {
        if (rt->aTap[i] != t) continue;
        rt->aTap[i] = rt->aTap[--rt->nTap];
        break;
    }
    tap_drop(k, t->zView);
    tap_free(t);
}

void ksq_tap_forget(ksqlite *k, const char *zView)
{
    ksq_tap *t = ksq_tap_find(k, zView);
    if (!t) return;
    t->xEmit = NULL;
    sqlite3_finalize(t->pPush);
    t->pPush = NULL;
    t->pushStop = 1; /* a push query over it ends */
    t->nSinks = 0;
    ksq_tap_release(k, t);
}

/* Hand the rows of pRead to xRow (then xRow(NULL) if there were any).
** Returns non-zero if xRow asked to stop. */
static int hand_over(sqlite3_stmt *pRead, int (*xRow)(void *, sqlite3_stmt *), void *pArg)
{
    int n = 0, stop = 0;
    while (!stop && sqlite3_step(pRead) == SQLITE_ROW) {
        n++;
        stop = xRow(pArg, pRead);
    }
    sqlite3_reset(pRead);
    if (n > 0 && !stop) xRow(pArg, NULL);
    return stop;
}

/* ksqlite_emit_fn adapted to hand_over()'s row function. */
typedef struct emit_call {
    ksq_tap *t;
} emit_call;

static int emit_row(void *pArg, sqlite3_stmt *pRow)
{
    emit_call *c = pArg;
    if (!pRow) return 0; /* the end of the batch: emit callbacks are not told */
    return c->t->xEmit(c->t->pEmitArg, c->t->zView, pRow);
}

void ksq_tap_deliver(ksqlite *k, const char *zStream)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nTap; i++) {
        ksq_tap *t = rt->aTap[i];
        if (strcasecmp(t->zStream, zStream) != 0) continue;
        if (t->xEmit) {
            emit_call c = {t};
            hand_over(t->pAll, emit_row, &c);
        }
        if (t->pPush && !t->pushStop && hand_over(t->pPush, t->xPushRow, t->pPushArg))
            t->pushStop = 1;
        sqlite3_step(t->pClear);
        sqlite3_reset(t->pClear);
    }
}
