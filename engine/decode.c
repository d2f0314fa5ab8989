/*
** decode.c — one Kafka payload into typed column values.
**
**   ksq_decoder *dec;
**   ksq_decoder_new(&schema, &dec);
**   if (ksq_decode(dec, payload, len, mask, values) != SQLITE_OK)
**       puts(ksq_decoder_error(dec));     // e.g. column temperature: expected REAL, got "hot"
**
** Decoding is strict: a payload that is not a JSON object (or one CSV
** record), or a value that cannot be converted to its column's type, is an
** error. Missing values are NULL, except the event-time column, which must be
** present. The format backends live in decode_json.c and decode_csv.c; the
** conversions from text, shared by both, live here.
*/
#include "ksq_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ksq_decoder {
    const ksq_schema *schema; /* columns to decode (not owned) */
    ksq_json_state *json;     /* JSON backend state, created on first use */
    ksq_csv_state *csv;       /* CSV backend state, created on first use */
    char zErr[KSQ_ERRMAX];    /* what the last failed decode found wrong */
};

int ksq_decoder_new(const ksq_schema *schema, ksq_decoder **ppDec)
{
    ksq_decoder *dec = sqlite3_malloc(sizeof *dec);
    if (!dec) return SQLITE_NOMEM;
    memset(dec, 0, sizeof *dec);
    dec->schema = schema;
    *ppDec = dec;
    return SQLITE_OK;
}

void ksq_decoder_free(ksq_decoder *dec)
{
    if (!dec) return;
    ksq_json_state_free(dec->json);
    ksq_csv_state_free(dec->csv);
    sqlite3_free(dec);
}

const char *ksq_decoder_error(const ksq_decoder *dec)
{
    return dec->zErr;
}

/* Length of the valid UTF-8 sequence at z (at most n bytes), or 0 when the
** bytes there are not one (overlong forms and surrogates included). */
static int utf8_len(const unsigned char *z, size_t n)
{
    unsigned c = z[0];
    int len = c < 0x80             ? 1
              : (c & 0xE0) == 0xC0 ? 2
              : (c & 0xF0) == 0xE0 ? 3
              : (c & 0xF8) == 0xF0 ? 4
                                   : 0;
    if (len == 0 || (size_t)len > n) return 0;
    unsigned cp = len == 1 ? c : c & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((z[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (z[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Make an error message safe to store and print: control characters and
** bytes that are not valid UTF-8 (quoted from a bad payload, or a character
** cut by truncation) become '?', in place. Errors land in ksq_dead_letters
** and on terminals, where such bytes break readers and displays. */
static void message_clean(char *z)
{
    size_t n = strlen(z);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)z[i];
        int len = utf8_len((const unsigned char *)z + i, n - i);
        if (len == 0 || c < 0x20 || c == 0x7F) {
            z[i++] = '?';
        } else {
            i += (size_t)len;
        }
    }
}

int ksq_decode(ksq_decoder *dec, const void *payload, size_t len, uint64_t mask, ksq_value *aOut)
{
    const ksq_schema *schema = dec->schema;
    int rc;
    dec->zErr[0] = 0;
    for (int i = 0; i < schema->ncol; i++) aOut[i].type = SQLITE_NULL;
    if (!payload || len == 0) {
        snprintf(dec->zErr, sizeof dec->zErr, "empty payload");
        return SQLITE_MISMATCH;
    }
    if (schema->format == KSQ_FORMAT_CSV) {
        rc = ksq_csv_decode(&dec->csv, schema, payload, len, mask, aOut, dec->zErr,
                            sizeof dec->zErr);
    } else {
        rc = ksq_json_decode(&dec->json, schema, payload, len, mask, aOut, dec->zErr,
                             sizeof dec->zErr);
    }
    if (rc != SQLITE_OK) {
        message_clean(dec->zErr);
        return rc;
    }
    int ts = schema->ts_col;
    if (ts >= 0 && (mask >> (ts < 63 ? ts : 63) & 1) && aOut[ts].type == SQLITE_NULL) {
        snprintf(dec->zErr, sizeof dec->zErr, "event time column %s is missing",
                 schema->cols[ts].name);
        message_clean(dec->zErr); /* an inferred name may come from a CSV header */
        return SQLITE_MISMATCH;
    }
    return SQLITE_OK;
}

/* Print at most 40 bytes of a bad value, for error messages (cut before a
** UTF-8 continuation byte, so a character is not split). */
static void excerpt(char *out, size_t nOut, const char *z, int n)
{
    int m = n > 40 ? 40 : n;
    while (m < n && m > 0 && ((unsigned char)z[m] & 0xC0) == 0x80) m--;
    snprintf(out, nOut, "\"%.*s%s\"", m, z, n > 40 ? "..." : "");
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20) *p = '?';
    }
}

/* Parse z[0..n) as a whole integer (surrounding blanks allowed). Every
** byte must belong to the number: "12\0abc" is not 12. */
static int parse_int(const char *z, int n, sqlite3_int64 *pv)
{
    char buf[32];
    while (n > 0 && isspace((unsigned char)*z)) z++, n--;
    while (n > 0 && isspace((unsigned char)z[n - 1])) n--;
    if (n <= 0 || n >= (int)sizeof buf) return -1;
    memcpy(buf, z, (size_t)n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end == buf + n && errno == 0) {
        *pv = v;
        return 0;
    }
    /* "12.0" and "1e3" are integers too when they are integral (decimal
    ** only: strtod would also read hex, "inf" and "nan"). */
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)buf[i]) && !strchr("+-.eE", buf[i])) return -1;
    }
    double d = strtod(buf, &end);
    if (end == buf + n && isfinite(d) && d == floor(d) && fabs(d) < 9.2e18) {
        *pv = (sqlite3_int64)d;
        return 0;
    }
    return -1;
}

