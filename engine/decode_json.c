/*
** decode_json.c — the JSON backend of decode.c (jansson).
**
**   {"city":"Berlin","ts":"2026-11-21T13:00:00Z","main":{"temp":3.5}}
**   columns 'city TEXT, ts TIMESTAMP, temp REAL PATH ''main.temp'''
**   -> 'Berlin', 1763730000000, 3.5
**
** The document is parsed once per message; each requested column is found by
** its path and converted to the column's type. Text points into the parsed
** document (kept until the next message) or into a per-column buffer.
*/
#include "ksq_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksq_json_state {
    json_t *root;         /* the last parsed document, released on the next decode */
    ksq_json_arena arena; /* where root's memory comes from (json_alloc.c) */
    int ncol;             /* number of entries in aBuf */
    char **aBuf;          /* per-column scratch text (numbers as text, JSON dumps) */
    size_t *aCap;         /* capacity of each aBuf entry */
};

void ksq_json_state_free(ksq_json_state *st)
{
    if (!st) return;
    ksq_json_arena_free(&st->arena); /* root and all its nodes */
    for (int i = 0; i < st->ncol; i++) sqlite3_free(st->aBuf[i]);
    sqlite3_free(st->aBuf);
    sqlite3_free(st->aCap);
    sqlite3_free(st);
}

static int state_get(ksq_json_state **ppState, int ncol)
{
    ksq_json_state *st = *ppState;
    if (st) return SQLITE_OK;
    st = sqlite3_malloc(sizeof *st);
    if (!st) return SQLITE_NOMEM;
    memset(st, 0, sizeof *st);
    st->aBuf = sqlite3_malloc64(sizeof(char *) * (size_t)ncol);
    st->aCap = sqlite3_malloc64(sizeof(size_t) * (size_t)ncol);
    if (!st->aBuf || !st->aCap) {
        ksq_json_state_free(st);
        return SQLITE_NOMEM;
    }
    memset(st->aBuf, 0, sizeof(char *) * (size_t)ncol);
    memset(st->aCap, 0, sizeof(size_t) * (size_t)ncol);
    st->ncol = ncol;
    *ppState = st;
    return SQLITE_OK;
}

/* Store text in column i's scratch buffer and point v at it. */
static int set_scratch(ksq_json_state *st, int i, const char *z, size_t n, ksq_value *v)
{
    if (st->aCap[i] < n + 1) {
        size_t cap = n + 1 < 64 ? 64 : (n + 1) * 2;
        char *p = sqlite3_realloc64(st->aBuf[i], cap);
        if (!p) return SQLITE_NOMEM;
        st->aBuf[i] = p;
        st->aCap[i] = cap;
    }
    memcpy(st->aBuf[i], z, n);
    st->aBuf[i][n] = 0;
    v->type = SQLITE_TEXT;
    v->u.z = st->aBuf[i];
    v->n = (int)n;
    return SQLITE_OK;
}

