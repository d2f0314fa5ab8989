/*
** select.c — take a continuous view's SELECT apart.
**
**   SELECT city, window_start, count(*) AS n, avg(temperature) FILTER (WHERE temperature > 0)
**     FROM weather w JOIN regions r USING (city)
**    WHERE humidity > 50
**    GROUP BY city, HOP(ts, '1 hour', '1 minute')
**   HAVING count(*) > 10
**
** gives the items (with their result names), the FROM, WHERE and HAVING
** spans, the GROUP BY expressions, the window (kind, time column, sizes) and
** every aggregate call in the items and HAVING (function, DISTINCT,
** argument, FILTER condition). Expressions stay as token spans; SQLite
** checks them when the engine prepares the rewritten statements.
*/
#include "ksq_parse.h"

#include <string.h>
#include <strings.h>

typedef struct select_parser {
    ksq_select *p;
    ksq_tokens *t;
    char **pzErr;
    int *pErrOff;
} select_parser;

static int error_at(select_parser *sp, int tok, const char *zMsg)
{
    *sp->pzErr = sqlite3_mprintf("%s", zMsg);
    if (tok >= sp->t->n) tok = sp->t->n - 1;
    *sp->pErrOff = tok >= 0 ? sp->t->a[tok].off : 0;
    return SQLITE_ERROR;
}

const char *ksq_agg_name(ksq_agg_fn fn)
{
    static const char *const names[] = {
        "",        "count",       "count",      "sum",          "total",
        "avg",     "min",         "max",        "group_concat", "var_samp",
        "var_pop", "stddev_samp", "stddev_pop", "first",        "last"};
    return fn >= 1 && fn <= KSQ_AGG_LAST ? names[fn] : "?";
}

/* The aggregate a function name denotes (for nArg arguments), or 0. */
static ksq_agg_fn agg_from_name(const char *z, int n, int nArg)
{
    static const struct {
        const char *name;
        ksq_agg_fn fn;
    } names[] = {
        {"count", KSQ_AGG_COUNT},
        {"sum", KSQ_AGG_SUM},
        {"total", KSQ_AGG_TOTAL},
        {"avg", KSQ_AGG_AVG},
        {"min", KSQ_AGG_MIN},
        {"max", KSQ_AGG_MAX},
        {"group_concat", KSQ_AGG_GROUP_CONCAT},
        {"variance", KSQ_AGG_VAR_SAMP},
        {"var_samp", KSQ_AGG_VAR_SAMP},
        {"var_pop", KSQ_AGG_VAR_POP},
        {"stddev", KSQ_AGG_STDDEV_SAMP},
        {"stddev_samp", KSQ_AGG_STDDEV_SAMP},
        {"stddev_pop", KSQ_AGG_STDDEV_POP},
        {"first", KSQ_AGG_FIRST},
        {"last", KSQ_AGG_LAST},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((int)strlen(names[i].name) != n || strncasecmp(names[i].name, z, (size_t)n) != 0)
            continue;
        ksq_agg_fn fn = names[i].fn;
        /* min(a, b) and max(a, b) are SQLite's scalar functions */
        if ((fn == KSQ_AGG_MIN || fn == KSQ_AGG_MAX) && nArg != 1) return 0;
        return fn;
    }
    return 0;
}

/* Split tokens [span) at depth-0 commas into spans; returns the count. */
static int split_commas(const ksq_tokens *t, ksq_span span, ksq_span *aOut, int nMax)
{
    int n = 0, depth = 0, start = span.start;
    for (int i = span.start; i < span.end; i++) {
        if (ksq_tok_is(t, i, "(")) depth++;
        if (ksq_tok_is(t, i, ")")) depth--;
        if (depth == 0 && ksq_tok_is(t, i, ",")) {
            if (n < nMax) aOut[n] = (ksq_span){start, i};
            n++;
            start = i + 1;
        }
    }
    if (n < nMax) aOut[n] = (ksq_span){start, span.end};
    return n + 1;
}

static int add_agg(select_parser *sp, const ksq_agg_call *c)
{
    ksq_select *p = sp->p;
    ksq_agg_call *a = sqlite3_realloc64(p->aAgg, sizeof(ksq_agg_call) * (size_t)(p->nAgg + 1));
    if (!a) return SQLITE_NOMEM;
    p->aAgg = a;
    a[p->nAgg++] = *c;
    return SQLITE_OK;
}

static int find_aggs(select_parser *sp, ksq_span span, int inAgg);

