/*
** sink_format.c — how a sink writes a row: Hive partition paths, CSV lines
** (RFC 4180, with libcsv) and JSON lines (jansson), as SQL functions the
** sink's capture statement calls on each emitted row.
**
**   ksq_hive_path('country', country, 'hour', strftime('%H', ts))
**       -> 'country=DE/hour=13'
**   ksq_csv_line(guard, v1, v2, ...)        -> '"Berlin, DE",4.5,,""'
**   ksq_json_line('city', v1, 'temp', v2)   -> '{"city":"Berlin","temp":4.5}'
**
** Hive escaping: bytes 0x00-0x1F and 0x7F and " # % ' * / : = ? \ { [ ] ^
** become %XX; NULL and '' become __HIVE_DEFAULT_PARTITION__. A component is
** always key=value with no '/', so no value can make a path leave the sink's
** root. A value whose escaped form would not fit a file name (over
** KSQ_HIVE_MAX_VALUE bytes) is cut there and ends with '~' and a hash of the
** whole value, so distinct values stay in distinct directories.
*/
#include "sink.h"

#include <csv.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIVE_DEFAULT "__HIVE_DEFAULT_PARTITION__"

static int hive_must_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

/* FNV-1a, 64 bits: names a long value's directory. */
static uint64_t fnv1a(const unsigned char *z, int n)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) h = (h ^ z[i]) * 1099511628211ULL;
    return h;
}

int ksq_hive_escape(sqlite3_str *out, const unsigned char *z, int n)
{
    if (!z || n == 0) {
        sqlite3_str_appendall(out, HIVE_DEFAULT);
        return 0;
    }
    int start = sqlite3_str_length(out), cut = 0;
    for (int i = 0; i < n; i++) {
        if (sqlite3_str_length(out) - start > KSQ_HIVE_MAX_VALUE) {
            cut = 1;
            break;
        }
        if (hive_must_escape(z[i])) {
            sqlite3_str_appendf(out, "%%%02X", z[i]);
        } else {
            sqlite3_str_appendchar(out, 1, (char)z[i]);
        }
    }
    if (cut) sqlite3_str_appendf(out, "~%016llx", (unsigned long long)fnv1a(z, n));
    return cut;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

int ksq_hive_unescape(const char *z, int n, char *out)
{
    int j = 0;
    for (int i = 0; i < n; i++) {
        if (z[i] == '%' && i + 2 < n && hex_value(z[i + 1]) >= 0 && hex_value(z[i + 2]) >= 0) {
            out[j++] = (char)(hex_value(z[i + 1]) * 16 + hex_value(z[i + 2]));
            i += 2;
        } else {
            out[j++] = z[i];
        }
    }
    return j;
}

/* ksq_hive_path(name1, value1, name2, value2, ...) */
static void fn_hive_path(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    for (int i = 0; i + 1 < argc; i += 2) {
        if (i) sqlite3_str_appendchar(s, 1, '/');
        sqlite3_str_appendall(s, (const char *)sqlite3_value_text(argv[i]));
        sqlite3_str_appendchar(s, 1, '=');
        sqlite3_value *v = argv[i + 1];
        const unsigned char *z =
            sqlite3_value_type(v) == SQLITE_NULL ? NULL : sqlite3_value_text(v);
        ksq_hive_escape(s, z, z ? sqlite3_value_bytes(v) : 0);
    }
    int n = sqlite3_str_length(s);
    char *z = sqlite3_str_finish(s);
    if (!z && n > 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, z ? z : "", n, z ? sqlite3_free : SQLITE_TRANSIENT);
}

/* Does a CSV field need quotes: a delimiter, quote, line break, leading or
** trailing blank, or nothing at all (the empty string, as opposed to NULL)? */
static int csv_needs_quotes(const char *z, int n)
{
    if (n == 0) return 1;
    if (z[0] == ' ' || z[0] == '\t' || z[n - 1] == ' ' || z[n - 1] == '\t') return 1;
    for (int i = 0; i < n; i++) {
        if (z[i] == ',' || z[i] == '"' || z[i] == '\n' || z[i] == '\r' || z[i] == 0) return 1;
    }
    return 0;
}

void ksq_csv_text(sqlite3_str *s, const char *z, int n, int formulaGuard)
{
    /* Spreadsheets run cells that start with = + - @ (or a tab or CR) as
    ** formulas: with the guard, such cells get a leading apostrophe. */
    int guard = formulaGuard && n > 0 && z[0] && strchr("=+-@\t\r", z[0]);
    if (!guard && !csv_needs_quotes(z, n)) {
        sqlite3_str_append(s, z, n);
        return;
    }
    /* libcsv writes the field quoted, doubling the quotes inside it. */
    size_t cap = (size_t)n * 2 + 6;
    char *buf = sqlite3_malloc64(cap + (size_t)n + 2);
    if (!buf) return;
    char *src = buf + cap; /* the text, with the guard's apostrophe */
    size_t len = 0;
    if (guard) src[len++] = '\'';
    memcpy(src + len, z, (size_t)n);
    len += (size_t)n;
    size_t w = csv_write(buf, cap, src, len);
    sqlite3_str_append(s, buf, (int)(w < cap ? w : cap));
    sqlite3_free(buf);
}

void ksq_csv_field(sqlite3_str *s, sqlite3_value *v, int formulaGuard)
{
    int type = sqlite3_value_type(v);
    if (type == SQLITE_NULL) return; /* an empty, unquoted field */
    const char *z =
        type == SQLITE_BLOB ? sqlite3_value_blob(v) : (const char *)sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if (!z) z = "";
    ksq_csv_text(s, z, n, formulaGuard && type == SQLITE_TEXT);
}

/* ksq_csv_line(guard, v1, v2, ...): one CSV record, without the line end. */
static void fn_csv_line(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int guard = sqlite3_value_int(argv[0]);
    sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    for (int i = 1; i < argc; i++) {
        if (i > 1) sqlite3_str_appendchar(s, 1, ',');
        ksq_csv_field(s, argv[i], guard);
    }
    int n = sqlite3_str_length(s);
    char *z = sqlite3_str_finish(s);
    if (!z && n > 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, z ? z : "", n, z ? sqlite3_free : SQLITE_TRANSIENT);
}

/* Length of the valid UTF-8 sequence at z (n bytes left), or 0. */
static int utf8_len(const unsigned char *z, int n)
{
    unsigned char c = z[0];
    int len;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || z[1] < lo || z[1] > hi) return 0;
    for (int k = 2; k < len; k++) {
        if ((z[k] & 0xC0) != 0x80) return 0;
    }
    return len;
}

