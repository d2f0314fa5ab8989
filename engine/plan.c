/*
** plan.c — compile a continuous view's SELECT into the SQL that maintains it.
**
**   CREATE MATERIALIZED VIEW m AS
**     SELECT city, window_start, count(*) AS n, avg(temperature) AS t
**       FROM weather GROUP BY city, TUMBLE(ts, '1 minute');
**
** becomes, for each batch (the stream replaced by the batch table):
**
**   INSERT INTO "ksq_s_m"(gk, pane, pend, g0, _n, p0, p1, p1b, dirty)
**   SELECT ksq_key(city), weather._pane, weather._pane + 60000, city, count(*),
**          count(*), total(temperature), count(temperature), 0
**     FROM temp."ksq_b_m" AS "weather" WHERE 1 GROUP BY city, weather._pane
**   ON CONFLICT (gk, pane) DO UPDATE SET _n = _n + excluded._n, ...
**
** and, when the watermark passes a window's end:
**
**   INSERT INTO "m" SELECT _s.g0 AS "city", ksq_time(_s.ws) AS "window_start",
**          _s.p0 AS "n", CASE WHEN _s.p1b > 0 THEN _s.p1 / _s.p1b END AS "t"
**     FROM (SELECT s.gk AS gk, s.pane AS ws, ... FROM "ksq_s_m" AS s
**            WHERE s.pane BETWEEN ?1 AND ?2 GROUP BY s.gk, s.pane) AS _s
**
** Each aggregate has a partial form (over events), a combine form (UPSERT of
** two partial states), a merge form (an aggregate over partial states: the
** panes of a sliding window, the pieces of a session) and a final form.
** Sliding windows are built from panes of gcd(size, slide), so each event
** updates one pane however many windows it belongs to.
*/
#include "plan.h"

#include <string.h>
#include <strings.h>

/* "TEMP " for the tables of a transient view (a push query), else "". */
#define TEMP(plan) ((plan)->temp ? "TEMP " : "")

typedef struct plan_ctx {
    const char *zView;     /* view name */
    const ksq_select *sel; /* the analysed SELECT */
    const ksq_tokens *t;   /* its tokens */
    const ksq_plan_stream *stream;
    ksq_plan *plan;
    char *zFrom;     /* FROM with the stream replaced by the batch table */
    char *zWhere;    /* WHERE condition, or "1" */
    char **azGroup;  /* GROUP BY expressions, as text */
    char **azArg;    /* each aggregate's argument text (NULL for count(*)) */
    char **azFilter; /* each aggregate's FILTER condition, or NULL */
    char **azSep;    /* each aggregate's separator, or NULL */
    char **pzErr;
    int *pErrOff;
} plan_ctx;