/* An aggregate call at token i (its name); sets *pNext past the call. */
static int parse_agg_call(select_parser *sp, int i, ksq_agg_fn fnHint, int *pNext)
{
    const ksq_tokens *t = sp->t;
    ksq_agg_call c;
    memset(&c, 0, sizeof c);
    int close = ksq_tok_match_paren(t, i + 1);
    if (close < 0) return error_at(sp, i, "unbalanced parentheses");
    ksq_span args = {i + 2, close};
    if (ksq_tok_is(t, args.start, "DISTINCT")) {
        c.distinct = 1;
        args.start++;
    } else if (ksq_tok_is(t, args.start, "ALL")) {
        args.start++;
    }
    ksq_span parts[3];
    int nPart = args.start < args.end ? split_commas(t, args, parts, 3) : 0;
    c.fn = fnHint;
    if (c.fn == KSQ_AGG_COUNT && nPart == 1 && parts[0].end == parts[0].start + 1 &&
        ksq_tok_is(t, parts[0].start, "*")) {
        if (c.distinct) return error_at(sp, i, "count(DISTINCT *) is not valid");
        c.fn = KSQ_AGG_COUNT_STAR;
    } else {
        int maxArg = c.fn == KSQ_AGG_GROUP_CONCAT ? 2 : 1;
        if (nPart < 1 || nPart > maxArg) {
            char *m = sqlite3_mprintf("wrong number of arguments to %s()", ksq_agg_name(c.fn));
            int rc = error_at(sp, i, m ? m : "wrong number of arguments");
            sqlite3_free(m);
            return rc;
        }
        for (int k = 0; k < nPart; k++) {
            if (parts[k].start < parts[k].end) continue;
            char *m = sqlite3_mprintf("empty argument to %s()", ksq_agg_name(c.fn));
            int rc = error_at(sp, i, m ? m : "empty argument");
            sqlite3_free(m);
            return rc;
        }
        c.arg = parts[0];
        if (nPart == 2) c.sep = parts[1];
        if (c.distinct && c.fn >= KSQ_AGG_VAR_SAMP) {
            char *m = sqlite3_mprintf("DISTINCT is not supported in %s()", ksq_agg_name(c.fn));
            int rc = error_at(sp, i, m ? m : "DISTINCT is not supported here");
            sqlite3_free(m);
            return rc;
        }
        if (c.distinct && nPart == 2)
            return error_at(sp, i, "group_concat(DISTINCT x) takes no separator");
    }
    int end = close + 1;
    if (ksq_tok_is(t, end, "FILTER")) {
        int fclose = ksq_tok_is(t, end + 1, "(") ? ksq_tok_match_paren(t, end + 1) : -1;
        if (fclose < 0 || !ksq_tok_is(t, end + 2, "WHERE") || fclose <= end + 3)
            return error_at(sp, end, "expected FILTER (WHERE condition)");
        c.filter = (ksq_span){end + 3, fclose};
        end = fclose + 1;
    }
    if (ksq_tok_is(t, end, "OVER"))
        return error_at(sp, end,
                        "window functions (OVER) are not supported in continuous views; "
                        "use TUMBLE, HOP or SESSION in GROUP BY");
    c.call = (ksq_span){i, end};
    /* No aggregate inside an aggregate. */
    int rc = find_aggs(sp, args, 1);
    if (!rc && c.filter.end > c.filter.start) rc = find_aggs(sp, c.filter, 1);
    if (!rc) rc = add_agg(sp, &c);
    *pNext = end;
    return rc;
}

/* Find aggregate calls in a span (skipping subqueries). With inAgg, finding
** one is an error: aggregates do not nest. */
static int find_aggs(select_parser *sp, ksq_span span, int inAgg)
{
    const ksq_tokens *t = sp->t;
    for (int i = span.start; i < span.end;) {
        if (ksq_tok_is(t, i, "(") && ksq_tok_is(t, i + 1, "SELECT")) {
            int close = ksq_tok_match_paren(t, i);
            i = close < 0 ? span.end : close + 1;
            continue;
        }
        if (t->a[i].type == KSQ_TK_ID && ksq_tok_is(t, i + 1, "(") &&
            !(i > 0 && ksq_tok_is(t, i - 1, "."))) {
            int close = ksq_tok_match_paren(t, i + 1);
            if (close < 0) return error_at(sp, i, "unbalanced parentheses");
            ksq_span parts[3];
            int nArg = close > i + 2 ? split_commas(t, (ksq_span){i + 2, close}, parts, 3) : 0;
            ksq_agg_fn fn = agg_from_name(t->zSql + t->a[i].off, t->a[i].n, nArg);
            if (fn) {
                if (inAgg) return error_at(sp, i, "aggregate functions cannot be nested");
                int next = close + 1;
                int rc = parse_agg_call(sp, i, fn, &next);
                if (rc) return rc;
                i = next;
                continue;
            }
        }
        i++;
    }
    return SQLITE_OK;
}

