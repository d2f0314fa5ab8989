/*
** vtab_batch.c — the batch being processed, as a table for a view's SQL.
**
**   CREATE VIRTUAL TABLE temp."ksq_b_city_minute" USING ksq_batch(
**       view='city_minute', columns='city TEXT, ts TIMESTAMP, ...', timestamp='ts');
**
** Each view gets one (view.c creates it); the view's statements read the
** stream's columns from it in place of the stream. A scan yields the events
** of the current batch that the view takes (runtime.h: ksq_runtime's
** pCurrent* fields say which); outside of a batch it is empty. Hidden
** columns: _partition, _offset, _timestamp, _key, _value, _error, and
** _event_ms (event time, epoch ms) and _pane (the event's pane or, for
** sessions, its event time) for the engine's own SQL.
*/
#include "runtime.h"

#include <string.h>
#include <strings.h>

enum {
    BH_PARTITION,
    BH_OFFSET,
    BH_TIMESTAMP,
    BH_KEY,
    BH_VALUE,
    BH_ERROR,
    BH_EVENT_MS,
    BH_PANE,
    BH_COUNT
};
static const char *const batch_hidden[BH_COUNT] = {
    "_partition INTEGER HIDDEN", "_offset INTEGER HIDDEN", "_timestamp INTEGER HIDDEN",
    "_key TEXT HIDDEN",          "_value TEXT HIDDEN",     "_error TEXT HIDDEN",
    "_event_ms INTEGER HIDDEN",  "_pane INTEGER HIDDEN",
};

typedef struct batch_vtab {
    sqlite3_vtab base; /* base class: must be first */
    ksqlite *k;        /* the engine: its runtime knows the current batch */
    char *zView;       /* the view this table belongs to */
    ksq_schema schema; /* the stream's columns */
} batch_vtab;

typedef struct batch_cursor {
    sqlite3_vtab_cursor base; /* base class: must be first */
    ksq_view *v;              /* the view being fed, or NULL (empty scan) */
    ksq_batch *b;             /* its batch */
    int i;                    /* current event */
} batch_cursor;

static int batch_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr)
{
    ksq_options opts = {0};
    int rc = SQLITE_OK;
    for (int i = 3; i < argc && !rc; i++) rc = ksq_options_add_arg(&opts, argv[i], pzErr);
    const char *zView = ksq_options_get(&opts, "view"), *zCols = ksq_options_get(&opts, "columns");
    const char *zTs = ksq_options_get(&opts, "timestamp");
    batch_vtab *vt = NULL;
    if (!rc && (!zView || !zCols)) {
        *pzErr = sqlite3_mprintf("ksq_batch needs view and columns");
        rc = SQLITE_ERROR;
    }
    if (!rc) {
        vt = sqlite3_malloc(sizeof *vt);
        if (!vt) rc = SQLITE_NOMEM;
    }
    if (!rc) {
        memset(vt, 0, sizeof *vt);
        vt->k = pAux;
        vt->schema.ts_col = -1;
        vt->zView = sqlite3_mprintf("%s", zView);
        rc = vt->zView ? ksq_schema_parse(&vt->schema, zCols, pzErr) : SQLITE_NOMEM;
    }
    if (!rc && zTs) rc = ksq_schema_set_timestamp(&vt->schema, zTs, pzErr);
    if (!rc) {
        sqlite3_str *s = sqlite3_str_new(NULL);
        sqlite3_str_appendall(s, "CREATE TABLE x(");
        for (int i = 0; i < vt->schema.ncol; i++) {
            sqlite3_str_appendf(s, "\"%w\" %s, ", vt->schema.cols[i].name,
                                ksq_type_name(vt->schema.cols[i].type));
        }
        for (int i = 0; i < BH_COUNT; i++)
            sqlite3_str_appendf(s, "%s%s", batch_hidden[i], i + 1 < BH_COUNT ? ", " : ")");
        char *zDecl = sqlite3_str_finish(s);
        rc = zDecl ? sqlite3_declare_vtab(db, zDecl) : SQLITE_NOMEM;
        sqlite3_free(zDecl);
    }
    ksq_options_clear(&opts);
    if (rc) {
        if (vt) {
            ksq_schema_clear(&vt->schema);
            sqlite3_free(vt->zView);
            sqlite3_free(vt);
        }
        return rc;
    }
    *ppVtab = &vt->base;
    return SQLITE_OK;
}

static int batch_disconnect(sqlite3_vtab *pVtab)
{
    batch_vtab *vt = (batch_vtab *)pVtab;
    ksq_schema_clear(&vt->schema);
    sqlite3_free(vt->zView);
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int batch_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info)
{
    (void)pVtab;
    info->estimatedCost = 1000;
    info->estimatedRows = 1000;
    return SQLITE_OK;
}

static int batch_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur)
{
    (void)pVtab;
    batch_cursor *cur = sqlite3_malloc(sizeof *cur);
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof *cur);
    *ppCur = &cur->base;
    return SQLITE_OK;
}

static int batch_close(sqlite3_vtab_cursor *pCur)
{
    sqlite3_free(pCur);
    return SQLITE_OK;
}

