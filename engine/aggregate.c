/*
** aggregate.c — SQL functions behind incremental aggregation.
**
** Views keep one row of partial state per (group, pane). Simple aggregates
** (count, sum, total, min, max, group_concat) keep plain columns; the ones
** whose state is more than a number keep a blob, with four functions each:
**
**   partial  aggregate over raw events        ksq_var_partial(x)
**   combine  scalar, two states into one      ksq_var_combine(a, b)    (UPSERT)
**   merge    aggregate over states            ksq_var_merge(s)         (HOP panes, sessions);
**            also a window function whose inverse removes a state
**   final    scalar, state into the result    ksq_var_final(s, kind)
**
** sum/total/avg and the variances keep exact sums (exact.c), so results do
** not depend on how the stream was cut into batches.
** first/last keep the value with its (event time, partition, offset) and
** pick the smallest or largest; NULLs are skipped like other aggregates do.
**
** Also here: ksq_key(...), a canonical text key for a group's values;
** ksq_time(ms), epoch ms as 'YYYY-MM-DD HH:MM:SS.SSS'; and the ordinary
** aggregates stddev/variance (samp and pop) and first/last (in scan order),
** which SQLite lacks and batch queries want too.
*/
#include "exact.h"
#include "ksq_int.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ keys */

/* ksq_key(v1, v2, ...): one text that is equal exactly when the values are
** equal the way GROUP BY compares them (1 and 1.0 are the same group). */
static void fn_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    for (int i = 0; i < argc; i++) {
        sqlite3_value *v = argv[i];
        switch (sqlite3_value_type(v)) {
        case SQLITE_NULL: sqlite3_str_appendall(s, "n;"); break;
        case SQLITE_INTEGER: sqlite3_str_appendf(s, "i%lld;", sqlite3_value_int64(v)); break;
        case SQLITE_FLOAT: {
            double d = sqlite3_value_double(v);
            if (d == floor(d) && fabs(d) < 9.2e18) {
                sqlite3_str_appendf(s, "i%lld;", (long long)d);
            } else {
                char buf[40];
                snprintf(buf, sizeof buf, "%.17g", d);
                sqlite3_str_appendf(s, "r%s;", buf);
            }
            break;
        }
        default: {
            int n = sqlite3_value_bytes(v);
            const char *z = sqlite3_value_type(v) == SQLITE_BLOB
                                ? sqlite3_value_blob(v)
                                : (const char *)sqlite3_value_text(v);
            sqlite3_str_appendf(s, "%c%d:", sqlite3_value_type(v) == SQLITE_BLOB ? 'b' : 't', n);
            if (n > 0) sqlite3_str_append(s, z, n);
            break;
        }
        }
    }
    int n = sqlite3_str_length(s);
    char *z = sqlite3_str_finish(s);
    if (!z && n > 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, z ? z : "", n, z ? sqlite3_free : SQLITE_TRANSIENT);
}

