/*
** decode_csv.c — the CSV backend of decode.c (libcsv).
**
**   Berlin,DE,2026-11-21T13:00:00Z,3.5     (one message = one RFC 4180 record)
**   columns 'city TEXT, country TEXT, ts TIMESTAMP, temp REAL'
**
** Fields map to columns by position (or by a column's PATH, a 1-based field
** number). An unquoted empty field is NULL; a quoted empty field ("") is
** the empty string. A message must hold exactly one record.
*/
#include "ksq_int.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

struct ksq_csv_state {
    struct csv_parser parser; /* libcsv parser, reused across messages */
    char *buf;                /* field bytes of the current record, each NUL-terminated */
    size_t nBuf, capBuf;      /* bytes used and allocated in buf */
    size_t *aOff;             /* offset of each field in buf, or (size_t)-1 for NULL */
    size_t *aLen;             /* length of each field */
    int nField, capField;     /* fields in the current record, and allocated */
    int nRecord;              /* records seen in the current message */
    int oom;                  /* an allocation failed in a callback */
};

void ksq_csv_state_free(ksq_csv_state *st)
{
    if (!st) return;
    csv_free(&st->parser);
    sqlite3_free(st->buf);
    sqlite3_free(st->aOff);
    sqlite3_free(st->aLen);
    sqlite3_free(st);
}

/* libcsv field callback: append the field to the record. */
static void on_field(void *z, size_t n, void *arg)
{
    ksq_csv_state *st = arg;
    if (st->oom || st->nRecord > 0) return; /* only the first record is kept */
    if (st->nField == st->capField) {
        int cap = st->capField ? st->capField * 2 : 16;
        size_t *off = sqlite3_realloc64(st->aOff, sizeof(size_t) * (size_t)cap);
        if (off) st->aOff = off;
        size_t *len = off ? sqlite3_realloc64(st->aLen, sizeof(size_t) * (size_t)cap) : NULL;
        if (!len) {
            st->oom = 1;
            return;
        }
        st->aLen = len;
        st->capField = cap;
    }
    if (!z) {
        st->aOff[st->nField] = (size_t)-1;
        st->aLen[st->nField++] = 0;
        return;
    }
    if (st->nBuf + n + 1 > st->capBuf) {
        size_t cap = (st->nBuf + n + 1) * 2;
        char *b = sqlite3_realloc64(st->buf, cap);
        if (!b) {
            st->oom = 1;
            return;
        }
        st->buf = b;
        st->capBuf = cap;
    }
    memcpy(st->buf + st->nBuf, z, n);
    st->buf[st->nBuf + n] = 0;
    st->aOff[st->nField] = st->nBuf;
    st->aLen[st->nField++] = n;
    st->nBuf += n + 1;
}

/* libcsv record callback. */
static void on_record(int c, void *arg)
{
    (void)c;
    ((ksq_csv_state *)arg)->nRecord++;
}

/* RFC 4180: spaces are part of a field; libcsv trims them unless told not to. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int parser_init(ksq_csv_state *st)
{
    if (csv_init(&st->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) return -1;
    csv_set_space_func(&st->parser, no_space);
    return 0;
}

static void parser_reset(ksq_csv_state *st)
{
    csv_free(&st->parser);
    if (parser_init(st) != 0) st->oom = 1;
}

/* Parse one message into st's fields. Returns SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_MISMATCH with a message. */
static int parse_record(ksq_csv_state *st, char delim, const void *payload, size_t len, char *zErr,
                        size_t nErr)
{
    st->nBuf = 0;
    st->nField = 0;
    st->nRecord = 0;
    st->oom = 0;
    csv_set_delim(&st->parser, (unsigned char)delim);
    size_t done = csv_parse(&st->parser, payload, len, on_field, on_record, st);
    int err = done != len ? csv_error(&st->parser) : CSV_SUCCESS;
    if (csv_fini(&st->parser, on_field, on_record, st) != 0 && err == CSV_SUCCESS) {
        err = csv_error(&st->parser);
    }
    if (err != CSV_SUCCESS) parser_reset(st); /* a failed parse may leave state behind */
    if (st->oom) return SQLITE_NOMEM;
    if (err != CSV_SUCCESS) {
        snprintf(zErr, nErr, "not a CSV record: %s", csv_strerror(err));
        return SQLITE_MISMATCH;
    }
    if (st->nRecord != 1) {
        snprintf(zErr, nErr, "message holds %d CSV records, expected 1", st->nRecord);
        return SQLITE_MISMATCH;
    }
    return SQLITE_OK;
}

static int state_get(ksq_csv_state **ppState)
{
    if (*ppState) return SQLITE_OK;
    ksq_csv_state *st = sqlite3_malloc(sizeof *st);
    if (!st) return SQLITE_NOMEM;
    memset(st, 0, sizeof *st);
    if (parser_init(st) != 0) {
        sqlite3_free(st);
        return SQLITE_NOMEM;
    }
    *ppState = st;
    return SQLITE_OK;
}

int ksq_csv_decode(ksq_csv_state **ppState, const ksq_schema *schema, const void *payload,
                   size_t len, uint64_t mask, ksq_value *aOut, char *zErr, size_t nErr)
{
    int rc = state_get(ppState);
    if (rc) return rc;
    ksq_csv_state *st = *ppState;
    rc = parse_record(st, schema->csv_delim ? schema->csv_delim : ',', payload, len, zErr, nErr);
    if (rc) return rc;
    for (int i = 0; i < schema->ncol; i++) {
        if (!(mask >> (i < 63 ? i : 63) & 1)) continue;
        const ksq_column *c = &schema->cols[i];
        if (c->field >= st->nField) {
            if (rc == SQLITE_OK) {
                snprintf(zErr, nErr, "CSV record has %d fields; column %s is field %d", st->nField,
                         c->name, c->field + 1);
                rc = SQLITE_MISMATCH;
            }
            continue;
        }
        if (st->aOff[c->field] == (size_t)-1) continue; /* NULL */
        char e[KSQ_ERRMAX];
        if (ksq_convert_text(c->type, st->buf + st->aOff[c->field], (int)st->aLen[c->field],
                             &aOut[i], e, sizeof e) &&
            rc == SQLITE_OK) {
            snprintf(zErr, nErr, "column %s: %s", c->name, e);
            rc = SQLITE_MISMATCH;
        }
    }
    return rc;
}

int ksq_csv_split(const void *payload, size_t len, char delim,
                  void (*xField)(void *arg, const char *z, size_t n, int isNull), void *arg)
{
    ksq_csv_state *st = NULL;
    char e[KSQ_ERRMAX];
    if (state_get(&st) != SQLITE_OK) return -1;
    int n = -1;
    if (parse_record(st, delim, payload, len, e, sizeof e) == SQLITE_OK) {
        n = st->nField;
        for (int i = 0; i < n; i++) {
            int isNull = st->aOff[i] == (size_t)-1;
            xField(arg, isNull ? "" : st->buf + st->aOff[i], st->aLen[i], isNull);
        }
    }
    ksq_csv_state_free(st);
    return n;
}