/* Move to the next event the view takes, starting at cur->i. */
static void skip_untaken(batch_cursor *cur)
{
    while (cur->v && cur->i < cur->b->nEv && !cur->v->aTake[cur->i]) cur->i++;
}

static int batch_filter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv)
{
    (void)idxNum;
    (void)idxStr;
    (void)argc;
    (void)argv;
    batch_cursor *cur = (batch_cursor *)pCur;
    batch_vtab *vt = (batch_vtab *)pCur->pVtab;
    ksq_runtime *rt = vt->k->rt;
    cur->v = NULL;
    cur->b = NULL;
    cur->i = 0;
    if (rt && rt->pCurrentView && rt->pCurrentSrc &&
        strcmp(rt->pCurrentView->zName, vt->zView) == 0) {
        cur->v = rt->pCurrentView;
        cur->b = &rt->pCurrentSrc->batch;
        skip_untaken(cur);
    }
    return SQLITE_OK;
}

static int batch_next(sqlite3_vtab_cursor *pCur)
{
    batch_cursor *cur = (batch_cursor *)pCur;
    cur->i++;
    skip_untaken(cur);
    return SQLITE_OK;
}

static int batch_eof(sqlite3_vtab_cursor *pCur)
{
    batch_cursor *cur = (batch_cursor *)pCur;
    return !cur->v || cur->i >= cur->b->nEv;
}

static int batch_column(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int iCol)
{
    batch_cursor *cur = (batch_cursor *)pCur;
    batch_vtab *vt = (batch_vtab *)pCur->pVtab;
    const ksq_event *e = &cur->b->aEv[cur->i];
    int ncol = vt->schema.ncol;
    if (iCol < ncol) {
        const ksq_value *v = &e->aVal[iCol];
        switch (v->type) {
        case SQLITE_INTEGER:
            if (vt->schema.cols[iCol].type == KSQ_TIMESTAMP) {
                char buf[KSQ_TIME_TEXT_LEN + 1];
                ksq_time_format(v->u.i, buf);
                sqlite3_result_text(ctx, buf, KSQ_TIME_TEXT_LEN, SQLITE_TRANSIENT);
            } else {
                sqlite3_result_int64(ctx, v->u.i);
            }
            break;
        case SQLITE_FLOAT: sqlite3_result_double(ctx, v->u.r); break;
        case SQLITE_TEXT: sqlite3_result_text(ctx, v->u.z, v->n, SQLITE_STATIC); break;
        default: break;
        }
        return SQLITE_OK;
    }
    const ksq_plan *p = &cur->v->plan;
    switch (iCol - ncol) {
    case BH_PARTITION: sqlite3_result_int(ctx, e->partition); break;
    case BH_OFFSET: sqlite3_result_int64(ctx, e->offset); break;
    case BH_TIMESTAMP:
        if (e->kafkaTs >= 0) sqlite3_result_int64(ctx, e->kafkaTs);
        break;
    case BH_KEY:
        if (e->key) sqlite3_result_text(ctx, e->key, e->nKey, SQLITE_STATIC);
        break;
    case BH_VALUE:
        if (e->payload) sqlite3_result_text(ctx, e->payload, e->nPayload, SQLITE_STATIC);
        break;
    case BH_ERROR:
        if (e->zError) sqlite3_result_text(ctx, e->zError, -1, SQLITE_STATIC);
        break;
    case BH_EVENT_MS: sqlite3_result_int64(ctx, e->eventMs); break;
    case BH_PANE:
        if (p->winKind == KSQ_WIN_SESSION) {
            sqlite3_result_int64(ctx, e->eventMs);
        } else if (p->paneMs > 0) {
            int64_t q = e->eventMs / p->paneMs;
            if (e->eventMs % p->paneMs < 0) q--;
            sqlite3_result_int64(ctx, q * p->paneMs);
        } else {
            sqlite3_result_int(ctx, 0);
        }
        break;
    }
    return SQLITE_OK;
}

static int batch_rowid(sqlite3_vtab_cursor *pCur, sqlite3_int64 *pRowid)
{
    *pRowid = ((batch_cursor *)pCur)->i;
    return SQLITE_OK;
}

static sqlite3_module batch_module = {
    /* iVersion    */ 0,
    /* xCreate     */ batch_connect,
    /* xConnect    */ batch_connect,
    /* xBestIndex  */ batch_best_index,
    /* xDisconnect */ batch_disconnect,
    /* xDestroy    */ batch_disconnect,
    /* xOpen       */ batch_open,
    /* xClose      */ batch_close,
    /* xFilter     */ batch_filter,
    /* xNext       */ batch_next,
    /* xEof        */ batch_eof,
    /* xColumn     */ batch_column,
    /* xRowid      */ batch_rowid,
    /* xUpdate     */ 0,
    /* xBegin      */ 0,
    /* xSync       */ 0,
    /* xCommit     */ 0,
    /* xRollback   */ 0,
    /* xFindMethod */ 0,
    /* xRename     */ 0,
    /* xSavepoint  */ 0,
    /* xRelease    */ 0,
    /* xRollbackTo */ 0,
    /* xShadowName */ 0,
};

int ksq_vtab_batch_register(sqlite3 *db, ksqlite *k)
{
    return sqlite3_create_module_v2(db, "ksq_batch", &batch_module, k, NULL);
}