/* ksq_time(ms): epoch milliseconds as UTC text. */
static void fn_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
    char buf[KSQ_TIME_TEXT_LEN + 1];
    ksq_time_format(sqlite3_value_int64(argv[0]), buf);
    sqlite3_result_text(ctx, buf, KSQ_TIME_TEXT_LEN, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------------ sums */

/* State of sum/total/avg: the count, the exact integer sum of the integer
** values and how many were not integers, and the exact sum of all values as
** doubles. Every field can be subtracted, so sliding windows can drop a
** pane's state from a running sum (sum_unmerge). */
typedef struct sum_i128 {
    uint64_t lo; /* low 64 bits */
    int64_t hi;  /* high 64 bits, two's complement */
} sum_i128;      /* 128 bits, kept in words: SQLite's contexts are 8-byte aligned */

typedef struct sum_state {
    sqlite3_int64 count;   /* non-NULL values */
    sqlite3_int64 nNonInt; /* of them, values that were not integers */
    sum_i128 isum;         /* the exact sum of the integer values */
    ksq_xsum x;            /* the exact sum of all values as doubles */
} sum_state;

/* a += b (sign = 1) or a -= b (sign = -1), modulo 2^128. */
static void i128_add(sum_i128 *a, sum_i128 b, int sign)
{
    if (sign < 0) { /* two's complement negation */
        b.lo = ~b.lo + 1;
        b.hi = (int64_t)(~(uint64_t)b.hi + (b.lo == 0));
    }
    uint64_t lo = a->lo + b.lo;
    a->hi = (int64_t)((uint64_t)a->hi + (uint64_t)b.hi + (lo < a->lo));
    a->lo = lo;
}

static sum_i128 i128_from(sqlite3_int64 v)
{
    sum_i128 r = {(uint64_t)v, v < 0 ? -1 : 0};
    return r;
}

/* Does a fit in 64 bits? */
static int i128_fits(sum_i128 a)
{
    return (a.hi == 0 && a.lo <= (uint64_t)INT64_MAX) || (a.hi == -1 && a.lo > (uint64_t)INT64_MAX);
}

/* Serialized layout of an xsum: nParts (int32), hasSpecial (int32), the
** three special counts (int64) when hasSpecial, then the parts (double). */
#define XSUM_MAX_BYTES (8 + 3 * 8 + KSQ_XSUM_MAX * 8)

static void xsum_write(unsigned char **pp, const ksq_xsum *x)
{
    int32_t head[2] = {x->n, ksq_xsum_special(x)};
    memcpy(*pp, head, 8), *pp += 8;
    if (head[1]) {
        int64_t sp[3] = {x->nPosInf, x->nNegInf, x->nNaN};
        memcpy(*pp, sp, 24), *pp += 24;
    }
    memcpy(*pp, x->p, (size_t)x->n * 8), *pp += (size_t)x->n * 8;
}

static int xsum_read(const unsigned char **pp, const unsigned char *end, ksq_xsum *x)
{
    int32_t head[2];
    if (end - *pp < 8) return -1;
    memcpy(head, *pp, 8), *pp += 8;
    x->nPosInf = x->nNegInf = x->nNaN = 0;
    if (head[1]) {
        int64_t sp[3];
        if (end - *pp < 24) return -1;
        memcpy(sp, *pp, 24), *pp += 24;
        x->nPosInf = sp[0], x->nNegInf = sp[1], x->nNaN = sp[2];
    }
    if (head[0] < 0 || head[0] > KSQ_XSUM_MAX || end - *pp < (ptrdiff_t)head[0] * 8) return -1;
    memcpy(x->p, *pp, (size_t)head[0] * 8), *pp += (size_t)head[0] * 8;
    x->n = head[0];
    return 0;
}

/* Layout of a sum state: count, nNonInt (int64), isum (lo, hi), the xsum. */
#define SUM_HEADER (2 * 8 + 16)

static void sum_result(sqlite3_context *ctx, const sum_state *s)
{
    unsigned char buf[SUM_HEADER + XSUM_MAX_BYTES], *p = buf;
    memcpy(p, &s->count, 8), p += 8;
    memcpy(p, &s->nNonInt, 8), p += 8;
    memcpy(p, &s->isum, 16), p += 16;
    xsum_write(&p, &s->x);
    sqlite3_result_blob(ctx, buf, (int)(p - buf), SQLITE_TRANSIENT);
}

/* Read a state blob; NULL or a malformed blob is the empty state. */
static sum_state sum_read(sqlite3_value *v)
{
    sum_state s;
    memset(&s, 0, sizeof s);
    if (sqlite3_value_type(v) != SQLITE_BLOB) return s;
    const unsigned char *p = sqlite3_value_blob(v), *end = p + sqlite3_value_bytes(v);
    if (end - p < SUM_HEADER) return s;
    sum_state r = s;
    memcpy(&r.count, p, 8), p += 8;
    memcpy(&r.nNonInt, p, 8), p += 8;
    memcpy(&r.isum, p, 16), p += 16;
    return xsum_read(&p, end, &r.x) == 0 ? r : s;
}

static void sum_add_value(sum_state *s, sqlite3_value *v)
{
    int t = sqlite3_value_numeric_type(v);
    if (t == SQLITE_NULL) return;
    s->count++;
    if (t == SQLITE_INTEGER) {
        sqlite3_int64 i = sqlite3_value_int64(v);
        i128_add(&s->isum, i128_from(i), 1);
        ksq_xsum_add(&s->x, (double)i);
    } else {
        s->nNonInt++;
        ksq_xsum_add(&s->x, sqlite3_value_double(v));
    }
}

static void sum_merge(sum_state *a, const sum_state *b)
{
    a->count += b->count;
    a->nNonInt += b->nNonInt;
    i128_add(&a->isum, b->isum, 1);
    ksq_xsum_merge(&a->x, &b->x);
}

/* a -= b: the inverse of sum_merge. */
static void sum_unmerge(sum_state *a, const sum_state *b)
{
    a->count -= b->count;
    a->nNonInt -= b->nNonInt;
    i128_add(&a->isum, b->isum, -1);
    ksq_xsum_unmerge(&a->x, &b->x);
}

static sum_state *sum_ctx(sqlite3_context *ctx)
{
    return sqlite3_aggregate_context(ctx, sizeof(sum_state)); /* zeroed: the empty state */
}

static void sum_partial_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sum_state *s = sum_ctx(ctx);
    if (s) sum_add_value(s, argv[0]);
}