/* Text as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static json_t *json_text(const char *z, int n)
{
    json_t *j = json_stringn(z, (size_t)n);
    if (j) return j;
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int i = 0; i < n;) {
        int len = utf8_len((const unsigned char *)z + i, n - i);
        if (len > 0) {
            sqlite3_str_append(s, z + i, len);
            i += len;
        } else {
            sqlite3_str_appendall(s, "\xef\xbf\xbd");
            i++;
        }
    }
    int m = sqlite3_str_length(s);
    char *fixed = sqlite3_str_finish(s);
    j = fixed ? json_stringn(fixed, (size_t)m) : NULL;
    sqlite3_free(fixed);
    return j;
}

/* Append z as a JSON string (jansson escapes it). */
static void json_append_string(sqlite3_str *s, const char *z, int n)
{
    json_t *j = json_text(z, n);
    char *enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (enc) {
        sqlite3_str_appendall(s, enc);
        free(enc);
    } else {
        sqlite3_str_appendall(s, "null");
    }
}

/* Append a value as JSON: integers and reals stay numbers (reals in their
** shortest form that reads back the same), NULL and non-finite reals are
** null, text is a string, a blob its hex digits as a string. */
static void json_append_value(sqlite3_str *s, sqlite3_value *v)
{
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: sqlite3_str_appendf(s, "%lld", sqlite3_value_int64(v)); break;
    case SQLITE_FLOAT: {
        double d = sqlite3_value_double(v);
        if (!isfinite(d)) {
            sqlite3_str_appendall(s, "null");
            break;
        }
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d) break;
        }
        /* keep it a real for readers: 3 -> 3.0 */
        if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
        sqlite3_str_appendall(s, buf);
        break;
    }
    case SQLITE_NULL: sqlite3_str_appendall(s, "null"); break;
    case SQLITE_BLOB: {
        int n = sqlite3_value_bytes(v);
        const unsigned char *b = sqlite3_value_blob(v);
        sqlite3_str_appendchar(s, 1, '"');
        for (int i = 0; i < n; i++) sqlite3_str_appendf(s, "%02x", b[i]);
        sqlite3_str_appendchar(s, 1, '"');
        break;
    }
    default:
        json_append_string(s, (const char *)sqlite3_value_text(v), sqlite3_value_bytes(v));
        break;
    }
}

/* Append the JSON object of names azName and values apVal, compact. */
static void json_append_object(sqlite3_str *s, int n, const char *const *azName,
                               sqlite3_value **apVal)
{
    sqlite3_str_appendchar(s, 1, '{');
    for (int i = 0; i < n; i++) {
        if (i) sqlite3_str_appendchar(s, 1, ',');
        const char *zName = azName[i] ? azName[i] : "";
        json_append_string(s, zName, (int)strlen(zName));
        sqlite3_str_appendchar(s, 1, ':');
        json_append_value(s, apVal[i]);
    }
    sqlite3_str_appendchar(s, 1, '}');
}

/* ksq_json_line(name1, v1, name2, v2, ...): one JSON object, compact. */
static void fn_json_line(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    sqlite3_str_appendchar(s, 1, '{');
    for (int i = 0; i + 1 < argc; i += 2) {
        if (i) sqlite3_str_appendchar(s, 1, ',');
        json_append_string(s, (const char *)sqlite3_value_text(argv[i]),
                           sqlite3_value_bytes(argv[i]));
        sqlite3_str_appendchar(s, 1, ':');
        json_append_value(s, argv[i + 1]);
    }
    sqlite3_str_appendchar(s, 1, '}');
    int n = sqlite3_str_length(s);
    char *z = sqlite3_str_finish(s);
    if (!z) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, z, n, sqlite3_free);
}

void ksq_json_row(sqlite3_str *s, sqlite3_stmt *st)
{
    int n = sqlite3_column_count(st);
    const char **azName = sqlite3_malloc64(sizeof(char *) * (size_t)(n + 1));
    sqlite3_value **apVal = sqlite3_malloc64(sizeof(sqlite3_value *) * (size_t)(n + 1));
    if (azName && apVal) {
        for (int i = 0; i < n; i++) {
            azName[i] = sqlite3_column_name(st, i);
            apVal[i] = sqlite3_column_value(st, i);
        }
        json_append_object(s, n, azName, apVal);
    }
    sqlite3_free(azName);
    sqlite3_free(apVal);
}

int ksq_sink_functions_register(sqlite3 *db)
{
    const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function(db, "ksq_hive_path", -1, det, 0, fn_hive_path, 0, 0);
    if (!rc) rc = sqlite3_create_function(db, "ksq_csv_line", -1, det, 0, fn_csv_line, 0, 0);
    if (!rc) rc = sqlite3_create_function(db, "ksq_json_line", -1, det, 0, fn_json_line, 0, 0);
    return rc;
}
