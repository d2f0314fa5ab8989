/*
** view.c — one continuous view at run time.
**
** For each batch of its stream a view decides, event by event and in
** consumption order, what to take: events it has already processed (its
** offsets are its own) and dead letters are skipped; with a window, an event
** whose earliest window already closed (it ends at or before the watermark;
** for sessions: the event is older than the watermark) is late and goes to
** ksq_late; the rest raise their partition's event time and are taken. Then
** the view's SQL runs over the taken events (vtab_batch.c), windows the
** watermark passed are emitted and their state dropped, and the view's
** progress (offsets, event times, watermark) is written — all inside the
** runtime's transaction for the batch.
*/
#include "runtime.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    SLOT_FEED,
    SLOT_FEED_DISTINCT,
    SLOT_SESSION_MOVE,
    SLOT_SESSION_MERGE,
    SLOT_SESSION_CLEAR,
    SLOT_CHANGES_DELETE,
    SLOT_CHANGES_INSERT,
    SLOT_CHANGES_RESET,
    SLOT_EMIT_FINAL,
    SLOT_DELETE_CLOSED,
    SLOT_DELETE_DISTINCT,
    SLOT_PANE_RANGE,
    SLOT_LATE,
    SLOT_SAVE_PART,
    SLOT_SAVE_STATE,
    SLOT_COUNT
};

#define MAX_PER_SLOT 4
#define FAR_FUTURE   (INT64_MAX / 4)
#define FAR_PAST     (INT64_MIN / 4)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* The first token of zSelect naming column zName, for error carets. */
static int find_name_offset(const char *zSelect, const char *zName)
{
    ksq_tokens t;
    int off = -1;
    if (ksq_tokenize(zSelect, &t) != SQLITE_OK) return -1;
    for (int i = 0; i < t.n && off < 0; i++) {
        if (t.a[i].type != KSQ_TK_ID) continue;
        char *z = ksq_tok_text(&t, i);
        if (z && strcasecmp(z, zName) == 0) off = t.a[i].off;
        sqlite3_free(z);
    }
    ksq_tokens_free(&t);
    return off;
}

/* A friendlier message for SQLite's error about the view's SQL. */
static char *explain_error(ksq_view *v, const char *zMsg, int isFinal, const ksq_schema *schema)
{
    const char *pfx = "no such column: ";
    if (strncmp(zMsg, pfx, strlen(pfx)) == 0) {
        const char *zCol = zMsg + strlen(pfx);
        const char *dot = strrchr(zCol, '.');
        const char *zBare = dot ? dot + 1 : zCol;
        int inStream = 0;
        for (int i = 0; schema && i < schema->ncol; i++)
            inStream |= strcasecmp(schema->cols[i].name, zBare) == 0;
        if (isFinal && (inStream || v->plan.kind == KSQ_VIEW_AGGREGATE)) {
            return sqlite3_mprintf(
                "column %s must appear in GROUP BY or inside an aggregate function", zCol);
        }
        sqlite3_str *s = sqlite3_str_new(NULL);
        sqlite3_str_appendf(s, "no such column: %s", zCol);
        if (schema) {
            sqlite3_str_appendf(s, " (stream %s has", v->zStream);
            for (int i = 0; i < schema->ncol; i++)
                sqlite3_str_appendf(s, "%s %s", i ? "," : "", schema->cols[i].name);
            sqlite3_str_appendall(s, ")");
        }
        return sqlite3_str_finish(s);
    }
    return sqlite3_mprintf("%s", zMsg);
}