static void sum_merge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sum_state *s = sum_ctx(ctx);
    sum_state b = sum_read(argv[0]);
    if (s) sum_merge(s, &b);
}

/* xInverse of ksq_sum_merge as a window function. */
static void sum_unmerge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sum_state *s = sum_ctx(ctx);
    sum_state b = sum_read(argv[0]);
    if (s) sum_unmerge(s, &b);
}

/* xFinal, and xValue as a window function (the state stays). */
static void sum_state_final(sqlite3_context *ctx)
{
    sum_state *s = sqlite3_aggregate_context(ctx, 0);
    sum_state empty;
    memset(&empty, 0, sizeof empty);
    sum_result(ctx, s ? s : &empty);
}

static void fn_sum_combine(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sum_state a = sum_read(argv[0]), b = sum_read(argv[1]);
    sum_merge(&a, &b);
    sum_result(ctx, &a);
}

enum { SUM_SUM = 0, SUM_TOTAL = 1, SUM_AVG = 2 };

/* ksq_sum_final(state, kind): kind 0 sum (NULL when empty, an integer when
** every value was), 1 total (0.0 when empty), 2 avg. */
static void fn_sum_final(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sum_state s = sum_read(argv[0]);
    int kind = sqlite3_value_int(argv[1]);
    double d = ksq_xsum_value(&s.x);
    if (kind == SUM_TOTAL) {
        sqlite3_result_double(ctx, d);
    } else if (s.count == 0) {
        return; /* NULL */
    } else if (kind == SUM_AVG) {
        sqlite3_result_double(ctx, d / (double)s.count);
    } else if (s.nNonInt == 0 && i128_fits(s.isum)) {
        sqlite3_result_int64(ctx, (sqlite3_int64)s.isum.lo);
    } else {
        sqlite3_result_double(ctx, d);
    }
}

/* ------------------------------------------------------------------ variance */

static void var_result(sqlite3_context *ctx, const ksq_xvar *v)
{
    unsigned char buf[8 + 2 * XSUM_MAX_BYTES], *p = buf;
    memcpy(p, &v->n, 8), p += 8;
    xsum_write(&p, &v->s1);
    xsum_write(&p, &v->s2);
    sqlite3_result_blob(ctx, buf, (int)(p - buf), SQLITE_TRANSIENT);
}

/* Read a state blob; NULL or a malformed blob is the empty state. */
static ksq_xvar var_read(sqlite3_value *v)
{
    ksq_xvar s, r;
    memset(&s, 0, sizeof s);
    if (sqlite3_value_type(v) != SQLITE_BLOB) return s;
    const unsigned char *p = sqlite3_value_blob(v), *end = p + sqlite3_value_bytes(v);
    if (end - p < 8) return s;
    memcpy(&r.n, p, 8), p += 8;
    if (xsum_read(&p, end, &r.s1) || xsum_read(&p, end, &r.s2)) return s;
    return r;
}