/* A duration argument: '10 seconds' or INTERVAL '10' SECOND. */
static int parse_duration(select_parser *sp, ksq_span s, int64_t *pMs)
{
    const ksq_tokens *t = sp->t;
    char *z = NULL;
    int len = s.end - s.start;
    if (len == 1 && t->a[s.start].type == KSQ_TK_STRING) {
        z = ksq_tok_text(t, s.start);
    } else if (len >= 2 && ksq_tok_is(t, s.start, "INTERVAL") &&
               t->a[s.start + 1].type == KSQ_TK_STRING) {
        char *num = ksq_tok_text(t, s.start + 1);
        char *unit = len == 3 ? ksq_tok_text(t, s.start + 2) : sqlite3_mprintf("%s", "");
        z = num && unit && len <= 3 ? sqlite3_mprintf("%s %s", num, unit) : NULL;
        sqlite3_free(num);
        sqlite3_free(unit);
    }
    int ok = z && ksq_duration_parse(z, pMs) == 0;
    sqlite3_free(z);
    if (!ok) {
        return error_at(sp, s.start,
                        "expected a duration such as '10 seconds', '1 minute' or "
                        "INTERVAL '1' HOUR");
    }
    return SQLITE_OK;
}

/* A GROUP BY item that is TUMBLE(...), HOP(...) or SESSION(...). */
static int parse_window(select_parser *sp, ksq_span g, int *pIsWindow)
{
    const ksq_tokens *t = sp->t;
    ksq_select *p = sp->p;
    int kind = ksq_tok_is(t, g.start, "TUMBLE")    ? KSQ_WIN_TUMBLE
               : ksq_tok_is(t, g.start, "HOP")     ? KSQ_WIN_HOP
               : ksq_tok_is(t, g.start, "SESSION") ? KSQ_WIN_SESSION
                                                   : 0;
    *pIsWindow = 0;
    if (!kind || !ksq_tok_is(t, g.start + 1, "(")) return SQLITE_OK;
    int close = ksq_tok_match_paren(t, g.start + 1);
    if (close != g.end - 1)
        return error_at(sp, g.start, "a window must be a GROUP BY item of its own");
    if (p->winKind) return error_at(sp, g.start, "only one window per view");
    *pIsWindow = 1;
    ksq_span a[4];
    int n = split_commas(t, (ksq_span){g.start + 2, close}, a, 4);
    int want = kind == KSQ_WIN_HOP ? 3 : 2;
    if (n != want) {
        return error_at(sp, g.start,
                        kind == KSQ_WIN_HOP      ? "HOP takes (time, size, slide)"
                        : kind == KSQ_WIN_TUMBLE ? "TUMBLE takes (time, size)"
                                                 : "SESSION takes (time, gap)");
    }
    p->winKind = kind;
    p->winTok = g.start;
    p->winTime = a[0];
    int rc;
    if (kind == KSQ_WIN_SESSION) {
        rc = parse_duration(sp, a[1], &p->gapMs);
    } else {
        rc = parse_duration(sp, a[1], &p->sizeMs);
        p->slideMs = p->sizeMs;
        if (!rc && kind == KSQ_WIN_HOP) rc = parse_duration(sp, a[2], &p->slideMs);
        if (!rc && p->slideMs > p->sizeMs)
            return error_at(sp, a[2].start, "the slide of HOP cannot exceed its size");
    }
    return rc;
}

/* The result column name SQLite would give an item. */
static char *item_name(const ksq_tokens *t, ksq_span e)
{
    int n = e.end - e.start;
    if (n == 1 && t->a[e.start].type == KSQ_TK_ID) return ksq_tok_text(t, e.start);
    if ((n == 3 || n == 5) && t->a[e.end - 1].type == KSQ_TK_ID && ksq_tok_is(t, e.end - 2, ".")) {
        return ksq_tok_text(t, e.end - 1);
    }
    return ksq_span_text(t, e);
}