/* Prepare every statement of zSql into slot. */
static int prep_slot(ksqlite *k, ksq_view *v, int slot, const char *zSql, int isFinal,
                     const ksq_schema *schema, char **pzErr, int *pErrOff, const char *zSelect)
{
    const char *z = zSql;
    if (!zSql) return SQLITE_OK;
    while (z && *z) {
        sqlite3_stmt *st = NULL;
        const char *tail;
        int rc = sqlite3_prepare_v3(k->db, z, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
        if (rc) {
            *pzErr = explain_error(v, sqlite3_errmsg(k->db), isFinal, schema);
            const char *pfx = "no such column: ";
            const char *msg = sqlite3_errmsg(k->db);
            if (pErrOff && zSelect && strncmp(msg, pfx, strlen(pfx)) == 0) {
                const char *col = msg + strlen(pfx);
                const char *dot = strrchr(col, '.');
                *pErrOff = find_name_offset(zSelect, dot ? dot + 1 : col);
            }
            return rc;
        }
        if (st) {
            if (v->anStmt[slot] >= MAX_PER_SLOT) {
                sqlite3_finalize(st);
                *pzErr = sqlite3_mprintf("internal: too many statements in a plan step");
                return SQLITE_ERROR;
            }
            v->aStmt[slot * MAX_PER_SLOT + v->anStmt[slot]++] = st;
        }
        z = tail;
    }
    return SQLITE_OK;
}

/* Run the statements of a slot with up to two integer parameters; adds the
** rows the last of them changed to *pnChanged (if not NULL): earlier ones
** prepare (a HOP emit's empty panes). */
static int run_slot(ksqlite *k, ksq_view *v, int slot, int64_t a1, int64_t a2, int64_t *pnChanged,
                    char **pzErr)
{
    for (int i = 0; i < v->anStmt[slot]; i++) {
        sqlite3_stmt *st = v->aStmt[slot * MAX_PER_SLOT + i];
        int np = sqlite3_bind_parameter_count(st);
        if (np >= 1) sqlite3_bind_int64(st, 1, a1);
        if (np >= 2) sqlite3_bind_int64(st, 2, a2);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) {
            *pzErr = sqlite3_mprintf("view %s: %s", v->zName, sqlite3_errmsg(k->db));
            sqlite3_reset(st);
            return rc;
        }
        if (pnChanged && i == v->anStmt[slot] - 1) *pnChanged += sqlite3_changes64(k->db);
        sqlite3_reset(st);
    }
    return SQLITE_OK;
}