static void var_partial_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksq_xvar *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (s && sqlite3_value_type(argv[0]) != SQLITE_NULL)
        ksq_xvar_add(s, sqlite3_value_double(argv[0]));
}

static void var_merge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksq_xvar *s = sqlite3_aggregate_context(ctx, sizeof *s);
    ksq_xvar b = var_read(argv[0]);
    if (s) ksq_xvar_merge(s, &b);
}

/* xInverse of ksq_var_merge as a window function. */
static void var_unmerge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksq_xvar *s = sqlite3_aggregate_context(ctx, sizeof *s);
    ksq_xvar b = var_read(argv[0]);
    if (s) ksq_xvar_unmerge(s, &b);
}

/* xFinal, and xValue as a window function (the state stays). */
static void var_state_final(sqlite3_context *ctx)
{
    ksq_xvar *s = sqlite3_aggregate_context(ctx, 0);
    ksq_xvar empty;
    memset(&empty, 0, sizeof empty);
    var_result(ctx, s ? s : &empty);
}

static void fn_var_combine(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksq_xvar a = var_read(argv[0]), b = var_read(argv[1]);
    ksq_xvar_merge(&a, &b);
    var_result(ctx, &a);
}

enum { VAR_SAMP = 0, VAR_POP = 1, STDDEV_SAMP = 2, STDDEV_POP = 3 };

static void var_value(sqlite3_context *ctx, const ksq_xvar *s, int kind)
{
    double var;
    if (!ksq_xvar_value(s, kind == VAR_POP || kind == STDDEV_POP, &var)) return; /* NULL */
    sqlite3_result_double(ctx, kind >= STDDEV_SAMP ? sqrt(var) : var);
}

/* ksq_var_final(state, kind): kind 0 var_samp, 1 var_pop, 2 stddev_samp, 3 stddev_pop */
static void fn_var_final(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksq_xvar s = var_read(argv[0]);
    var_value(ctx, &s, sqlite3_value_int(argv[1]));
}

/* The ordinary aggregates: stddev(x) and friends over rows. */
static void var_plain_final(sqlite3_context *ctx)
{
    ksq_xvar *s = sqlite3_aggregate_context(ctx, 0);
    ksq_xvar empty;
    memset(&empty, 0, sizeof empty);
    var_value(ctx, s ? s : &empty, (int)(intptr_t)sqlite3_user_data(ctx));
}

/* ------------------------------------------------------------------ first / last */

/* A picked value and the event it came from. Layout of the state blob:
** int64 ts, int64 partition, int64 offset, int32 type, then the value. */
typedef struct pick_key {
    sqlite3_int64 ts, part, off;
} pick_key;

static int key_cmp(const pick_key *a, const pick_key *b)
{
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    if (a->part != b->part) return a->part < b->part ? -1 : 1;
    if (a->off != b->off) return a->off < b->off ? -1 : 1;
    return 0;
}

#define PICK_HEADER ((int)(sizeof(pick_key) + sizeof(int)))

typedef struct pick_agg {
    int has;             /* a value was picked */
    pick_key key;        /* its event */
    unsigned char *blob; /* the encoded state (sqlite3_malloc) */
    int nBlob;
} pick_agg;

/* Encode (key, value) into a fresh blob. */
static unsigned char *pick_encode(const pick_key *k, sqlite3_value *v, int *pn)
{
    int type = sqlite3_value_type(v);
    int nVal = type == SQLITE_INTEGER || type == SQLITE_FLOAT ? 8
               : type == SQLITE_NULL                          ? 0
                                                              : sqlite3_value_bytes(v);
    unsigned char *b = sqlite3_malloc(PICK_HEADER + nVal + 1);
    if (!b) return NULL;
    memcpy(b, k, sizeof *k);
    memcpy(b + sizeof *k, &type, sizeof type);
    unsigned char *p = b + PICK_HEADER;
    if (type == SQLITE_INTEGER) {
        sqlite3_int64 i = sqlite3_value_int64(v);
        memcpy(p, &i, 8);
    } else if (type == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        memcpy(p, &d, 8);
    } else if (type == SQLITE_TEXT) {
        memcpy(p, sqlite3_value_text(v), (size_t)nVal);
    } else if (type == SQLITE_BLOB && nVal > 0) {
        memcpy(p, sqlite3_value_blob(v), (size_t)nVal);
    }
    *pn = PICK_HEADER + nVal;
    return b;
}