static int plan_error(plan_ctx *c, int tok, const char *zMsg)
{
    *c->pzErr = sqlite3_mprintf("%s", zMsg);
    *c->pErrOff = tok >= 0 && tok < c->t->n ? c->t->a[tok].off : -1;
    return SQLITE_ERROR;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Is token i the name of a stream (unquoted, case-insensitive)? */
static int stream_index(plan_ctx *c, int i)
{
    if (c->t->a[i].type != KSQ_TK_ID) return -1;
    char *z = ksq_tok_text(c->t, i);
    int found = -1;
    for (int s = 0; z && s < c->stream->nAllStreams; s++) {
        if (strcasecmp(z, c->stream->azAllStreams[s]) == 0) found = s;
    }
    sqlite3_free(z);
    return found;
}

/* Replace the stream in FROM by the view's batch table; find the alias. */
static int rewrite_from(plan_ctx *c)
{
    const ksq_tokens *t = c->t;
    const ksq_select *sel = c->sel;
    int found = -1, depth = 0;
    /* Streams anywhere else (subqueries, other clauses) are refused. */
    for (int i = 0; i < t->n; i++) {
        if (ksq_tok_is(t, i, "(")) depth++;
        if (ksq_tok_is(t, i, ")")) depth--;
        int s = stream_index(c, i);
        if (s < 0 || !ksq_tok_table_position(t, i, sel->from.start)) continue;
        if (ksq_tok_is(t, i + 1, "(") ||
            (i > 0 && ksq_tok_is(t, i - 1, ".") && !(i >= 2 && ksq_tok_is(t, i - 2, "main"))))
            continue;
        int inFrom = i >= sel->from.start && i < sel->from.end && depth == 0;
        if (!inFrom)
            return plan_error(c, i, "a stream can only be read directly in the view's FROM");
        if (strcasecmp(c->stream->azAllStreams[s], c->stream->zName) != 0 || found >= 0)
            return plan_error(c, i,
                              "a view reads one stream; joining two streams is not supported "
                              "(join a stream with tables)");
        found = i;
    }
    if (found < 0) return plan_error(c, sel->from.start, "a continuous view needs FROM a stream");
    char *zBatch = sqlite3_mprintf("temp.\"ksq_b_%w\"", c->zView);
    c->zFrom = zBatch ? ksq_rewrite_table(t, sel->from, found, zBatch, c->stream->zName,
                                          &c->plan->zStreamAlias)
                      : NULL;
    sqlite3_free(zBatch);
    return c->zFrom ? SQLITE_OK : SQLITE_NOMEM;
}

/* ------------------------------------------------------------------ aggregates */

/* Number of partial-state columns of aggregate i. */
static int agg_ncol(const ksq_agg_call *a)
{
    return a->distinct ? 0 : 1;
}

static const char *col_suffix(int k)
{
    return k == 0 ? "" : "b";
}

/* The argument, with the FILTER condition folded in: CASE WHEN f THEN x END. */
static char *filtered_arg(const char *zArg, const char *zFilter)
{
    if (!zFilter) return sqlite3_mprintf("(%s)", zArg);
    return sqlite3_mprintf("CASE WHEN (%s) THEN (%s) END", zFilter, zArg);
}

/* Partial expression k of aggregate a over events. zArg/zFilter/zSep are
** the argument texts; zEv/zPt/zOff name the event's time, partition, offset. */
static char *partial_sql(const ksq_agg_call *a, int k, const char *zArg, const char *zFilter,
                         const char *zSep, const char *zEv, const char *zPt, const char *zOff)
{
    if (a->fn == KSQ_AGG_COUNT_STAR) {
        return zFilter ? sqlite3_mprintf("count(CASE WHEN (%s) THEN 1 END)", zFilter)
                       : sqlite3_mprintf("count(*)");
    }
    char *x = filtered_arg(zArg, zFilter), *out = NULL;
    if (!x) return NULL;
    switch (a->fn) {
    case KSQ_AGG_COUNT: out = sqlite3_mprintf("count(%s)", x); break;
    case KSQ_AGG_SUM:
    case KSQ_AGG_TOTAL:
    case KSQ_AGG_AVG: out = sqlite3_mprintf("ksq_sum_partial(%s)", x); break;
    case KSQ_AGG_MIN: out = sqlite3_mprintf("min(%s)", x); break;
    case KSQ_AGG_MAX: out = sqlite3_mprintf("max(%s)", x); break;
    case KSQ_AGG_GROUP_CONCAT:
        out = sqlite3_mprintf("group_concat(%s, %s)", x, zSep ? zSep : "','");
        break;
    case KSQ_AGG_VAR_SAMP:
    case KSQ_AGG_VAR_POP:
    case KSQ_AGG_STDDEV_SAMP:
    case KSQ_AGG_STDDEV_POP: out = sqlite3_mprintf("ksq_var_partial(%s)", x); break;
    case KSQ_AGG_FIRST:
        out = sqlite3_mprintf("ksq_first_partial(%s, %s, %s, %s)", x, zEv, zPt, zOff);
        break;
    case KSQ_AGG_LAST:
        out = sqlite3_mprintf("ksq_last_partial(%s, %s, %s, %s)", x, zEv, zPt, zOff);
        break;
    default: break;
    }
    sqlite3_free(x);
    return out;
}

/* Combine column zCol (old state) with excluded.zCol (new state). */
static char *combine_sql(const ksq_agg_call *a, const char *zCol, const char *zSep)
{
    switch (a->fn) {
    case KSQ_AGG_COUNT_STAR:
    case KSQ_AGG_COUNT: return sqlite3_mprintf("%s + excluded.%s", zCol, zCol);
    case KSQ_AGG_SUM:
    case KSQ_AGG_TOTAL:
    case KSQ_AGG_AVG: return sqlite3_mprintf("ksq_sum_combine(%s, excluded.%s)", zCol, zCol);
    case KSQ_AGG_MIN:
    case KSQ_AGG_MAX:
        return sqlite3_mprintf(
            "CASE WHEN %s IS NULL THEN excluded.%s WHEN excluded.%s IS NULL THEN %s "
            "ELSE %s(%s, excluded.%s) END",
            zCol, zCol, zCol, zCol, a->fn == KSQ_AGG_MIN ? "min" : "max", zCol, zCol);
    case KSQ_AGG_GROUP_CONCAT:
        return sqlite3_mprintf(
            "CASE WHEN %s IS NULL THEN excluded.%s WHEN excluded.%s IS NULL THEN %s "
            "ELSE %s || %s || excluded.%s END",
            zCol, zCol, zCol, zCol, zCol, zSep ? zSep : "','", zCol);
    case KSQ_AGG_FIRST: return sqlite3_mprintf("ksq_first_combine(%s, excluded.%s)", zCol, zCol);
    case KSQ_AGG_LAST: return sqlite3_mprintf("ksq_last_combine(%s, excluded.%s)", zCol, zCol);
    default: return sqlite3_mprintf("ksq_var_combine(%s, excluded.%s)", zCol, zCol);
    }
}

/* Merge partial states in column zRef (e.g. "s.p3") over several rows. */
static char *merge_sql(const ksq_agg_call *a, int k, const char *zRef, const char *zSep)
{
    switch (a->fn) {
    case KSQ_AGG_COUNT_STAR:
    case KSQ_AGG_COUNT: return sqlite3_mprintf("sum(%s)", zRef);
    case KSQ_AGG_SUM:
    case KSQ_AGG_TOTAL:
    case KSQ_AGG_AVG: return sqlite3_mprintf("ksq_sum_merge(%s)", zRef);
    case KSQ_AGG_MIN: return sqlite3_mprintf("min(%s)", zRef);
    case KSQ_AGG_MAX: return sqlite3_mprintf("max(%s)", zRef);
    case KSQ_AGG_GROUP_CONCAT:
        return sqlite3_mprintf("group_concat(%s, %s)", zRef, zSep ? zSep : "','");
    case KSQ_AGG_FIRST: return sqlite3_mprintf("ksq_first_merge(%s)", zRef);
    case KSQ_AGG_LAST: return sqlite3_mprintf("ksq_last_merge(%s)", zRef);
    default: return sqlite3_mprintf("ksq_var_merge(%s)", zRef);
    }
}

/* The result of aggregate i from the merged state row _s. */
static char *final_sql(plan_ctx *c, int i)
{
    const ksq_agg_call *a = &c->sel->aAgg[i];
    if (a->distinct) {
        const char *fn = a->fn == KSQ_AGG_COUNT ? "count" : ksq_agg_name(a->fn);
        return sqlite3_mprintf("(SELECT %s(DISTINCT d.v) FROM \"ksq_d_%w\" AS d WHERE d.gk = _s.gk "
                               "AND d.agg = %d AND d.pane >= _s.ws AND d.pane < _s.we)",
                               fn, c->zView, i);
    }
    switch (a->fn) {
    case KSQ_AGG_SUM: return sqlite3_mprintf("ksq_sum_final(_s.p%d, 0)", i);
    case KSQ_AGG_TOTAL: return sqlite3_mprintf("ksq_sum_final(_s.p%d, 1)", i);
    case KSQ_AGG_AVG: return sqlite3_mprintf("ksq_sum_final(_s.p%d, 2)", i);
    case KSQ_AGG_VAR_SAMP: return sqlite3_mprintf("ksq_var_final(_s.p%d, 0)", i);
    case KSQ_AGG_VAR_POP: return sqlite3_mprintf("ksq_var_final(_s.p%d, 1)", i);
    case KSQ_AGG_STDDEV_SAMP: return sqlite3_mprintf("ksq_var_final(_s.p%d, 2)", i);
    case KSQ_AGG_STDDEV_POP: return sqlite3_mprintf("ksq_var_final(_s.p%d, 3)", i);
    case KSQ_AGG_FIRST:
    case KSQ_AGG_LAST: return sqlite3_mprintf("ksq_pick_value(_s.p%d)", i);
    default: return sqlite3_mprintf("_s.p%d", i);
    }
}

/* ------------------------------------------------------------------ final expressions */

/* Are the tokens [a, a+n) and [b, b+n) the same (identifiers case-insensitively)? */
static int same_tokens(const ksq_tokens *t, int a, int b, int n)
{
    for (int k = 0; k < n; k++) {
        const ksq_token *x = &t->a[a + k], *y = &t->a[b + k];
        if (x->type != y->type || x->n != y->n) return 0;
        if (strncasecmp(t->zSql + x->off, t->zSql + y->off, (size_t)x->n) != 0) return 0;
    }
    return 1;
}

/* Does token i name the column zName (unquoted, case-insensitive)? */
static int token_names(const ksq_tokens *t, int i, const char *zName)
{
    if (t->a[i].type != KSQ_TK_ID) return 0;
    char *z = ksq_tok_text(t, i);
    int yes = z && strcasecmp(z, zName) == 0;
    sqlite3_free(z);
    return yes;
}

typedef struct rep_list {
    ksq_replace *a;
    int n, nAlloc;
} rep_list;

static int rep_add(rep_list *r, ksq_span span, char *zText)
{
    if (!zText) return SQLITE_NOMEM;
    if (r->n == r->nAlloc) {
        int cap = r->nAlloc ? r->nAlloc * 2 : 16;
        ksq_replace *a = sqlite3_realloc64(r->a, sizeof(ksq_replace) * (size_t)cap);
        if (!a) {
            sqlite3_free(zText);
            return SQLITE_NOMEM;
        }
        r->a = a;
        r->nAlloc = cap;
    }
    /* keep sorted by position */
    int k = r->n;
    while (k > 0 && r->a[k - 1].span.start > span.start) {
        r->a[k] = r->a[k - 1];
        k--;
    }
    r->a[k].span = span;
    r->a[k].zText = zText;
    r->n++;
    return SQLITE_OK;
}

static void rep_free(rep_list *r)
{
    for (int i = 0; i < r->n; i++) sqlite3_free(r->a[i].zText);
    sqlite3_free(r->a);
    memset(r, 0, sizeof *r);
}

static int rep_covers(const rep_list *r, int tok)
{
    for (int i = 0; i < r->n; i++) {
        if (tok >= r->a[i].span.start && tok < r->a[i].span.end) return 1;
    }
    return 0;
}

/* Rewrite an item or HAVING span over the merged state row _s: aggregate
** calls, window_start/window_end and GROUP BY expressions are replaced. */
static int final_text(plan_ctx *c, ksq_span span, char **pzOut)
{
    const ksq_tokens *t = c->t;
    const ksq_select *sel = c->sel;
    rep_list reps = {0};
    int rc = SQLITE_OK;
    for (int i = 0; i < sel->nAgg && !rc; i++) {
        const ksq_agg_call *a = &sel->aAgg[i];
        if (a->call.start >= span.start && a->call.end <= span.end)
            rc = rep_add(&reps, a->call, final_sql(c, i));
    }
    /* GROUP BY expressions, longest first so `upper(city)` wins over `city`. */
    int *order = sqlite3_malloc64(sizeof(int) * (size_t)(sel->nGroup + 1));
    if (!order) rc = SQLITE_NOMEM;
    for (int g = 0; g < sel->nGroup && !rc; g++) {
        int k = g;
        while (k > 0 && (sel->aGroup[order[k - 1]].end - sel->aGroup[order[k - 1]].start) <
                            (sel->aGroup[g].end - sel->aGroup[g].start)) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = g;
    }
    for (int oi = 0; oi < sel->nGroup && !rc; oi++) {
        int g = order[oi];
        ksq_span ge = sel->aGroup[g];
        int len = ge.end - ge.start;
        /* a column reference: name, or qualifier.name */
        int isCol = t->a[ge.end - 1].type == KSQ_TK_ID &&
                    (len == 1 || (len == 3 && ksq_tok_is(t, ge.start + 1, ".")));
        char *zColName = isCol ? ksq_tok_text(t, ge.end - 1) : NULL;
        char *zQual = isCol && len == 3 ? ksq_tok_text(t, ge.start) : NULL;
        for (int j = span.start; j < span.end && !rc; j++) {
            if (rep_covers(&reps, j)) continue;
            ksq_span hit = {-1, -1};
            if (isCol) {
                if (!zColName || !token_names(t, j, zColName) || ksq_tok_is(t, j + 1, "("))
                    continue;
                if (j >= 2 && ksq_tok_is(t, j - 1, ".")) {
                    if (zQual && !token_names(t, j - 2, zQual)) continue;
                    if (rep_covers(&reps, j - 2)) continue;
                    hit = (ksq_span){j - 2, j + 1};
                } else {
                    hit = (ksq_span){j, j + 1};
                }
            } else if (j + len <= span.end && same_tokens(t, j, ge.start, len)) {
                int free = 1;
                for (int k = j; k < j + len; k++) free &= !rep_covers(&reps, k);
                if (!free) continue;
                hit = (ksq_span){j, j + len};
            }
            if (hit.start >= 0) rc = rep_add(&reps, hit, sqlite3_mprintf("_s.g%d", g));
        }
        sqlite3_free(zColName);
        sqlite3_free(zQual);
    }
    sqlite3_free(order);
    /* window_start / window_end */
    for (int j = span.start; j < span.end && !rc; j++) {
        if (rep_covers(&reps, j) || ksq_tok_is(t, j + 1, "(") ||
            (j > 0 && ksq_tok_is(t, j - 1, ".")))
            continue;
        int isStart = token_names(t, j, "window_start"), isEnd = token_names(t, j, "window_end");
        if (!isStart && !isEnd) continue;
        if (sel->winKind == KSQ_WIN_NONE) {
            rep_free(&reps);
            return plan_error(
                c, j, "window_start and window_end need TUMBLE, HOP or SESSION in GROUP BY");
        }
        rc = rep_add(&reps, (ksq_span){j, j + 1},
                     sqlite3_mprintf("ksq_time(_s.%s)", isStart ? "ws" : "we"));
    }
    if (!rc) {
        *pzOut = ksq_rewrite(t, span, reps.a, reps.n);
        if (!*pzOut) rc = SQLITE_NOMEM;
    }
    rep_free(&reps);
    return rc;
}

/* The view's result columns over _s, and the HAVING condition (or "1").
** With positional, the columns are named c0, c1, ... (the internal table
** of an EMIT CHANGES view). */
static int final_select(plan_ctx *c, int positional, char **pzItems, char **pzHaving)
{
    const ksq_select *sel = c->sel;
    sqlite3_str *s = sqlite3_str_new(NULL);
    int rc = SQLITE_OK;
    for (int k = 0; k < sel->nItem && !rc; k++) {
        if (sel->aItem[k].isStar) {
            rc = plan_error(c, sel->aItem[k].expr.start,
                            "SELECT * cannot be used with GROUP BY or aggregates");
            break;
        }
        char *z = NULL;
        rc = final_text(c, sel->aItem[k].expr, &z);
        if (!rc && positional) sqlite3_str_appendf(s, "%s%s AS c%d", k ? ", " : "", z, k);
        if (!rc && !positional)
            sqlite3_str_appendf(s, "%s%s AS \"%w\"", k ? ", " : "", z, sel->aItem[k].zName);
        sqlite3_free(z);
    }
    *pzItems = sqlite3_str_finish(s);
    if (!rc && !*pzItems) rc = SQLITE_NOMEM;
    *pzHaving = NULL;
    if (!rc) {
        if (sel->having.end > sel->having.start) {
            rc = final_text(c, sel->having, pzHaving);
        } else {
            *pzHaving = sqlite3_mprintf("1");
            if (!*pzHaving) rc = SQLITE_NOMEM;
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ building blocks */

/* Column lists of the state table after gk, pane, pend: "g0, g1, _n, p0, p1, p1b". */
static char *state_cols(plan_ctx *c, const char *zPrefix)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int g = 0; g < c->sel->nGroup; g++) sqlite3_str_appendf(s, "%sg%d, ", zPrefix, g);
    sqlite3_str_appendf(s, "%s_n", zPrefix);
    for (int i = 0; i < c->sel->nAgg; i++) {
        for (int k = 0; k < agg_ncol(&c->sel->aAgg[i]); k++)
            sqlite3_str_appendf(s, ", %sp%d%s", zPrefix, i, col_suffix(k));
    }
    return sqlite3_str_finish(s);
}

/* "s.g0 AS g0, ..., sum(s._n) AS _n, <merges>": a merged state row from rows named zAlias. */
static char *merged_cols(plan_ctx *c, const char *zAlias)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int g = 0; g < c->sel->nGroup; g++)
        sqlite3_str_appendf(s, "%s.g%d AS g%d, ", zAlias, g, g);
    sqlite3_str_appendf(s, "sum(%s._n) AS _n", zAlias);
    for (int i = 0; i < c->sel->nAgg; i++) {
        const ksq_agg_call *a = &c->sel->aAgg[i];
        for (int k = 0; k < agg_ncol(a); k++) {
            char *ref = sqlite3_mprintf("%s.p%d%s", zAlias, i, col_suffix(k));
            char *m = ref ? merge_sql(a, k, ref, c->azSep[i]) : NULL;
            sqlite3_str_appendf(s, ", %s AS p%d%s", m ? m : "NULL", i, col_suffix(k));
            sqlite3_free(ref);
            sqlite3_free(m);
        }
    }
    return sqlite3_str_finish(s);
}