/* Read the view's progress: offsets and event times per partition, the
** watermark, closed windows and counters. */
static int load_progress(ksqlite *k, ksq_view *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        k->db, "SELECT partition, next_offset, max_event_ms FROM ksq_progress WHERE view = ?1", -1,
        &st, NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        ksq_wm_part *p = ksq_wm_part_get(&v->wm, sqlite3_column_int(st, 0));
        if (!p) {
            sqlite3_finalize(st);
            return SQLITE_NOMEM;
        }
        p->next = sqlite3_column_int64(st, 1);
        p->maxEvent =
            sqlite3_column_type(st, 2) == SQLITE_NULL ? KSQ_NO_TIME : sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    rc = sqlite3_prepare_v2(k->db,
                            "SELECT watermark, closed_ws, events, late, rows, batches FROM "
                            "ksq_view_state WHERE view = ?1",
                            -1, &st, NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v->wm.wm =
            sqlite3_column_type(st, 0) == SQLITE_NULL ? KSQ_NO_TIME : sqlite3_column_int64(st, 0);
        v->closedWs =
            sqlite3_column_type(st, 1) == SQLITE_NULL ? KSQ_NO_TIME : sqlite3_column_int64(st, 1);
        v->nEvents = sqlite3_column_int64(st, 2);
        v->nLate = sqlite3_column_int64(st, 3);
        v->nRows = sqlite3_column_int64(st, 4);
        v->nBatches = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return SQLITE_OK;
}

/* The stream names and event-time columns, for the planner. */
typedef struct stream_list {
    char **azName, **azTime;
    int n;
} stream_list;

static void stream_list_free(stream_list *l)
{
    for (int i = 0; i < l->n; i++) {
        sqlite3_free(l->azName[i]);
        sqlite3_free(l->azTime[i]);
    }
    sqlite3_free(l->azName);
    sqlite3_free(l->azTime);
    memset(l, 0, sizeof *l);
}

static int stream_list_load(ksqlite *k, stream_list *l)
{
    sqlite3_stmt *st;
    memset(l, 0, sizeof *l);
    int rc = sqlite3_prepare_v2(k->db, "SELECT name, time_column FROM ksq_streams", -1, &st, NULL);
    if (rc) return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **a = sqlite3_realloc64(l->azName, sizeof(char *) * (size_t)(l->n + 1));
        char **b = a ? sqlite3_realloc64(l->azTime, sizeof(char *) * (size_t)(l->n + 1)) : NULL;
        if (a) l->azName = a;
        if (b) l->azTime = b;
        if (!a || !b) {
            rc = SQLITE_NOMEM;
            break;
        }
        const char *t = (const char *)sqlite3_column_text(st, 1);
        l->azName[l->n] = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
        l->azTime[l->n] = t ? sqlite3_mprintf("%s", t) : NULL;
        l->n++;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Which stream does the SELECT read? The first stream named in FROM. */
static int find_stream(const ksq_select *sel, const stream_list *l)
{
    for (int i = sel->from.start; i < sel->from.end; i++) {
        if (sel->toks.a[i].type != KSQ_TK_ID) continue;
        char *z = ksq_tok_text(&sel->toks, i);
        for (int s = 0; z && s < l->n; s++) {
            if (strcasecmp(z, l->azName[s]) == 0) {
                sqlite3_free(z);
                return s;
            }
        }
        sqlite3_free(z);
    }
    return -1;
}

int ksq_view_compile(ksqlite *k, const char *zName, const char *zSql, int flags, ksq_view **ppView,
                     char **pzErr, int *pErrOff)
{
    int create = (flags & KSQ_VIEW_CREATE) != 0, transient = (flags & KSQ_VIEW_TRANSIENT) != 0;
    ksq_stmt stmt;
    ksq_select sel;
    stream_list streams;
    ksq_stream_def def;
    memset(&sel, 0, sizeof sel);
    memset(&def, 0, sizeof def);
    memset(&streams, 0, sizeof streams);
    *pErrOff = -1;
    int selectOff = 0;
    ksq_view *v = sqlite3_malloc(sizeof *v);
    if (!v) return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->wm.wm = KSQ_NO_TIME;
    v->closedWs = KSQ_NO_TIME;
    v->zName = sqlite3_mprintf("%s", zName);
    v->transient = transient;
    v->aStmt = sqlite3_malloc64(sizeof(sqlite3_stmt *) * SLOT_COUNT * MAX_PER_SLOT);
    v->anStmt = sqlite3_malloc64(sizeof(int) * SLOT_COUNT);
    int rc = v->zName && v->aStmt && v->anStmt ? SQLITE_OK : SQLITE_NOMEM;
    if (rc) goto done;
    memset(v->aStmt, 0, sizeof(sqlite3_stmt *) * SLOT_COUNT * MAX_PER_SLOT);
    memset(v->anStmt, 0, sizeof(int) * SLOT_COUNT);
    v->nSlot = SLOT_COUNT;

    rc = ksq_stmt_parse(zSql, (int)strlen(zSql), &stmt, pzErr, pErrOff);
    if (!rc && stmt.kind != KSQ_STMT_CREATE_VIEW) {
        *pzErr = sqlite3_mprintf("the stored definition of view %s is not CREATE MATERIALIZED VIEW",
                                 zName);
        rc = SQLITE_CORRUPT;
        goto done_stmt;
    }
    if (rc) goto done;
    selectOff = stmt.selectOff;
    rc = ksq_select_parse(stmt.zSelect, &sel, pzErr, pErrOff);
    if (!rc) rc = stream_list_load(k, &streams);
    if (rc) goto done_stmt;
    int si = find_stream(&sel, &streams);
    if (si < 0) {
        *pzErr = sqlite3_mprintf(
            "a continuous view reads a stream: none of FROM is a stream (see SHOW STREAMS; "
            "CREATE STREAM makes one)");
        *pErrOff = sel.from.start < sel.toks.n ? sel.toks.a[sel.from.start].off : 0;
        rc = SQLITE_ERROR;
        goto done_stmt;
    }
    v->zStream = sqlite3_mprintf("%s", streams.azName[si]);
    rc = v->zStream ? ksq_catalog_stream(k, v->zStream, &def, pzErr) : SQLITE_NOMEM;
    if (rc) goto done_stmt;
    ksq_plan_stream ps = {streams.azName[si], streams.azTime[si],
                          (const char *const *)streams.azName, streams.n, &def.schema};
    rc = ksq_plan_build(zName, &sel, transient ? KSQ_EMIT_CHANGES : stmt.emit, transient, &ps,
                        &v->plan, pzErr, pErrOff);
    if (rc) goto done_stmt;
    v->wm.delayMs = def.watermarkMs;

    /* The batch table and the staging tables live in temp: per connection. */
    char *zCols = ksq_schema_text(&def.schema);
    const char *zTs = def.schema.ts_col >= 0 ? def.schema.cols[def.schema.ts_col].name : NULL;
    char *zTsArg = zTs ? sqlite3_mprintf(", timestamp=%Q", zTs) : sqlite3_mprintf("");
    char *zBatch =
        zCols && zTsArg
            ? sqlite3_mprintf("CREATE VIRTUAL TABLE IF NOT EXISTS temp.\"ksq_b_%w\" USING "
                              "ksq_batch(view=%Q, columns=%Q%s)",
                              zName, zName, zCols, zTsArg)
            : NULL;
    sqlite3_free(zTsArg);
    sqlite3_free(zCols);
    rc = zBatch ? sqlite3_exec(k->db, zBatch, 0, 0, pzErr) : SQLITE_NOMEM;
    sqlite3_free(zBatch);
    if (!rc && v->plan.zCreateTemp) rc = sqlite3_exec(k->db, v->plan.zCreateTemp, 0, 0, pzErr);
    if (rc) goto done_stmt;
    if (create) {
        /* The state tables first: the result table is defined over them. */
        if (v->plan.zCreateState) {
            rc = sqlite3_exec(k->db, v->plan.zCreateState, 0, 0, NULL);
            if (rc) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        }
        if (!rc) {
            rc = sqlite3_exec(k->db, v->plan.zCreateResult, 0, 0, NULL);
            if (rc) {
                *pzErr = explain_error(v, sqlite3_errmsg(k->db), v->plan.kind == KSQ_VIEW_AGGREGATE,
                                       &def.schema);
                const char *pfx = "no such column: ", *msg = sqlite3_errmsg(k->db);
                if (strncmp(msg, pfx, strlen(pfx)) == 0) {
                    const char *dot = strrchr(msg + strlen(pfx), '.');
                    *pErrOff = find_name_offset(stmt.zSelect, dot ? dot + 1 : msg + strlen(pfx));
                }
            }
        }
        if (rc) goto done_stmt;
    }
    const ksq_plan *p = &v->plan;
    const char *zSel = stmt.zSelect;
    rc = prep_slot(k, v, SLOT_FEED, p->zFeed, 0, &def.schema, pzErr, pErrOff, zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_FEED_DISTINCT, p->zFeedDistinct, 0, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_SESSION_MOVE, p->zSessionMove, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_SESSION_MERGE, p->zSessionMerge, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_SESSION_CLEAR, p->zSessionClear, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_CHANGES_DELETE, p->zChangesDelete, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_CHANGES_INSERT, p->zChangesInsert, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_CHANGES_RESET, p->zChangesReset, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_EMIT_FINAL, p->zEmitFinal, 1, &def.schema, pzErr, pErrOff, zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_DELETE_CLOSED, p->zDeleteClosed, 1, &def.schema, pzErr, pErrOff,
                       zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_PANE_RANGE, p->zPaneRange, 1, &def.schema, pzErr, pErrOff, zSel);
    if (!rc)
        rc = prep_slot(k, v, SLOT_DELETE_DISTINCT, p->zDeleteDistinct, 1, &def.schema, pzErr,
                       pErrOff, zSel);
    if (!rc) {
        rc = prep_slot(k, v, SLOT_LATE,
                       "INSERT OR IGNORE INTO ksq_late(view, stream, topic, partition, offset, "
                       "event_time, watermark, "
                       "payload) VALUES (?1, ?2, ?3, ?4, ?5, ksq_time(?6), ksq_time(?7), ?8)",
                       0, NULL, pzErr, NULL, NULL);
    }
    if (!rc) {
        rc = prep_slot(
            k, v, SLOT_SAVE_PART,
            "INSERT INTO ksq_progress(view, partition, next_offset, max_event_ms) VALUES (?1, ?2, "
            "?3, ?4) "
            "ON CONFLICT (view, partition) DO UPDATE SET next_offset = excluded.next_offset, "
            "max_event_ms = excluded.max_event_ms",
            0, NULL, pzErr, NULL, NULL);
    }
    if (!rc) {
        rc = prep_slot(k, v, SLOT_SAVE_STATE,
                       "INSERT INTO ksq_view_state(view, watermark, closed_ws, events, late, rows, "
                       "batches, updated) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (view) DO UPDATE SET "
                       "watermark = excluded.watermark, "
                       "closed_ws = excluded.closed_ws, events = excluded.events, late = "
                       "excluded.late, rows = excluded.rows, "
                       "batches = excluded.batches, updated = excluded.updated",
                       0, NULL, pzErr, NULL, NULL);
    }
    if (!rc && !transient) rc = load_progress(k, v);
done_stmt:
    if (rc && *pErrOff >= 0) *pErrOff += selectOff;
    ksq_stmt_clear(&stmt);
done:
    ksq_select_clear(&sel);
    ksq_stream_def_clear(&def);
    stream_list_free(&streams);
    if (rc) {
        ksq_view_free(k, v);
        return rc;
    }
    *ppView = v;
    return SQLITE_OK;
}

int ksq_view_load(ksqlite *k, const char *zName, const char *zSql, ksq_view **ppView, char **pzErr)
{
    int off;
    return ksq_view_compile(k, zName, zSql, KSQ_VIEW_LOAD, ppView, pzErr, &off);
}

void ksq_view_free(ksqlite *k, ksq_view *v)
{
    (void)k;
    if (!v) return;
    for (int i = 0; v->aStmt && i < SLOT_COUNT * MAX_PER_SLOT; i++) sqlite3_finalize(v->aStmt[i]);
    sqlite3_free(v->aStmt);
    sqlite3_free(v->anStmt);
    ksq_plan_clear(&v->plan);
    ksq_wm_clear(&v->wm);
    sqlite3_free(v->aTake);
    sqlite3_free(v->zName);
    sqlite3_free(v->zStream);
    sqlite3_free(v->zError);
    sqlite3_free(v);
}

/* Is this event late: has the watermark passed its earliest window? */
static int is_late(const ksq_view *v, int64_t t)
{
    int64_t wm = v->wm.wm;
    if (wm == KSQ_NO_TIME) return 0;
    const ksq_plan *p = &v->plan;
    switch (p->winKind) {
    case KSQ_WIN_TUMBLE:
    case KSQ_WIN_HOP: {
        int64_t firstWs = floor_div(t - p->sizeMs, p->slideMs) * p->slideMs + p->slideMs;
        return firstWs + p->sizeMs <= wm;
    }
    case KSQ_WIN_SESSION: return t < wm;
    default: return 0;
    }
}

static int record_late(ksqlite *k, ksq_view *v, ksq_source *src, const ksq_event *e, char **pzErr)
{
    sqlite3_stmt *st = v->aStmt[SLOT_LATE * MAX_PER_SLOT];
    sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v->zStream, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, src->def.zTopic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, e->partition);
    sqlite3_bind_int64(st, 5, e->offset);
    sqlite3_bind_int64(st, 6, e->eventMs);
    sqlite3_bind_int64(st, 7, v->wm.wm);
    if (e->payload) {
        sqlite3_bind_blob(st, 8, e->payload, e->nPayload, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 8);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        *pzErr = sqlite3_mprintf("view %s: cannot record a late event: %s", v->zName,
                                 sqlite3_errmsg(k->db));
        return rc;
    }
    return SQLITE_OK;
}

/* The smallest and largest pane in the view's state: SQLITE_DONE when the
** state is empty. */
static int pane_range(ksqlite *k, ksq_view *v, int64_t *pLo, int64_t *pHi, char **pzErr)
{
    sqlite3_stmt *st = v->aStmt[SLOT_PANE_RANGE * MAX_PER_SLOT];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rc = sqlite3_column_type(st, 0) == SQLITE_NULL ? SQLITE_DONE : SQLITE_OK;
        *pLo = sqlite3_column_int64(st, 0);
        *pHi = sqlite3_column_int64(st, 1);
    } else {
        *pzErr = sqlite3_mprintf("view %s: %s", v->zName, sqlite3_errmsg(k->db));
    }
    sqlite3_reset(st);
    return rc;
}