/* Take a candidate; isLast picks the largest key, otherwise the smallest. */
static void pick_take(sqlite3_context *ctx, pick_agg *a, const pick_key *k,
                      const unsigned char *blob, int nBlob, sqlite3_value *v, int isLast)
{
    if (a->has) {
        int c = key_cmp(k, &a->key);
        if (isLast ? c <= 0 : c >= 0) return;
    }
    unsigned char *b;
    int n = nBlob;
    if (blob) {
        b = sqlite3_malloc(nBlob);
        if (b) memcpy(b, blob, (size_t)nBlob);
    } else {
        b = pick_encode(k, v, &n);
    }
    if (!b) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_free(a->blob);
    a->blob = b;
    a->nBlob = n;
    a->key = *k;
    a->has = 1;
}

/* ksq_pick_partial(x, ts, partition, offset): state of the first (or last) x */
static void pick_partial_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
    pick_agg *a = sqlite3_aggregate_context(ctx, sizeof *a);
    if (!a) return;
    pick_key k = {sqlite3_value_int64(argv[1]), sqlite3_value_int64(argv[2]),
                  sqlite3_value_int64(argv[3])};
    pick_take(ctx, a, &k, NULL, 0, argv[0], (int)(intptr_t)sqlite3_user_data(ctx));
}

static int pick_read_key(sqlite3_value *v, pick_key *k)
{
    if (sqlite3_value_type(v) != SQLITE_BLOB || sqlite3_value_bytes(v) < PICK_HEADER) return 0;
    memcpy(k, sqlite3_value_blob(v), sizeof *k);
    return 1;
}

/* ksq_pick_merge(state): the first (or last) of several states */
static void pick_merge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    pick_key k;
    if (!pick_read_key(argv[0], &k)) return;
    pick_agg *a = sqlite3_aggregate_context(ctx, sizeof *a);
    if (!a) return;
    pick_take(ctx, a, &k, sqlite3_value_blob(argv[0]), sqlite3_value_bytes(argv[0]), NULL,
              (int)(intptr_t)sqlite3_user_data(ctx));
}

static void pick_state_final(sqlite3_context *ctx)
{
    pick_agg *a = sqlite3_aggregate_context(ctx, 0);
    if (a && a->has) {
        sqlite3_result_blob(ctx, a->blob, a->nBlob, sqlite3_free);
        a->blob = NULL;
    }
}

/* ksq_first_combine(a, b) / ksq_last_combine(a, b) */
static void fn_pick_combine(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    pick_key ka, kb;
    int hasA = pick_read_key(argv[0], &ka), hasB = pick_read_key(argv[1], &kb);
    int isLast = (int)(intptr_t)sqlite3_user_data(ctx);
    sqlite3_value *win = NULL;
    if (hasA && hasB) {
        int c = key_cmp(&kb, &ka);
        win = (isLast ? c > 0 : c < 0) ? argv[1] : argv[0];
    } else {
        win = hasA ? argv[0] : hasB ? argv[1] : NULL;
    }
    if (win) sqlite3_result_value(ctx, win);
}

/* ksq_pick_value(state): the picked value */
static void fn_pick_value(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    pick_key k;
    if (!pick_read_key(argv[0], &k)) return;
    const unsigned char *b = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]) - PICK_HEADER, type;
    memcpy(&type, b + sizeof k, sizeof type);
    const unsigned char *p = b + PICK_HEADER;
    if (type == SQLITE_INTEGER && n == 8) {
        sqlite3_int64 i;
        memcpy(&i, p, 8);
        sqlite3_result_int64(ctx, i);
    } else if (type == SQLITE_FLOAT && n == 8) {
        double d;
        memcpy(&d, p, 8);
        sqlite3_result_double(ctx, d);
    } else if (type == SQLITE_TEXT) {
        sqlite3_result_text(ctx, (const char *)p, n, SQLITE_TRANSIENT);
    } else if (type == SQLITE_BLOB) {
        sqlite3_result_blob(ctx, p, n, SQLITE_TRANSIENT);
    }
}