/* Shortest "%.Ng" text of a double that reads back as the same value. */
static int format_real(double r, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%.15g", r);
    if (strtod(buf, NULL) != r) len = snprintf(buf, n, "%.17g", r);
    if (!strpbrk(buf, ".eEni")) len += snprintf(buf + len, n - (size_t)len, ".0");
    return len;
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Find the value at a column's path, or NULL. */
static json_t *lookup(json_t *root, const ksq_column *c)
{
    json_t *v = root;
    for (int s = 0; s < c->nseg && v; s++) {
        if (json_is_object(v)) {
            v = json_object_get(v, c->segs[s]);
        } else if (json_is_array(v)) {
            char *end;
            long idx = strtol(c->segs[s], &end, 10);
            v = (*end == 0 && idx >= 0) ? json_array_get(v, (size_t)idx) : NULL;
        } else {
            v = NULL;
        }
    }
    return v;
}

/* Convert one JSON value to column c's type. Returns 0, -1 on a mismatch
** (message in zErr), or SQLITE_NOMEM. */
static int convert(ksq_json_state *st, int i, const ksq_column *c, json_t *v, ksq_value *out,
                   char *zErr, size_t nErr)
{
    char buf[64];
    int64_t ms;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (c->type == KSQ_JSON) break;
        return ksq_convert_text(c->type, json_string_value(v), (int)json_string_length(v), out,
                                zErr, nErr);
    case JSON_INTEGER: {
        json_int_t n = json_integer_value(v);
        switch (c->type) {
        case KSQ_INTEGER: out->type = SQLITE_INTEGER, out->u.i = n; return 0;
        case KSQ_REAL: out->type = SQLITE_FLOAT, out->u.r = (double)n; return 0;
        case KSQ_BOOLEAN:
            if (n != 0 && n != 1) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = n;
            return 0;
        case KSQ_TIMESTAMP:
            if (ksq_time_from_int(n, &ms)) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = ms;
            return 0;
        case KSQ_TEXT:
        case KSQ_JSON: {
            int len = snprintf(buf, sizeof buf, "%lld", (long long)n);
            return set_scratch(st, i, buf, (size_t)len, out);
        }
        }
        break;
    }
    case JSON_REAL: {
        double r = json_real_value(v);
        switch (c->type) {
        case KSQ_REAL: out->type = SQLITE_FLOAT, out->u.r = r; return 0;
        case KSQ_INTEGER:
            if (r != floor(r) || fabs(r) >= 9.2e18) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = (sqlite3_int64)r;
            return 0;
        case KSQ_TIMESTAMP:
            if (ksq_time_from_double(r, &ms)) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = ms;
            return 0;
        case KSQ_BOOLEAN: goto mismatch;
        case KSQ_TEXT:
        case KSQ_JSON: {
            int len = format_real(r, buf, sizeof buf);
            return set_scratch(st, i, buf, (size_t)len, out);
        }
        }
        break;
    }
    case JSON_TRUE:
    case JSON_FALSE: {
        int b = json_is_true(v);
        switch (c->type) {
        case KSQ_BOOLEAN:
        case KSQ_INTEGER: out->type = SQLITE_INTEGER, out->u.i = b; return 0;
        case KSQ_TEXT:
        case KSQ_JSON: return set_scratch(st, i, b ? "true" : "false", b ? 4 : 5, out);
        default: goto mismatch;
        }
    }
    case JSON_NULL: out->type = SQLITE_NULL; return 0;
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (c->type != KSQ_TEXT && c->type != KSQ_JSON) goto mismatch;
        break;
    }
    /* Objects, arrays and JSON-typed columns: the value's compact JSON text. */
    {
        char *z = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!z) return SQLITE_NOMEM;
        int rc = set_scratch(st, i, z, strlen(z), out);
        free(z);
        return rc;
    }
mismatch:
    snprintf(zErr, nErr, "expected %s, got %s", ksq_type_name(c->type), kind_name(v));
    out->type = SQLITE_NULL;
    return -1;
}

int ksq_json_decode(ksq_json_state **ppState, const ksq_schema *schema, const void *payload,
                    size_t len, uint64_t mask, ksq_value *aOut, char *zErr, size_t nErr)
{
    int rc = state_get(ppState, schema->ncol);
    if (rc) return rc;
    ksq_json_state *st = *ppState;
    /* The document's memory comes from the state's arena: rewinding it
    ** releases the previous document whole, without walking it. */
    json_error_t jerr;
    st->root = NULL;
    ksq_json_arena_rewind(&st->arena);
    ksq_json_arena_begin(&st->arena);
    st->root = json_loadb(payload, len, 0, &jerr);
    ksq_json_arena_end();
    if (!st->root) {
        snprintf(zErr, nErr, "not JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        return SQLITE_MISMATCH;
    }
    if (!json_is_object(st->root)) {
        snprintf(zErr, nErr, "not a JSON object but %s", kind_name(st->root));
        return SQLITE_MISMATCH;
    }
    rc = SQLITE_OK;
    for (int i = 0; i < schema->ncol; i++) {
        if (!(mask >> (i < 63 ? i : 63) & 1)) continue;
        const ksq_column *c = &schema->cols[i];
        json_t *v = lookup(st->root, c);
        if (!v) continue;
        char e[KSQ_ERRMAX];
        int r = convert(st, i, c, v, &aOut[i], e, sizeof e);
        if (r == SQLITE_NOMEM) return r;
        if (r && rc == SQLITE_OK) {
            snprintf(zErr, nErr, "column %s: %s", c->name, e);
            rc = SQLITE_MISMATCH;
        }
    }
    return rc;
}