/* "g0, ..., sum(_n) OVER w AS _n, <merges> OVER w": the merged state of the
** rows in window frame w, for the sliding-window emit. NULL when an
** aggregate's merge has no inverse (first/last), which the frame needs. */
static char *windowed_cols(plan_ctx *c)
{
    for (int i = 0; i < c->sel->nAgg; i++) {
        const ksq_agg_call *a = &c->sel->aAgg[i];
        if (!a->distinct && (a->fn == KSQ_AGG_FIRST || a->fn == KSQ_AGG_LAST)) return NULL;
    }
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int g = 0; g < c->sel->nGroup; g++) sqlite3_str_appendf(s, "g%d, ", g);
    sqlite3_str_appendall(s, "sum(_n) OVER w AS _n");
    for (int i = 0; i < c->sel->nAgg; i++) {
        const ksq_agg_call *a = &c->sel->aAgg[i];
        for (int k = 0; k < agg_ncol(a); k++) {
            char *ref = sqlite3_mprintf("p%d%s", i, col_suffix(k));
            char *m = ref ? merge_sql(a, k, ref, c->azSep[i]) : NULL;
            sqlite3_str_appendf(s, ", %s OVER w AS p%d%s", m ? m : "NULL", i, col_suffix(k));
            sqlite3_free(ref);
            sqlite3_free(m);
        }
    }
    return sqlite3_str_finish(s);
}