/* first(x) / last(x) over rows, in scan order (NULLs skipped). */
typedef struct plain_pick {
    sqlite3_value *v; /* a copy of the picked value */
} plain_pick;

static void plain_pick_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
    plain_pick *a = sqlite3_aggregate_context(ctx, sizeof *a);
    if (!a) return;
    int isLast = (int)(intptr_t)sqlite3_user_data(ctx);
    if (a->v && !isLast) return;
    sqlite3_value_free(a->v);
    a->v = sqlite3_value_dup(argv[0]);
    if (!a->v) sqlite3_result_error_nomem(ctx);
}

static void plain_pick_final(sqlite3_context *ctx)
{
    plain_pick *a = sqlite3_aggregate_context(ctx, 0);
    if (a && a->v) {
        sqlite3_result_value(ctx, a->v);
        sqlite3_value_free(a->v);
        a->v = NULL;
    }
}

/* ------------------------------------------------------------------ registration */
int ksq_functions_register(sqlite3 *db)
{
    const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = SQLITE_OK;
#define FN(name, n, data, xFunc, xStep, xFinal)                                                    \
    if (!rc)                                                                                       \
    rc = sqlite3_create_function(db, name, n, det, (void *)(intptr_t)(data), xFunc, xStep, xFinal)
    FN("ksq_key", -1, 0, fn_key, 0, 0);
    FN("ksq_time", 1, 0, fn_time, 0, 0);
    FN("ksq_sum_partial", 1, 0, 0, sum_partial_step, sum_state_final);
    /* The merges are also window functions: sliding windows drop the
    ** oldest pane with the inverse (plan.c, HOP). */
    if (!rc)
        rc = sqlite3_create_window_function(db, "ksq_sum_merge", 1, det, 0, sum_merge_step,
                                            sum_state_final, sum_state_final, sum_unmerge_step, 0);
    if (!rc)
        rc = sqlite3_create_window_function(db, "ksq_var_merge", 1, det, 0, var_merge_step,
                                            var_state_final, var_state_final, var_unmerge_step, 0);
    FN("ksq_sum_combine", 2, 0, fn_sum_combine, 0, 0);
    FN("ksq_sum_final", 2, 0, fn_sum_final, 0, 0);
    FN("ksq_var_partial", 1, 0, 0, var_partial_step, var_state_final);
    FN("ksq_var_combine", 2, 0, fn_var_combine, 0, 0);
    FN("ksq_var_final", 2, 0, fn_var_final, 0, 0);
    FN("ksq_first_partial", 4, 0, 0, pick_partial_step, pick_state_final);
    FN("ksq_last_partial", 4, 1, 0, pick_partial_step, pick_state_final);
    FN("ksq_first_merge", 1, 0, 0, pick_merge_step, pick_state_final);
    FN("ksq_last_merge", 1, 1, 0, pick_merge_step, pick_state_final);
    FN("ksq_first_combine", 2, 0, fn_pick_combine, 0, 0);
    FN("ksq_last_combine", 2, 1, fn_pick_combine, 0, 0);
    FN("ksq_pick_value", 1, 0, fn_pick_value, 0, 0);
    FN("variance", 1, VAR_SAMP, 0, var_partial_step, var_plain_final);
    FN("var_samp", 1, VAR_SAMP, 0, var_partial_step, var_plain_final);
    FN("var_pop", 1, VAR_POP, 0, var_partial_step, var_plain_final);
    FN("stddev", 1, STDDEV_SAMP, 0, var_partial_step, var_plain_final);
    FN("stddev_samp", 1, STDDEV_SAMP, 0, var_partial_step, var_plain_final);
    FN("stddev_pop", 1, STDDEV_POP, 0, var_partial_step, var_plain_final);
    FN("first", 1, 0, 0, plain_pick_step, plain_pick_final);
    FN("last", 1, 1, 0, plain_pick_step, plain_pick_final);
#undef FN
    return rc;
}