static int parse_items(select_parser *sp, ksq_span list)
{
    const ksq_tokens *t = sp->t;
    ksq_select *p = sp->p;
    int n = split_commas(t, list, NULL, 0);
    p->aItem = sqlite3_malloc64(sizeof(ksq_select_item) * (size_t)n);
    ksq_span *parts = sqlite3_malloc64(sizeof(ksq_span) * (size_t)n);
    if (!p->aItem || !parts) {
        sqlite3_free(parts);
        return SQLITE_NOMEM;
    }
    memset(p->aItem, 0, sizeof(ksq_select_item) * (size_t)n);
    split_commas(t, list, parts, n);
    int rc = SQLITE_OK;
    for (int k = 0; k < n && !rc; k++) {
        ksq_span e = parts[k];
        ksq_select_item *it = &p->aItem[k];
        p->nItem++;
        if (e.start >= e.end) {
            rc = error_at(sp, e.start, "empty result column");
            break;
        }
        char *zAlias = NULL;
        if (e.end - e.start >= 3 && ksq_tok_is(t, e.end - 2, "AS") &&
            t->a[e.end - 1].type == KSQ_TK_ID) {
            zAlias = ksq_tok_text(t, e.end - 1);
            e.end -= 2;
        } else if (e.end - e.start >= 2 && ksq_tok_is_name(t, e.end - 1)) {
            /* implicit alias: `expr name` where expr ends in a name, ')' or literal */
            int prev = e.end - 2;
            int type = t->a[prev].type;
            if ((type == KSQ_TK_ID && (ksq_tok_is_name(t, prev) || ksq_tok_is(t, prev, "END"))) ||
                ksq_tok_is(t, prev, ")") || type == KSQ_TK_STRING || type == KSQ_TK_NUMBER) {
                zAlias = ksq_tok_text(t, e.end - 1);
                e.end -= 1;
            }
        }
        it->expr = e;
        it->isStar = (e.end - e.start == 1 && ksq_tok_is(t, e.start, "*")) ||
                     (e.end - e.start == 3 && ksq_tok_is(t, e.end - 1, "*"));
        it->zName = zAlias ? zAlias : item_name(t, e);
        if (!it->zName) rc = SQLITE_NOMEM;
    }
    sqlite3_free(parts);
    return rc;
}

/* End of the clause that starts at token k: the next clause keyword. */
static int clause_end(int k, const int *aEnd, int nEnd, int n)
{
    int e = n;
    for (int j = 0; j < nEnd; j++) {
        if (aEnd[j] > k && aEnd[j] < e) e = aEnd[j];
    }
    return e;
}

void ksq_select_clear(ksq_select *p)
{
    for (int i = 0; i < p->nItem; i++) sqlite3_free(p->aItem[i].zName);
    sqlite3_free(p->aItem);
    sqlite3_free(p->aGroup);
    sqlite3_free(p->aAgg);
    ksq_tokens_free(&p->toks);
    sqlite3_free(p->zSql);
    memset(p, 0, sizeof *p);
}

