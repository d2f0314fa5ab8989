/*
** decode_check.h — the properties the JSON and CSV fuzz targets check on
** every decoded message (engine/decode.c and its backends).
**
**   decode_check(&schema, payload, len, mask);
**
** Decodes the payload twice with one decoder and checks that:
**   - the result code is SQLITE_OK or SQLITE_MISMATCH (or SQLITE_NOMEM);
**   - a mismatch comes with a printable, valid UTF-8 error and success with
**     none (the error is stored in ksq_dead_letters and shown to users);
**   - columns outside the mask are NULL; TEXT values are readable for their
**     full length; REALs are finite; BOOLEANs are 0 or 1; TIMESTAMPs lie in
**     years 0000-9999; the event-time column is set on success;
**   - decoding the same payload again gives the same result.
*/
#ifndef KSQ_DECODE_CHECK_H
#define KSQ_DECODE_CHECK_H

#include <math.h>

#include "fuzz.h"

/* FNV-1a over bytes, to compare two decodes of one payload. */
static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* Check the decoded values of one message; returns a digest of them. */
static inline uint64_t decode_digest(const ksq_schema *s, uint64_t mask, int rc, const char *zErr,
                                     const ksq_value *v)
{
    uint64_t h = fnv(14695981039346656037ULL, &rc, sizeof rc);
    FUZZ_ASSERT(rc == SQLITE_OK || rc == SQLITE_MISMATCH || rc == SQLITE_NOMEM);
    if (rc == SQLITE_MISMATCH) {
        if (!fuzz_message_ok(zErr)) fprintf(stderr, "bad error message: \"%s\"\n", zErr);
        FUZZ_ASSERT(fuzz_message_ok(zErr));
        h = fnv(h, zErr, strlen(zErr));
    } else if (rc == SQLITE_OK) {
        FUZZ_ASSERT(zErr[0] == 0);
    }
    for (int i = 0; i < s->ncol; i++) {
        const ksq_column *c = &s->cols[i];
        int wanted = (int)(mask >> (i < 63 ? i : 63) & 1);
        h = fnv(h, &v[i].type, sizeof v[i].type);
        if (!wanted) FUZZ_ASSERT(v[i].type == SQLITE_NULL);
        switch (v[i].type) {
        case SQLITE_NULL: FUZZ_ASSERT(!(rc == SQLITE_OK && i == s->ts_col && wanted)); break;
        case SQLITE_INTEGER:
            FUZZ_ASSERT(c->type == KSQ_INTEGER || c->type == KSQ_BOOLEAN ||
                        c->type == KSQ_TIMESTAMP);
            if (c->type == KSQ_BOOLEAN) FUZZ_ASSERT(v[i].u.i == 0 || v[i].u.i == 1);
            if (c->type == KSQ_TIMESTAMP) {
                FUZZ_ASSERT(v[i].u.i >= -62167219200000LL && v[i].u.i <= 253402300799999LL);
            }
            h = fnv(h, &v[i].u.i, sizeof v[i].u.i);
            break;
        case SQLITE_FLOAT:
            FUZZ_ASSERT(c->type == KSQ_REAL && isfinite(v[i].u.r));
            h = fnv(h, &v[i].u.r, sizeof v[i].u.r);
            break;
        case SQLITE_TEXT:
            FUZZ_ASSERT(c->type == KSQ_TEXT || c->type == KSQ_JSON);
            FUZZ_ASSERT(v[i].u.z != NULL && v[i].n >= 0);
            h = fnv(h, v[i].u.z, (size_t)v[i].n); /* reads every byte: ASan checks them */
            break;
        default: FUZZ_ASSERT(!"a value type outside NULL, INTEGER, FLOAT, TEXT");
        }
    }
    return h;
}

/* Decode payload[0..len) with schema and mask, twice, checking each. */
static inline int decode_check(const ksq_schema *s, const void *payload, size_t len, uint64_t mask)
{
    ksq_decoder *dec;
    if (ksq_decoder_new(s, &dec) != SQLITE_OK) return SQLITE_NOMEM;
    ksq_value *v = malloc(sizeof(ksq_value) * (size_t)(s->ncol ? s->ncol : 1));
    if (!v) abort();
    int rc = ksq_decode(dec, payload, len, mask, v);
    uint64_t h1 = decode_digest(s, mask, rc, ksq_decoder_error(dec), v);
    if (getenv("KSQ_FUZZ_DEBUG") && rc) fprintf(stderr, "decode: %s\n", ksq_decoder_error(dec));
    int rc2 = ksq_decode(dec, payload, len, mask, v);
    uint64_t h2 = decode_digest(s, mask, rc2, ksq_decoder_error(dec), v);
    if (rc != SQLITE_NOMEM && rc2 != SQLITE_NOMEM) FUZZ_ASSERT(h1 == h2);
    free(v);
    ksq_decoder_free(dec);
    return rc;
}

/* A schema from a column list, or abort: the targets' schemas are fixed. */
static inline void schema_make(ksq_schema *s, const char *zCols, ksq_format format, char delim,
                               const char *zTs)
{
    char *zErr = NULL;
    memset(s, 0, sizeof *s);
    s->ts_col = -1;
    if (ksq_schema_parse(s, zCols, &zErr) != SQLITE_OK ||
        (zTs && ksq_schema_set_timestamp(s, zTs, &zErr) != SQLITE_OK)) {
        fprintf(stderr, "bad fuzz schema %s: %s\n", zCols, zErr ? zErr : "?");
        abort();
    }
    s->format = format;
    s->csv_delim = delim;
}

/* The decode mask chosen by a selector byte: every column, none but the
** event time, alternate columns, or everything but the first. */
static inline uint64_t mask_of(uint8_t sel)
{
    switch (sel & 3) {
    case 0: return ~0ULL;
    case 1: return 1ULL << 2;
    case 2: return 0x5555555555555555ULL;
    default: return ~1ULL;
    }
}

#endif /* KSQ_DECODE_CHECK_H */