/* The partial state columns of one batch, over events named by the texts. */
static char *partial_cols(plan_ctx *c, int inner)
{
    const ksq_select *sel = c->sel;
    const char *A = c->plan->zStreamAlias;
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "count(*)");
    for (int i = 0; i < sel->nAgg; i++) {
        const ksq_agg_call *a = &sel->aAgg[i];
        for (int k = 0; k < agg_ncol(a); k++) {
            char *zArg, *zFilter, *zEv, *zPt, *zOff;
            if (inner) {
                zArg = sqlite3_mprintf("x%d", i);
                zFilter = c->azFilter[i] ? sqlite3_mprintf("f%d", i) : NULL;
                zEv = sqlite3_mprintf("ev");
                zPt = sqlite3_mprintf("pt");
                zOff = sqlite3_mprintf("off");
            } else {
                zArg = c->azArg[i] ? sqlite3_mprintf("%s", c->azArg[i]) : NULL;
                zFilter = c->azFilter[i] ? sqlite3_mprintf("%s", c->azFilter[i]) : NULL;
                zEv = sqlite3_mprintf("\"%w\"._event_ms", A);
                zPt = sqlite3_mprintf("\"%w\"._partition", A);
                zOff = sqlite3_mprintf("\"%w\"._offset", A);
            }
            char *p = partial_sql(a, k, zArg ? zArg : "NULL", zFilter, c->azSep[i], zEv, zPt, zOff);
            sqlite3_str_appendf(s, ", %s", p ? p : "NULL");
            sqlite3_free(p);
            sqlite3_free(zArg);
            sqlite3_free(zFilter);
            sqlite3_free(zEv);
            sqlite3_free(zPt);
            sqlite3_free(zOff);
        }
    }
    return sqlite3_str_finish(s);
}

/* "ksq_key(g-exprs)" over the batch, or '' without GROUP BY expressions. */
static char *group_key(plan_ctx *c)
{
    if (c->sel->nGroup == 0) return sqlite3_mprintf("''");
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "ksq_key(");
    for (int g = 0; g < c->sel->nGroup; g++)
        sqlite3_str_appendf(s, "%s(%s)", g ? ", " : "", c->azGroup[g]);
    sqlite3_str_appendall(s, ")");
    return sqlite3_str_finish(s);
}

/* ------------------------------------------------------------------ the plans */

static int build_append(plan_ctx *c)
{
    const ksq_select *sel = c->sel;
    ksq_plan *plan = c->plan;
    ksq_span items = {sel->aItem[0].expr.start, sel->aItem[sel->nItem - 1].expr.end};
    /* Items are used verbatim (aliases included), so take the whole list. */
    items.start = 1;
    items.end = sel->from.start - 1;
    char *zItems = ksq_span_text(c->t, items);
    if (!zItems) return SQLITE_NOMEM;
    for (int k = 0; k < sel->nItem; k++) {
        for (int j = sel->aItem[k].expr.start; j < sel->aItem[k].expr.end; j++) {
            if ((token_names(c->t, j, "window_start") || token_names(c->t, j, "window_end")) &&
                !ksq_tok_is(c->t, j + 1, "(")) {
                sqlite3_free(zItems);
                return plan_error(
                    c, j, "window_start and window_end need TUMBLE, HOP or SESSION in GROUP BY");
            }
        }
    }
    plan->kind = KSQ_VIEW_APPEND;
    plan->emit = KSQ_EMIT_CHANGES;
    plan->zCreateResult = sqlite3_mprintf("CREATE %sTABLE \"%w\" AS SELECT %s FROM %s WHERE 0",
                                          TEMP(plan), c->zView, zItems, c->zFrom);
    plan->zFeed = sqlite3_mprintf("INSERT INTO \"%w\" SELECT %s FROM %s WHERE %s", c->zView, zItems,
                                  c->zFrom, c->zWhere);
    sqlite3_free(zItems);
    return plan->zCreateResult && plan->zFeed ? SQLITE_OK : SQLITE_NOMEM;
}

/* The DISTINCT side table feed: one SELECT per DISTINCT aggregate. */
static char *distinct_feed(plan_ctx *c, const char *zKey)
{
    const ksq_select *sel = c->sel;
    const char *A = c->plan->zStreamAlias;
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "INSERT OR IGNORE INTO \"ksq_d_%w\"(gk, pane, agg, v) ", c->zView);
    int n = 0;
    for (int i = 0; i < sel->nAgg; i++) {
        if (!sel->aAgg[i].distinct) continue;
        sqlite3_str_appendf(
            s, "%sSELECT %s, \"%w\"._pane, %d, (%s) FROM %s WHERE (%s) AND (%s) IS NOT NULL",
            n++ ? " UNION ALL " : "", zKey, A, i, c->azArg[i], c->zFrom, c->zWhere, c->azArg[i]);
        if (c->azFilter[i]) sqlite3_str_appendf(s, " AND (%s)", c->azFilter[i]);
    }
    return sqlite3_str_finish(s);
}