int ksq_select_parse(const char *zSelect, ksq_select *p, char **pzErr, int *pErrOff)
{
    memset(p, 0, sizeof *p);
    p->zSql = sqlite3_mprintf("%s", zSelect);
    if (!p->zSql) return SQLITE_NOMEM;
    int rc = ksq_tokenize(p->zSql, &p->toks);
    if (rc) return rc;
    select_parser sp = {p, &p->toks, pzErr, pErrOff};
    const ksq_tokens *t = &p->toks;
    if (ksq_tok_is(t, 0, "WITH"))
        return error_at(&sp, 0, "WITH clauses are not supported in continuous views");
    if (!ksq_tok_is(t, 0, "SELECT")) return error_at(&sp, 0, "expected SELECT");
    if (ksq_tok_is(t, 1, "DISTINCT"))
        return error_at(&sp, 1,
                        "SELECT DISTINCT is not supported in continuous views; use GROUP BY");
    for (int i = 0; i < t->n; i++) {
        if (t->a[i].type == KSQ_TK_ILLEGAL) return error_at(&sp, i, "unrecognized token");
    }

    /* Clause keywords at depth 0. */
    int kFrom = -1, kWhere = -1, kGroup = -1, kHaving = -1, depth = 0;
    for (int i = 1; i < t->n; i++) {
        if (ksq_tok_is(t, i, "(")) depth++;
        if (ksq_tok_is(t, i, ")")) depth--;
        if (depth != 0) continue;
        if (ksq_tok_is(t, i, "FROM") && kFrom < 0)
            kFrom = i;
        else if (ksq_tok_is(t, i, "WHERE") && kFrom >= 0 && kWhere < 0 && kGroup < 0)
            kWhere = i;
        else if (ksq_tok_is(t, i, "GROUP") && ksq_tok_is(t, i + 1, "BY") && kGroup < 0)
            kGroup = i;
        else if (ksq_tok_is(t, i, "HAVING") && kHaving < 0)
            kHaving = i;
        else if (ksq_tok_is(t, i, "ORDER") || ksq_tok_is(t, i, "LIMIT"))
            return error_at(&sp, i,
                            "ORDER BY and LIMIT are not supported in continuous views; order "
                            "or limit when you query the view");
        else if (ksq_tok_is(t, i, "UNION") || ksq_tok_is(t, i, "INTERSECT") ||
                 ksq_tok_is(t, i, "EXCEPT"))
            return error_at(&sp, i, "compound SELECTs are not supported in continuous views");
        else if (ksq_tok_is(t, i, "WINDOW"))
            return error_at(&sp, i, "WINDOW clauses are not supported in continuous views");
        else if (ksq_tok_is(t, i, ";"))
            return error_at(&sp, i, "one statement expected");
    }
    if (depth != 0) return error_at(&sp, t->n - 1, "unbalanced parentheses");
    if (kFrom < 0) return error_at(&sp, t->n, "a continuous view needs FROM a stream");
    /* Clauses in SQL's order: each span ends where the next clause starts. */
    if (kGroup >= 0 && kGroup < kFrom) return error_at(&sp, kGroup, "GROUP BY before FROM");
    if (kHaving >= 0 && (kHaving < kFrom || kHaving < kWhere || kHaving < kGroup))
        return error_at(&sp, kHaving, "HAVING must come after FROM, WHERE and GROUP BY");
    int ends[] = {kWhere, kGroup, kHaving, t->n};
#define CLAUSE_END(k) clause_end((k), ends, (int)(sizeof ends / sizeof ends[0]), t->n)
    rc = parse_items(&sp, (ksq_span){1, kFrom});
    if (rc) return rc;
    p->from = (ksq_span){kFrom + 1, CLAUSE_END(kFrom)};
    if (p->from.start >= p->from.end) return error_at(&sp, kFrom, "FROM needs a stream");
    if (kWhere >= 0) {
        p->where = (ksq_span){kWhere + 1, CLAUSE_END(kWhere)};
        if (p->where.start >= p->where.end) return error_at(&sp, kWhere, "WHERE needs a condition");
    }
    if (kHaving >= 0) {
        p->having = (ksq_span){kHaving + 1, CLAUSE_END(kHaving)};
        if (p->having.start >= p->having.end)
            return error_at(&sp, kHaving, "HAVING needs a condition");
    }
    if (kGroup >= 0) {
        ksq_span list = {kGroup + 2, CLAUSE_END(kGroup + 1)};
        int n = split_commas(t, list, NULL, 0);
        ksq_span *parts = sqlite3_malloc64(sizeof(ksq_span) * (size_t)n);
        p->aGroup = sqlite3_malloc64(sizeof(ksq_span) * (size_t)n);
        if (!parts || !p->aGroup) {
            sqlite3_free(parts);
            return SQLITE_NOMEM;
        }
        split_commas(t, list, parts, n);
        p->hasGroupBy = 1;
        for (int k = 0; k < n && !rc; k++) {
            if (parts[k].start >= parts[k].end) {
                rc = error_at(&sp, parts[k].start, "empty GROUP BY item");
                break;
            }
            int isWindow;
            rc = parse_window(&sp, parts[k], &isWindow);
            if (!rc && !isWindow) {
                if (parts[k].end - parts[k].start == 1 &&
                    t->a[parts[k].start].type == KSQ_TK_NUMBER)
                    rc = error_at(&sp, parts[k].start,
                                  "GROUP BY by position is not supported in "
                                  "continuous views; name the expression");
                else
                    p->aGroup[p->nGroup++] = parts[k];
            }
        }
        sqlite3_free(parts);
        if (rc) return rc;
    }
#undef CLAUSE_END
    if (p->having.end > p->having.start && !p->hasGroupBy)
        return error_at(&sp, kHaving, "HAVING needs GROUP BY in a continuous view");

    /* Aggregates: in the items and HAVING, never in WHERE or GROUP BY. */
    for (int k = 0; k < p->nItem && !rc; k++) rc = find_aggs(&sp, p->aItem[k].expr, 0);
    if (!rc && p->having.end > p->having.start) rc = find_aggs(&sp, p->having, 0);
    if (rc) return rc;
    int nAgg = p->nAgg;
    if (p->where.end > p->where.start) rc = find_aggs(&sp, p->where, 0);
    if (!rc && p->nAgg > nAgg)
        return error_at(&sp, p->aAgg[nAgg].call.start,
                        "aggregate functions are not allowed in WHERE");
    for (int k = 0; k < p->nGroup && !rc; k++) rc = find_aggs(&sp, p->aGroup[k], 0);
    if (!rc && p->nAgg > nAgg)
        return error_at(&sp, p->aAgg[nAgg].call.start,
                        "aggregate functions are not allowed in GROUP BY");
    return rc;
}