/* Emit and drop the windows the watermark has passed. */
static int close_windows(ksqlite *k, ksq_view *v, char **pzErr)
{
    const ksq_plan *p = &v->plan;
    int64_t wm = v->wm.wm;
    int final = p->emit == KSQ_EMIT_FINAL;
    int rc = SQLITE_OK;
    if (wm == KSQ_NO_TIME || p->kind != KSQ_VIEW_AGGREGATE || p->winKind == KSQ_WIN_NONE)
        return SQLITE_OK;
    if (p->winKind == KSQ_WIN_SESSION) {
        if (final) rc = run_slot(k, v, SLOT_EMIT_FINAL, wm, 0, &v->nRows, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_DELETE_CLOSED, wm, 0, NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_DELETE_DISTINCT, wm, 0, NULL, pzErr);
        return rc;
    }
    int64_t lastWs = floor_div(wm - p->sizeMs, p->slideMs) * p->slideMs;
    if (v->closedWs != KSQ_NO_TIME && lastWs <= v->closedWs) return SQLITE_OK;
    int64_t firstWs = v->closedWs == KSQ_NO_TIME ? FAR_PAST : v->closedWs + p->slideMs;
    int64_t emitLast = lastWs;
    if (final && p->winKind == KSQ_WIN_HOP) {
        /* The HOP emit enumerates window starts: bound them by the windows
        ** that hold a pane of the state, so a drain does not walk to the end
        ** of time. */
        int64_t lo = 0, hi = 0;
        rc = pane_range(k, v, &lo, &hi, pzErr);
        if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
            emitLast = firstWs - 1; /* no state: nothing to emit */
        } else if (!rc) {
            int64_t firstHolding = floor_div(lo - p->sizeMs, p->slideMs) * p->slideMs + p->slideMs;
            int64_t lastHolding = floor_div(hi, p->slideMs) * p->slideMs;
            if (firstWs < firstHolding) firstWs = firstHolding;
            if (emitLast > lastHolding) emitLast = lastHolding;
        }
    }
    if (final && !rc && firstWs <= emitLast)
        rc = run_slot(k, v, SLOT_EMIT_FINAL, firstWs, emitLast, &v->nRows, pzErr);
    if (!rc) rc = run_slot(k, v, SLOT_DELETE_CLOSED, lastWs + p->slideMs, 0, NULL, pzErr);
    if (!rc) rc = run_slot(k, v, SLOT_DELETE_DISTINCT, lastWs + p->slideMs, 0, NULL, pzErr);
    if (!rc) v->closedWs = lastWs;
    return rc;
}