/* The SQL type of a stream column named by the tokens of span, or NULL. */
static const char *column_type(plan_ctx *c, ksq_span e)
{
    const ksq_tokens *t = c->t;
    int n = e.end - e.start;
    if (!c->stream->schema || t->a[e.end - 1].type != KSQ_TK_ID) return NULL;
    if (!(n == 1 || (n == 3 && ksq_tok_is(t, e.start + 1, ".")))) return NULL;
    const ksq_schema *sc = c->stream->schema;
    for (int i = 0; i < sc->ncol; i++) {
        if (!token_names(t, e.end - 1, sc->cols[i].name)) continue;
        switch (sc->cols[i].type) {
        case KSQ_INTEGER: return "INTEGER";
        case KSQ_REAL: return "REAL";
        case KSQ_BOOLEAN: return "BOOLEAN";
        case KSQ_TIMESTAMP: return "TIMESTAMP";
        default: return "TEXT"; /* TEXT and JSON: text affinity keeps the text as it is */
        }
    }
    return NULL;
}

/* The declared type of result column k of an aggregate view: the stream
** column's type for a grouped column, TIMESTAMP for window bounds, the
** aggregate's type for an aggregate, none for other expressions. */
static const char *result_type(plan_ctx *c, int k)
{
    const ksq_select *sel = c->sel;
    ksq_span e = sel->aItem[k].expr;
    if (e.end - e.start == 1 &&
        (token_names(c->t, e.start, "window_start") || token_names(c->t, e.start, "window_end")))
        return "TIMESTAMP";
    for (int i = 0; i < sel->nAgg; i++) {
        const ksq_agg_call *a = &sel->aAgg[i];
        if (a->call.start != e.start || a->call.end != e.end) continue;
        switch (a->fn) {
        case KSQ_AGG_COUNT_STAR:
        case KSQ_AGG_COUNT: return "INTEGER";
        case KSQ_AGG_SUM: return "NUMERIC";
        case KSQ_AGG_GROUP_CONCAT: return "TEXT";
        case KSQ_AGG_MIN:
        case KSQ_AGG_MAX:
        case KSQ_AGG_FIRST:
        case KSQ_AGG_LAST: return column_type(c, a->arg);
        default: return "REAL";
        }
    }
    return column_type(c, e);
}

/* "CREATE TABLE name(col type, ...)" for an aggregate view's results; the
** names are made unique the way SQLite does (name, name:1, ...). */
static char *result_table(plan_ctx *c, const char *zTable, int positional, int withKey)
{
    const ksq_select *sel = c->sel;
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "CREATE %sTABLE \"%w\"(", TEMP(c->plan), zTable);
    for (int k = 0; k < sel->nItem; k++) {
        const char *zType = result_type(c, k);
        if (positional) {
            sqlite3_str_appendf(s, "%sc%d", k ? ", " : "", k);
        } else {
            int dup = 0;
            for (int j = 0; j < k; j++)
                dup += strcasecmp(sel->aItem[j].zName, sel->aItem[k].zName) == 0;
            sqlite3_str_appendf(s, dup ? "%s\"%w:%d\"" : "%s\"%w\"", k ? ", " : "",
                                sel->aItem[k].zName, dup);
        }
        if (zType) sqlite3_str_appendf(s, " %s", zType);
    }
    if (withKey) sqlite3_str_appendall(s, ", _ksq_key TEXT");
    sqlite3_str_appendall(s, ");\n");
    return sqlite3_str_finish(s);
}

/* Windows affected by dirty panes (CHANGES), as a CTE named aff(gk, ws). */
static char *affected_cte(plan_ctx *c)
{
    ksq_plan *p = c->plan;
    int64_t nWin = p->sizeMs / p->slideMs;
    return sqlite3_mprintf(
        "WITH RECURSIVE ks(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM ks WHERE k + 1 < %lld), "
        "aff(gk, ws) AS (SELECT DISTINCT d.gk, (d.pane - ((d.pane %% %lld) + %lld) %% %lld) - ks.k "
        "* %lld "
        "FROM \"ksq_s_%w\" AS d, ks WHERE d.dirty) ",
        (long long)nWin, (long long)p->slideMs, (long long)p->slideMs, (long long)p->slideMs,
        (long long)p->slideMs, c->zView);
}

/* The EMIT FINAL statements of a HOP view: windows starting in [?1, ?2].
**
** Each window is the merge of size/slide panes. With invertible merges the
** windows of a group are one sliding frame over its panes in primary-key
** order: each pane enters and leaves the running state once and nothing is
** sorted, so a HOP(1 hour, 1 minute) view costs about what a TUMBLE(1 minute)
** does. A group gets an empty pane at each window start it has none (those
** panes are closed: no event can reach them), so that every window holding
** data has a row to be computed on. Otherwise (first/last) every window
** merges its panes. */
static char *hop_emit(plan_ctx *c, const char *zItems, const char *zMerged, const char *zHaving)
{
    const ksq_plan *p = c->plan;
    const char *V = c->zView;
    long long size = (long long)p->sizeMs, slide = (long long)p->slideMs;
    char *zFramed = windowed_cols(c);
    if (!zFramed) {
        return sqlite3_mprintf(
            "WITH RECURSIVE wins(ws) AS (SELECT ?1 UNION ALL SELECT ws + %lld FROM wins WHERE "
            "ws + %lld <= ?2) "
            "INSERT INTO \"%w\" SELECT %s FROM (SELECT s.gk AS gk, wins.ws AS ws, wins.ws + %lld "
            "AS we, %s FROM wins JOIN \"ksq_s_%w\" AS s ON s.pane >= wins.ws AND s.pane < "
            "wins.ws + %lld GROUP BY s.gk, wins.ws) AS _s WHERE %s",
            slide, slide, V, zItems, size, zMerged, V, size, zHaving);
    }
    char *zCols = state_cols(c, "");
    /* Empty panes: the group's values, no events, NULL partial states. */
    sqlite3_str *ph = sqlite3_str_new(NULL);
    sqlite3_str *gs = sqlite3_str_new(NULL);
    for (int g = 0; g < c->sel->nGroup; g++) {
        sqlite3_str_appendf(ph, "grp.g%d, ", g);
        sqlite3_str_appendf(gs, ", g%d", g);
    }
    sqlite3_str_appendall(ph, "0");
    for (int i = 0; i < c->sel->nAgg; i++) {
        for (int k = 0; k < agg_ncol(&c->sel->aAgg[i]); k++) sqlite3_str_appendall(ph, ", NULL");
    }
    char *zEmpty = sqlite3_str_finish(ph), *zGroupCols = sqlite3_str_finish(gs);
    char *z = sqlite3_mprintf(
        "WITH RECURSIVE wins(ws) AS (SELECT ?1 UNION ALL SELECT ws + %lld FROM wins WHERE "
        "ws + %lld <= ?2) "
        "INSERT OR IGNORE INTO \"ksq_s_%w\"(gk, pane, pend, %s) SELECT grp.gk, wins.ws, wins.ws + "
        "%lld, %s FROM (SELECT gk%s FROM \"ksq_s_%w\" WHERE pane >= ?1 AND pane < ?2 + %lld GROUP "
        "BY gk) AS grp, wins;\n"
        "INSERT INTO \"%w\" SELECT %s FROM (SELECT gk, pane AS ws, pane + %lld AS we, %s FROM "
        "\"ksq_s_%w\" WHERE +pane >= ?1 AND +pane < ?2 + %lld WINDOW w AS (PARTITION BY gk ORDER "
        "BY "
        "pane RANGE BETWEEN CURRENT ROW AND %lld FOLLOWING)) AS _s WHERE _s.ws >= ?1 AND "
        "_s.ws <= ?2 AND _s._n > 0 AND %s",
        slide, slide, V, zCols ? zCols : "", (long long)p->paneMs, zEmpty ? zEmpty : "",
        zGroupCols ? zGroupCols : "", V, size, V, zItems, size, zFramed, V, size, size - 1,
        zHaving);
    sqlite3_free(zFramed);
    sqlite3_free(zCols);
    sqlite3_free(zEmpty);
    sqlite3_free(zGroupCols);
    return z;
}

