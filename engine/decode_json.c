/*
** decode_json.c — the JSON backend of decode.c (simdjson through json_dom.h).
**
**   {"city":"Berlin","ts":"2026-11-21T13:00:00Z","main":{"temp":3.5}}
**   columns 'city TEXT, ts TIMESTAMP, temp REAL PATH ''main.temp'''
**   -> 'Berlin', 1763730000000, 3.5
**
** The document is parsed once per message; each requested column is found by
** its path and converted to the column's type. Text points into the parsed
** document (kept until the next message) or into a per-column buffer.
** jansson only describes a malformed message (where it goes wrong).
*/
#include "json_dom.h"
#include "ksq_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksq_json_state {
    ksq_json_dom *dom; /* the parser and its current document (json_dom.cc) */
    int ncol;          /* number of entries in aBuf */
    char **aBuf;       /* per-column scratch text (numbers as text, JSON dumps) */
    size_t *aCap;      /* capacity of each aBuf entry */
};

void ksq_json_state_free(ksq_json_state *st)
{
    if (!st) return;
    ksq_json_dom_free(st->dom);
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
    st->dom = ksq_json_dom_new();
    st->aBuf = sqlite3_malloc64(sizeof(char *) * (size_t)ncol);
    st->aCap = sqlite3_malloc64(sizeof(size_t) * (size_t)ncol);
    if (st->aBuf) memset(st->aBuf, 0, sizeof(char *) * (size_t)ncol);
    if (!st->dom || !st->aBuf || !st->aCap) {
        ksq_json_state_free(st);
        return SQLITE_NOMEM;
    }
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

static const char *kind_name(ksq_json_kind kind)
{
    switch (kind) {
    case KSQ_JV_OBJECT: return "an object";
    case KSQ_JV_ARRAY: return "an array";
    case KSQ_JV_STRING: return "a string";
    case KSQ_JV_INT: return "an integer";
    case KSQ_JV_BIGINT: return "an integer above 2^63";
    case KSQ_JV_REAL: return "a number";
    case KSQ_JV_TRUE:
    case KSQ_JV_FALSE: return "a boolean";
    case KSQ_JV_NULL: return "null";
    }
    return "a value";
}

/* Column i's value as its compact JSON text (the value the last find
** returned). */
static int set_json_text(ksq_json_state *st, int i, ksq_value *out)
{
    size_t n;
    const char *z = ksq_json_dom_text(st->dom, &n);
    return z ? set_scratch(st, i, z, n, out) : SQLITE_NOMEM;
}

/* Convert one JSON value, the one the last find returned, to column c's
** type. Returns 0, -1 on a mismatch (message in zErr), or SQLITE_NOMEM. */
static int convert(ksq_json_state *st, int i, const ksq_column *c, const ksq_json_val *v,
                   ksq_value *out, char *zErr, size_t nErr)
{
    char buf[64];
    int64_t ms;
    switch (v->kind) {
    case KSQ_JV_STRING:
        if (c->type == KSQ_JSON) return set_json_text(st, i, out);
        if (memchr(v->z, 0, v->n)) {
            snprintf(zErr, nErr, "the string contains \\u0000");
            out->type = SQLITE_NULL;
            return -1;
        }
        return ksq_convert_text(c->type, v->z, (int)v->n, out, zErr, nErr);
    case KSQ_JV_INT:
        switch (c->type) {
        case KSQ_INTEGER: out->type = SQLITE_INTEGER, out->u.i = v->i; return 0;
        case KSQ_REAL: out->type = SQLITE_FLOAT, out->u.r = (double)v->i; return 0;
        case KSQ_BOOLEAN:
            if (v->i != 0 && v->i != 1) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = v->i;
            return 0;
        case KSQ_TIMESTAMP:
            if (ksq_time_from_int(v->i, &ms)) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = ms;
            return 0;
        case KSQ_TEXT:
        case KSQ_JSON: {
            int len = snprintf(buf, sizeof buf, "%lld", (long long)v->i);
            return set_scratch(st, i, buf, (size_t)len, out);
        }
        }
        break;
    case KSQ_JV_BIGINT:
        switch (c->type) {
        case KSQ_REAL: out->type = SQLITE_FLOAT, out->u.r = v->r; return 0;
        case KSQ_TEXT:
        case KSQ_JSON: return set_json_text(st, i, out); /* its exact digits */
        default: goto mismatch;
        }
    case KSQ_JV_REAL:
        switch (c->type) {
        case KSQ_REAL: out->type = SQLITE_FLOAT, out->u.r = v->r; return 0;
        case KSQ_INTEGER:
            if (v->r != floor(v->r) || fabs(v->r) >= 9.2e18) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = (sqlite3_int64)v->r;
            return 0;
        case KSQ_TIMESTAMP:
            if (ksq_time_from_double(v->r, &ms)) goto mismatch;
            out->type = SQLITE_INTEGER, out->u.i = ms;
            return 0;
        case KSQ_BOOLEAN: goto mismatch;
        case KSQ_TEXT:
        case KSQ_JSON: {
            int len = format_real(v->r, buf, sizeof buf);
            return set_scratch(st, i, buf, (size_t)len, out);
        }
        }
        break;
    case KSQ_JV_TRUE:
    case KSQ_JV_FALSE: {
        int b = v->kind == KSQ_JV_TRUE;
        switch (c->type) {
        case KSQ_BOOLEAN:
        case KSQ_INTEGER: out->type = SQLITE_INTEGER, out->u.i = b; return 0;
        case KSQ_TEXT:
        case KSQ_JSON: return set_scratch(st, i, b ? "true" : "false", b ? 4 : 5, out);
        default: goto mismatch;
        }
    }
    case KSQ_JV_NULL: out->type = SQLITE_NULL; return 0;
    case KSQ_JV_OBJECT:
    case KSQ_JV_ARRAY:
        if (c->type != KSQ_TEXT && c->type != KSQ_JSON) goto mismatch;
        return set_json_text(st, i, out);
    }
mismatch:
    snprintf(zErr, nErr, "expected %s, got %s", ksq_type_name(c->type), kind_name(v->kind));
    out->type = SQLITE_NULL;
    return -1;
}

/* Why a payload simdjson rejected is not JSON: jansson's description, which
** says where (line and column), or simdjson's when jansson accepts it. The
** slow path runs for malformed messages only. */
static void describe_invalid(const void *payload, size_t len, const char *zWhy, char *zErr,
                             size_t nErr)
{
    json_error_t jerr;
    json_t *doc = json_loadb(payload, len, JSON_DECODE_ANY, &jerr);
    if (doc) {
        json_decref(doc);
        snprintf(zErr, nErr, "not JSON: %s", zWhy);
    } else {
        snprintf(zErr, nErr, "not JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
    }
}

int ksq_json_decode(ksq_json_state **ppState, const ksq_schema *schema, const void *payload,
                    size_t len, uint64_t mask, ksq_value *aOut, char *zErr, size_t nErr)
{
    int rc = state_get(ppState, schema->ncol);
    if (rc) return rc;
    ksq_json_state *st = *ppState;
    const char *zWhy = "invalid";
    rc = ksq_json_dom_parse(st->dom, payload, len, &zWhy);
    if (rc == KSQ_JSON_DOM_NOMEM) return SQLITE_NOMEM;
    if (rc) {
        describe_invalid(payload, len, zWhy, zErr, nErr);
        return SQLITE_MISMATCH;
    }
    ksq_json_val root;
    ksq_json_dom_find(st->dom, NULL, 0, &root);
    if (root.kind != KSQ_JV_OBJECT) {
        snprintf(zErr, nErr, "not a JSON object but %s", kind_name(root.kind));
        return SQLITE_MISMATCH;
    }
    for (int i = 0; i < schema->ncol; i++) {
        if (!(mask >> (i < 63 ? i : 63) & 1)) continue;
        const ksq_column *c = &schema->cols[i];
        ksq_json_val v;
        if (!ksq_json_dom_find(st->dom, (const char *const *)c->segs, c->nseg, &v)) continue;
        char e[KSQ_ERRMAX];
        int r = convert(st, i, c, &v, &aOut[i], e, sizeof e);
        if (r == SQLITE_NOMEM) return r;
        if (r && rc == SQLITE_OK) {
            snprintf(zErr, nErr, "column %s: %s", c->name, e);
            rc = SQLITE_MISMATCH;
        }
    }
    return rc;
}