int ksq_view_process(ksqlite *k, ksq_view *v, ksq_source *src, int mayDefer, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    ksq_batch *b = &src->batch;
    int windowed = v->plan.kind == KSQ_VIEW_AGGREGATE && v->plan.winKind != KSQ_WIN_NONE;
    int rc = SQLITE_OK;
    if (b->nAlloc + 1 > v->nTakeAlloc) {
        unsigned char *a = sqlite3_realloc64(v->aTake, (size_t)b->nAlloc + 1);
        if (!a) return SQLITE_NOMEM;
        v->aTake = a;
        v->nTakeAlloc = b->nAlloc + 1;
    }
    ksq_wm_refresh(&v->wm, src, ksq_monotonic_ms(), ksq_now_ms());
    v->nTake = 0;
    for (int i = 0; i < b->nEv && !rc; i++) {
        const ksq_event *e = &b->aEv[i];
        v->aTake[i] = 0;
        ksq_wm_part *part = ksq_wm_part_get(&v->wm, e->partition);
        if (!part) return SQLITE_NOMEM;
        if (e->offset < part->next) continue; /* already processed */
        part->next = e->offset + 1;
        if (e->zError) continue; /* a dead letter: the runtime records it */
        if (windowed && is_late(v, e->eventMs)) {
            v->nLate++;
            if (!v->transient) rc = record_late(k, v, src, e, pzErr);
            continue;
        }
        ksq_wm_observe(&v->wm, part, e->eventMs);
        v->aTake[i] = 1;
        v->nTake++;
    }
    if (rc) return rc;
    if (v->nTake > 0) {
        rt->pCurrentView = v;
        rt->pCurrentSrc = src;
        int append = v->plan.kind == KSQ_VIEW_APPEND;
        rc = run_slot(k, v, SLOT_FEED, 0, 0, append ? &v->nRows : NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_FEED_DISTINCT, 0, 0, NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_SESSION_MOVE, 0, 0, NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_SESSION_MERGE, 0, 0, NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_SESSION_CLEAR, 0, 0, NULL, pzErr);
        rt->pCurrentView = NULL;
        rt->pCurrentSrc = NULL;
        v->nEvents += v->nTake;
    }
    if (!rc && v->plan.emit == KSQ_EMIT_CHANGES && v->plan.kind == KSQ_VIEW_AGGREGATE &&
        v->nTake > 0) {
        rc = run_slot(k, v, SLOT_CHANGES_DELETE, 0, 0, NULL, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_CHANGES_INSERT, 0, 0, &v->nRows, pzErr);
        if (!rc) rc = run_slot(k, v, SLOT_CHANGES_RESET, 0, 0, NULL, pzErr);
    }
    /* Catching up, windows are closed at most every KSQ_CLOSE_INTERVAL_MS:
    ** a HOP emit reads each window's panes, and the fewer the emits, the
    ** fewer times each pane is read. Live, every batch closes them. */
    int64_t now = ksq_monotonic_ms();
    if (!rc && (!mayDefer || now - v->lastCloseMono >= KSQ_CLOSE_INTERVAL_MS)) {
        rc = close_windows(k, v, pzErr);
        v->lastCloseMono = now;
    }
    if (!rc) {
        v->nBatches++;
        if (v->rateStart == 0) v->rateStart = now;
        v->rateCount += v->nTake;
        if (now - v->rateStart >= 2000) {
            v->rate = (double)v->rateCount * 1000.0 / (double)(now - v->rateStart);
            v->rateStart = now;
            v->rateCount = 0;
        }
    }
    return rc;
}