static int build_aggregate(plan_ctx *c)
{
    const ksq_select *sel = c->sel;
    ksq_plan *p = c->plan;
    const char *V = c->zView, *A = p->zStreamAlias;
    int rc = SQLITE_OK;
    p->kind = KSQ_VIEW_AGGREGATE;
    for (int i = 0; i < sel->nAgg; i++) p->nDistinct += sel->aAgg[i].distinct;
    int changes = p->emit == KSQ_EMIT_CHANGES;

    char *zItems = NULL, *zHaving = NULL;
    rc = final_select(c, changes, &zItems, &zHaving);
    if (rc) {
        sqlite3_free(zItems);
        sqlite3_free(zHaving);
        return rc;
    }
    /* EMIT CHANGES rows live in "ksq_r_v" with a key per window; the view's
    ** name is an SQL view over it without the key. */
    char *zTarget = changes ? sqlite3_mprintf("ksq_r_%s", V) : sqlite3_mprintf("%s", V);
    if (!zTarget) {
        sqlite3_free(zItems);
        sqlite3_free(zHaving);
        return SQLITE_NOMEM;
    }
    char *zCols = state_cols(c, ""), *zMerged = merged_cols(c, "s"), *zKey = group_key(c);
    char *zPartials = partial_cols(c, 0);
    sqlite3_str *s;

    /* State table: one row per (group key, pane); sessions use pane/pend as
    ** the session's start and end. */
    s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(
        s, "CREATE %sTABLE \"ksq_s_%w\"(gk TEXT NOT NULL, pane INTEGER NOT NULL, pend INTEGER",
        TEMP(p), V);
    for (int g = 0; g < sel->nGroup; g++) sqlite3_str_appendf(s, ", g%d", g);
    sqlite3_str_appendall(s, ", _n INTEGER");
    for (int i = 0; i < sel->nAgg; i++) {
        for (int k = 0; k < agg_ncol(&sel->aAgg[i]); k++)
            sqlite3_str_appendf(s, ", p%d%s", i, col_suffix(k));
    }
    sqlite3_str_appendall(
        s, ", dirty INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(gk, pane)) WITHOUT ROWID;\n");
    sqlite3_str_appendf(s, "CREATE INDEX \"ksq_s_%w_pane\" ON \"ksq_s_%w\"(%s);\n", V, V,
                        p->winKind == KSQ_WIN_SESSION ? "pend" : "pane");
    if (changes)
        sqlite3_str_appendf(
            s, "CREATE INDEX \"ksq_s_%w_dirty\" ON \"ksq_s_%w\"(dirty) WHERE dirty;\n", V, V);
    if (p->nDistinct) {
        sqlite3_str_appendf(s,
                            "CREATE %sTABLE \"ksq_d_%w\"(gk TEXT NOT NULL, pane INTEGER NOT NULL, "
                            "agg INTEGER NOT NULL, v, "
                            "PRIMARY KEY(gk, agg, pane, v)) WITHOUT ROWID;\n",
                            TEMP(p), V);
        sqlite3_str_appendf(s, "CREATE INDEX \"ksq_d_%w_pane\" ON \"ksq_d_%w\"(pane);\n", V, V);
    }
    p->zCreateState = sqlite3_str_finish(s);

    /* The view's table: the result columns, plus the row key for CHANGES. */
    s = sqlite3_str_new(NULL);
    char *zTable = result_table(c, zTarget, changes, changes);
    sqlite3_str_appendall(s, zTable ? zTable : "");
    sqlite3_free(zTable);
    /* Check the result expressions now, where errors can still name them. */
    sqlite3_str_appendf(
        s,
        "INSERT INTO \"%w\" SELECT %s%s FROM (SELECT gk, pane AS ws, pend AS we, %s FROM "
        "\"ksq_s_%w\") AS _s WHERE 0;\n",
        zTarget, zItems, changes ? ", NULL" : "", zCols, V);
    if (changes) {
        sqlite3_str_appendf(
            s,
            "CREATE UNIQUE INDEX \"%w_key\" ON \"%w\"(_ksq_key);\nCREATE %sVIEW \"%w\" AS SELECT ",
            zTarget, zTarget, TEMP(p), V);
        for (int k = 0; k < sel->nItem; k++) {
            sqlite3_str_appendf(s, "%sc%d AS \"%w\"", k ? ", " : "", k, sel->aItem[k].zName);
        }
        sqlite3_str_appendf(s, " FROM \"%w\";\n", zTarget);
    }
    p->zCreateResult = sqlite3_str_finish(s);

    const char *zResultTail = changes ? ", ksq_key(_s.gk, _s.ws)" : "";
    if (p->winKind == KSQ_WIN_SESSION) {
        /* Stage the batch's sessions (islands of events less than gap apart),
        ** then merge them with the open sessions of the same groups. */
        char *zInner = partial_cols(c, 1);
        s = sqlite3_str_new(NULL);
        sqlite3_str_appendf(s,
                            "INSERT INTO temp.\"ksq_n_%w\"(gk, pane, pend, %s, dirty) SELECT gk, "
                            "min(ev), max(ev) + %lld",
                            V, zCols, (long long)p->gapMs);
        for (int g = 0; g < sel->nGroup; g++) sqlite3_str_appendf(s, ", g%d", g);
        sqlite3_str_appendf(
            s,
            ", %s, 1 FROM (SELECT *, sum(brk) OVER (PARTITION BY gk ORDER BY ev, pt, off ROWS "
            "UNBOUNDED PRECEDING) AS isl FROM (SELECT *, CASE WHEN ev - lag(ev) OVER (PARTITION BY "
            "gk "
            "ORDER BY ev, pt, off) < %lld THEN 0 ELSE 1 END AS brk FROM (SELECT %s AS gk, "
            "\"%w\"._event_ms "
            "AS ev, \"%w\"._partition AS pt, \"%w\"._offset AS off",
            zInner, (long long)p->gapMs, zKey, A, A, A);
        for (int g = 0; g < sel->nGroup; g++)
            sqlite3_str_appendf(s, ", (%s) AS g%d", c->azGroup[g], g);
        for (int i = 0; i < sel->nAgg; i++) {
            if (sel->aAgg[i].distinct) continue;
            sqlite3_str_appendf(s, ", (%s) AS x%d", c->azArg[i] ? c->azArg[i] : "NULL", i);
            if (c->azFilter[i]) sqlite3_str_appendf(s, ", (%s) AS f%d", c->azFilter[i], i);
        }
        sqlite3_str_appendf(s, " FROM %s WHERE %s))) GROUP BY gk, isl", c->zFrom, c->zWhere);
        p->zFeed = sqlite3_str_finish(s);
        sqlite3_free(zInner);

        s = sqlite3_str_new(NULL);
        if (changes) {
            sqlite3_str_appendf(
                s,
                "DELETE FROM \"%w\" WHERE _ksq_key IN (SELECT ksq_key(gk, pane) FROM \"ksq_s_%w\" "
                "WHERE gk IN (SELECT gk FROM temp.\"ksq_n_%w\"));\n",
                zTarget, V, V);
        }
        sqlite3_str_appendf(
            s,
            "INSERT INTO temp.\"ksq_n_%w\"(gk, pane, pend, %s, dirty) SELECT gk, pane, pend, %s, 1 "
            "FROM \"ksq_s_%w\" WHERE gk IN (SELECT DISTINCT gk FROM temp.\"ksq_n_%w\");\n"
            "DELETE FROM \"ksq_s_%w\" WHERE gk IN (SELECT gk FROM temp.\"ksq_n_%w\")",
            V, zCols, zCols, V, V, V, V);
        p->zSessionMove = sqlite3_str_finish(s);

        char *zMergedN = merged_cols(c, "n");
        p->zSessionMerge =
            sqlite3_mprintf("INSERT INTO \"ksq_s_%w\"(gk, pane, pend, %s, dirty) SELECT n.gk, "
                            "min(n.pane), max(n.pend), %s, max(n.dirty) "
                            "FROM (SELECT *, sum(brk) OVER (PARTITION BY gk ORDER BY pane, pend "
                            "ROWS UNBOUNDED PRECEDING) AS isl "
                            "FROM (SELECT *, CASE WHEN pane < max(pend) OVER (PARTITION BY gk "
                            "ORDER BY pane, pend ROWS BETWEEN "
                            "UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM "
                            "temp.\"ksq_n_%w\")) AS n "
                            "GROUP BY n.gk, n.isl",
                            V, zCols, zMergedN, V);
        sqlite3_free(zMergedN);
        p->zSessionClear = sqlite3_mprintf("DELETE FROM temp.\"ksq_n_%w\"", V);
        p->zCreateTemp = sqlite3_mprintf(
            "CREATE TEMP TABLE IF NOT EXISTS \"ksq_n_%w\"(gk, pane, pend, %s, dirty)", V, zCols);

        char *zRow =
            sqlite3_mprintf("SELECT gk, pane AS ws, pend AS we, %s FROM \"ksq_s_%w\"", zCols, V);
        if (changes) {
            p->zChangesInsert = sqlite3_mprintf(
                "INSERT INTO \"%w\" SELECT %s%s FROM (%s WHERE dirty) AS _s WHERE %s", zTarget,
                zItems, zResultTail, zRow, zHaving);
            p->zChangesReset = sqlite3_mprintf("UPDATE \"ksq_s_%w\" SET dirty = 0 WHERE dirty", V);
        } else {
            p->zEmitFinal = sqlite3_mprintf(
                "INSERT INTO \"%w\" SELECT %s FROM (%s WHERE pend <= ?1) AS _s WHERE %s", V, zItems,
                zRow, zHaving);
        }
        sqlite3_free(zRow);
        p->zDeleteClosed = sqlite3_mprintf("DELETE FROM \"ksq_s_%w\" WHERE pend <= ?1", V);
        if (p->nDistinct) {
            p->zDeleteDistinct = sqlite3_mprintf(
                "DELETE FROM \"ksq_d_%w\" WHERE NOT EXISTS (SELECT 1 FROM \"ksq_s_%w\" AS s "
                "WHERE s.gk = \"ksq_d_%w\".gk AND \"ksq_d_%w\".pane >= s.pane AND "
                "\"ksq_d_%w\".pane < s.pend)",
                V, V, V, V, V);
        }
    } else {
        /* TUMBLE, HOP, or no window (one pane, 0, that never closes). */
        s = sqlite3_str_new(NULL);
        sqlite3_str_appendf(
            s, "INSERT INTO \"ksq_s_%w\"(gk, pane, pend, %s, dirty) SELECT %s, \"%w\"._pane, ", V,
            zCols, zKey, A);
        if (p->winKind == KSQ_WIN_NONE) {
            sqlite3_str_appendall(s, "NULL");
        } else {
            sqlite3_str_appendf(s, "\"%w\"._pane + %lld", A, (long long)p->paneMs);
        }
        for (int g = 0; g < sel->nGroup; g++) sqlite3_str_appendf(s, ", (%s)", c->azGroup[g]);
        sqlite3_str_appendf(s, ", %s, %d FROM %s WHERE %s GROUP BY ", zPartials, changes, c->zFrom,
                            c->zWhere);
        for (int g = 0; g < sel->nGroup; g++) sqlite3_str_appendf(s, "(%s), ", c->azGroup[g]);
        sqlite3_str_appendf(
            s, "\"%w\"._pane ON CONFLICT (gk, pane) DO UPDATE SET _n = _n + excluded._n", A);
        for (int i = 0; i < sel->nAgg; i++) {
            const ksq_agg_call *a = &sel->aAgg[i];
            for (int k = 0; k < agg_ncol(a); k++) {
                char *col = sqlite3_mprintf("p%d%s", i, col_suffix(k));
                char *comb = col ? combine_sql(a, col, c->azSep[i]) : NULL;
                sqlite3_str_appendf(s, ", %s = %s", col ? col : "?", comb ? comb : "NULL");
                sqlite3_free(col);
                sqlite3_free(comb);
            }
        }
        sqlite3_str_appendf(s, ", dirty = %d", changes);
        p->zFeed = sqlite3_str_finish(s);

        int64_t size = p->sizeMs;
        if (changes) {
            char *zAff = affected_cte(c);
            p->zChangesDelete = sqlite3_mprintf(
                "%sDELETE FROM \"%w\" WHERE _ksq_key IN (SELECT ksq_key(gk, ws) FROM aff)", zAff,
                zTarget);
            p->zChangesInsert = sqlite3_mprintf(
                "%sINSERT INTO \"%w\" SELECT %s%s FROM (SELECT s.gk AS gk, aff.ws AS ws, "
                "aff.ws + %lld AS we, %s FROM aff JOIN \"ksq_s_%w\" AS s ON s.gk = aff.gk "
                "AND s.pane >= aff.ws AND s.pane < aff.ws + %lld GROUP BY s.gk, aff.ws) AS _s "
                "WHERE %s",
                zAff, zTarget, zItems, zResultTail, (long long)size, zMerged, V, (long long)size,
                zHaving);
            p->zChangesReset = sqlite3_mprintf("UPDATE \"ksq_s_%w\" SET dirty = 0 WHERE dirty", V);
            sqlite3_free(zAff);
        } else if (p->winKind == KSQ_WIN_TUMBLE) {
            p->zEmitFinal = sqlite3_mprintf(
                "INSERT INTO \"%w\" SELECT %s FROM (SELECT s.gk AS gk, s.pane AS ws, s.pane + %lld "
                "AS we, %s FROM \"ksq_s_%w\" AS s WHERE s.pane >= ?1 AND s.pane <= ?2 GROUP BY "
                "s.gk, s.pane) AS _s WHERE %s",
                V, zItems, (long long)size, zMerged, V, zHaving);
        } else if (p->winKind == KSQ_WIN_HOP) {
            p->zEmitFinal = hop_emit(c, zItems, zMerged, zHaving);
        }
        p->zDeleteClosed = sqlite3_mprintf("DELETE FROM \"ksq_s_%w\" WHERE pane < ?1", V);
        if (p->nDistinct)
            p->zDeleteDistinct = sqlite3_mprintf("DELETE FROM \"ksq_d_%w\" WHERE pane < ?1", V);
    }
    if (p->nDistinct) p->zFeedDistinct = distinct_feed(c, zKey);
    p->zPaneRange = sqlite3_mprintf("SELECT min(pane), max(pane) FROM \"ksq_s_%w\"", V);
    p->zStateStats = sqlite3_mprintf("SELECT count(*), count(DISTINCT gk) FROM \"ksq_s_%w\"", V);

    sqlite3_free(zTarget);
    sqlite3_free(zItems);
    sqlite3_free(zHaving);
    sqlite3_free(zCols);
    sqlite3_free(zMerged);
    sqlite3_free(zKey);
    sqlite3_free(zPartials);
    if (!p->zCreateState || !p->zCreateResult || !p->zFeed || !p->zDeleteClosed || !p->zPaneRange ||
        !p->zStateStats || (changes && !p->zChangesInsert) ||
        (!changes && p->winKind != KSQ_WIN_NONE && !p->zEmitFinal))
        rc = SQLITE_NOMEM;
    return rc;
}