static int parse_real(const char *z, int n, double *pv)
{
    char buf[64];
    while (n > 0 && isspace((unsigned char)*z)) z++, n--;
    while (n > 0 && isspace((unsigned char)z[n - 1])) n--;
    if (n <= 0 || n >= (int)sizeof buf) return -1;
    memcpy(buf, z, (size_t)n);
    buf[n] = 0;
    /* strtod also reads "inf", "nan" and hex; only decimal numbers are data. */
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)buf[i]) && !strchr("+-.eE", buf[i])) return -1;
    }
    char *end;
    double v = strtod(buf, &end);
    if (*end != 0 || !isfinite(v)) return -1;
    *pv = v;
    return 0;
}

static int parse_bool(const char *z, int n, sqlite3_int64 *pv)
{
    static const struct {
        const char *s;
        int v;
    } words[] = {{"true", 1}, {"false", 0}, {"t", 1}, {"f", 0},  {"yes", 1},
                 {"no", 0},   {"1", 1},     {"0", 0}, {"on", 1}, {"off", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if ((int)strlen(words[i].s) == n && strncasecmp(words[i].s, z, (size_t)n) == 0) {
            *pv = words[i].v;
            return 0;
        }
    }
    return -1;
}

int ksq_convert_text(ksq_type type, const char *z, int n, ksq_value *pOut, char *zErr, size_t nErr)
{
    char ex[64];
    int64_t ms;
    switch (type) {
    case KSQ_TEXT:
    case KSQ_JSON:
        pOut->type = SQLITE_TEXT;
        pOut->u.z = z;
        pOut->n = n;
        return 0;
    case KSQ_INTEGER:
        if (parse_int(z, n, &pOut->u.i) == 0) {
            pOut->type = SQLITE_INTEGER;
            return 0;
        }
        break;
    case KSQ_REAL:
        if (parse_real(z, n, &pOut->u.r) == 0) {
            pOut->type = SQLITE_FLOAT;
            return 0;
        }
        break;
    case KSQ_BOOLEAN:
        if (parse_bool(z, n, &pOut->u.i) == 0) {
            pOut->type = SQLITE_INTEGER;
            return 0;
        }
        break;
    case KSQ_TIMESTAMP:
        if (ksq_time_parse(z, n, &ms) == 0) {
            pOut->type = SQLITE_INTEGER;
            pOut->u.i = ms;
            return 0;
        }
        break;
    }
    excerpt(ex, sizeof ex, z, n);
    snprintf(zErr, nErr, "expected %s, got %s", ksq_type_name(type), ex);
    pOut->type = SQLITE_NULL;
    return -1;
}