int ksq_view_drain(ksqlite *k, ksq_view *v, char **pzErr)
{
    if (v->plan.kind != KSQ_VIEW_AGGREGATE || v->plan.winKind == KSQ_WIN_NONE) return SQLITE_OK;
    v->wm.wm = FAR_FUTURE;
    return close_windows(k, v, pzErr);
}

int ksq_view_save(ksqlite *k, ksq_view *v, char **pzErr)
{
    if (v->transient) return SQLITE_OK; /* a push query keeps its progress in memory */
    sqlite3_stmt *st = v->aStmt[SLOT_SAVE_PART * MAX_PER_SLOT];
    for (int i = 0; i < v->wm.nPart; i++) {
        const ksq_wm_part *p = &v->wm.aPart[i];
        sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, p->id);
        sqlite3_bind_int64(st, 3, p->next);
        if (p->maxEvent == KSQ_NO_TIME) {
            sqlite3_bind_null(st, 4);
        } else {
            sqlite3_bind_int64(st, 4, p->maxEvent);
        }
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            *pzErr = sqlite3_mprintf("view %s: cannot save progress: %s", v->zName,
                                     sqlite3_errmsg(k->db));
            return rc;
        }
    }
    st = v->aStmt[SLOT_SAVE_STATE * MAX_PER_SLOT];
    sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
    if (v->wm.wm == KSQ_NO_TIME) {
        sqlite3_bind_null(st, 2);
    } else {
        sqlite3_bind_int64(st, 2, v->wm.wm);
    }
    if (v->closedWs == KSQ_NO_TIME) {
        sqlite3_bind_null(st, 3);
    } else {
        sqlite3_bind_int64(st, 3, v->closedWs);
    }
    sqlite3_bind_int64(st, 4, v->nEvents);
    sqlite3_bind_int64(st, 5, v->nLate);
    sqlite3_bind_int64(st, 6, v->nRows);
    sqlite3_bind_int64(st, 7, v->nBatches);
    sqlite3_bind_int64(st, 8, ksq_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        *pzErr =
            sqlite3_mprintf("view %s: cannot save progress: %s", v->zName, sqlite3_errmsg(k->db));
        return rc;
    }
    return SQLITE_OK;
}

int64_t ksq_view_lag(const ksq_view *v, const ksq_source *src)
{
    if (!src) return -1;
    int64_t lag = 0;
    for (int i = 0; i < src->nPart; i++) {
        const ksq_source_part *sp = &src->aPart[i];
        if (sp->hwm < 0) return -1;
        int64_t next = 0;
        for (int j = 0; j < v->wm.nPart; j++) {
            if (v->wm.aPart[j].id == sp->id) next = v->wm.aPart[j].next;
        }
        if (sp->hwm > next) lag += sp->hwm - next;
    }
    return lag;
}