int ksq_plan_build(const char *zView, const ksq_select *sel, ksq_emit emit, int temp,
                   const ksq_plan_stream *stream, ksq_plan *plan, char **pzErr, int *pErrOff)
{
    memset(plan, 0, sizeof *plan);
    plan->temp = temp;
    *pErrOff = -1;
    plan_ctx c = {zView, sel,  &sel->toks, stream, plan,  NULL,   NULL,
                  NULL,  NULL, NULL,       NULL,   pzErr, pErrOff};
    const ksq_tokens *t = &sel->toks;
    int rc = rewrite_from(&c);
    if (rc) goto done;
    c.zWhere =
        sel->where.end > sel->where.start ? ksq_span_text(t, sel->where) : sqlite3_mprintf("1");
    if (sel->where.end > sel->where.start && c.zWhere) {
        char *w = sqlite3_mprintf("(%s)", c.zWhere);
        sqlite3_free(c.zWhere);
        c.zWhere = w;
    }
    c.azGroup = sqlite3_malloc64(sizeof(char *) * (size_t)(sel->nGroup + 1));
    size_t nAggBytes = sizeof(char *) * (size_t)(sel->nAgg + 1);
    c.azArg = sqlite3_malloc64(nAggBytes);
    c.azFilter = sqlite3_malloc64(nAggBytes);
    c.azSep = sqlite3_malloc64(nAggBytes);
    if (!c.zWhere || !c.azGroup || !c.azArg || !c.azFilter || !c.azSep) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    memset(c.azGroup, 0, sizeof(char *) * (size_t)(sel->nGroup + 1));
    memset(c.azArg, 0, nAggBytes);
    memset(c.azFilter, 0, nAggBytes);
    memset(c.azSep, 0, nAggBytes);
    for (int g = 0; g < sel->nGroup; g++) {
        c.azGroup[g] = ksq_span_text(t, sel->aGroup[g]);
        if (!c.azGroup[g]) rc = SQLITE_NOMEM;
    }
    for (int i = 0; i < sel->nAgg && !rc; i++) {
        const ksq_agg_call *a = &sel->aAgg[i];
        if (a->arg.end > a->arg.start) c.azArg[i] = ksq_span_text(t, a->arg);
        if (a->filter.end > a->filter.start) c.azFilter[i] = ksq_span_text(t, a->filter);
        if (a->sep.end > a->sep.start) c.azSep[i] = ksq_span_text(t, a->sep);
    }
    if (rc) goto done;

    /* The window: its time column must be the stream's event time. */
    plan->winKind = sel->winKind;
    plan->sizeMs = plan->slideMs = 1;
    if (sel->winKind != KSQ_WIN_NONE) {
        const char *zTime = stream->zTimeCol ? stream->zTimeCol : "_timestamp";
        int last = sel->winTime.end - 1;
        int ok = last >= sel->winTime.start && token_names(t, last, zTime) &&
                 (sel->winTime.end - sel->winTime.start == 1 || ksq_tok_is(t, last - 1, "."));
        if (!ok) {
            char *m = sqlite3_mprintf(
                "windows are on the stream's event time: use %s (stream %s%s)", zTime,
                stream->zName, stream->zTimeCol ? "" : " has no timestamp column");
            rc = plan_error(&c, sel->winTime.start, m ? m : "windows are on the event time");
            sqlite3_free(m);
            goto done;
        }
        if (sel->winKind == KSQ_WIN_SESSION) {
            plan->gapMs = sel->gapMs;
            plan->paneMs = 0;
        } else {
            plan->sizeMs = sel->sizeMs;
            plan->slideMs = sel->slideMs;
            plan->paneMs = gcd64(sel->sizeMs, sel->slideMs);
            if (plan->sizeMs % plan->slideMs != 0) {
                rc = plan_error(&c, sel->winTok, "HOP size must be a multiple of its slide");
                goto done;
            }
        }
    }
    int aggregate = sel->hasGroupBy || sel->nAgg > 0;
    if (emit == KSQ_EMIT_FINAL && sel->winKind == KSQ_WIN_NONE) {
        rc = plan_error(
            &c, -1,
            aggregate
                ? "EMIT FINAL needs a window (TUMBLE, HOP or SESSION) in GROUP BY; without one, "
                  "the view keeps one upserted row per group"
                : "EMIT FINAL needs a windowed GROUP BY; a filter view appends rows as they come");
        goto done;
    }
    plan->emit = emit ? emit : sel->winKind != KSQ_WIN_NONE ? KSQ_EMIT_FINAL : KSQ_EMIT_CHANGES;
    rc = aggregate ? build_aggregate(&c) : build_append(&c);

done:
    sqlite3_free(c.zFrom);
    sqlite3_free(c.zWhere);
    for (int g = 0; c.azGroup && g < sel->nGroup; g++) sqlite3_free(c.azGroup[g]);
    for (int i = 0; i < sel->nAgg; i++) {
        if (c.azArg) sqlite3_free(c.azArg[i]);
        if (c.azFilter) sqlite3_free(c.azFilter[i]);
        if (c.azSep) sqlite3_free(c.azSep[i]);
    }
    sqlite3_free(c.azGroup);
    sqlite3_free(c.azArg);
    sqlite3_free(c.azFilter);
    sqlite3_free(c.azSep);
    if (rc) ksq_plan_clear(plan);
    return rc;
}

void ksq_plan_clear(ksq_plan *plan)
{
    char **fields[] = {&plan->zStreamAlias,   &plan->zCreateResult,  &plan->zCreateState,
                       &plan->zCreateTemp,    &plan->zFeed,          &plan->zFeedDistinct,
                       &plan->zSessionMove,   &plan->zSessionMerge,  &plan->zSessionClear,
                       &plan->zChangesDelete, &plan->zChangesInsert, &plan->zChangesReset,
                       &plan->zEmitFinal,     &plan->zDeleteClosed,  &plan->zDeleteDistinct,
                       &plan->zPaneRange,     &plan->zStateStats};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) sqlite3_free(*fields[i]);
    memset(plan, 0, sizeof *plan);
}
