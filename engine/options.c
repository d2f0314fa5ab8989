/*
** options.c — `key = value` option lists.
**
** Streams take options in two spellings that end up here:
**
**   CREATE VIRTUAL TABLE w USING kafka(topic='weather', 'fetch.min.bytes'=1);
**   CREATE STREAM w (...) WITH (topic = 'weather', 'sasl.password' = '${KAFKA_PASSWORD}');
**
** Unquoted keys are ksqlite's own (lower-cased); quoted keys are librdkafka
** properties kept verbatim. Values keep `${NAME}` references unexpanded, so
** what is stored in the database never holds a secret taken from the
** environment; ksq_options_expand() resolves them at connection time.
*/
#include "ksq_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Unquote a quoted token z[0..n): '..' (with '' escapes), ".." , `..`, [..].
** Returns a new string, or NULL on OOM. Bare tokens are copied trimmed. */
static char *unquote(const char *z, size_t n)
{
    while (n > 0 && isspace((unsigned char)z[0])) z++, n--;
    while (n > 0 && isspace((unsigned char)z[n - 1])) n--;
    char q = n >= 2 ? z[0] : 0;
    char close = q == '[' ? ']' : q;
    if ((q == '\'' || q == '"' || q == '`' || q == '[') && z[n - 1] == close) {
        char *out = sqlite3_malloc64(n);
        if (!out) return NULL;
        size_t j = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            out[j++] = z[i];
            if (z[i] == close && q != '[' && i + 2 < n && z[i + 1] == close) i++;
        }
        out[j] = 0;
        return out;
    }
    return sqlite3_mprintf("%.*s", (int)n, z);
}

/* Length of a quoted token starting at z (z[0] is the quote), or 0 when it
** is not terminated. */
static size_t quoted_len(const char *z)
{
    char q = z[0], close = q == '[' ? ']' : q;
    for (size_t i = 1; z[i]; i++) {
        if (z[i] == close) {
            if (q != '[' && z[i + 1] == close) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return 0;
}

int ksq_options_add(ksq_options *opts, const char *key, const char *value, int quoted)
{
    ksq_option *a = sqlite3_realloc64(opts->a, sizeof(ksq_option) * (size_t)(opts->n + 1));
    if (!a) return SQLITE_NOMEM;
    opts->a = a;
    ksq_option *o = &a[opts->n];
    o->key = sqlite3_mprintf("%s", key);
    o->value = sqlite3_mprintf("%s", value);
    o->quoted = quoted;
    if (!o->key || !o->value) {
        sqlite3_free(o->key);
        sqlite3_free(o->value);
        return SQLITE_NOMEM;
    }
    if (!quoted) {
        for (char *p = o->key; *p; p++) *p = (char)tolower((unsigned char)*p);
    }
    opts->n++;
    return SQLITE_OK;
}

int ksq_options_add_arg(ksq_options *opts, const char *zArg, char **pzErr)
{
    const char *p = zArg;
    while (isspace((unsigned char)*p)) p++;
    const char *k = p;
    size_t nk;
    int quoted = 0;
    if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
        nk = quoted_len(p);
        if (nk == 0) goto syntax;
        quoted = 1;
    } else {
        while (isalnum((unsigned char)p[0]) || p[0] == '_' || p[0] == '.') p++;
        nk = (size_t)(p - k);
        if (nk == 0) goto syntax;
    }
    p = k + nk;
    while (isspace((unsigned char)*p)) p++;
    if (*p != '=') goto syntax;
    p++;
    while (isspace((unsigned char)*p)) p++;
    size_t nv = strlen(p);
    if (nv == 0) goto syntax;
    if ((*p == '\'' || *p == '"') && quoted_len(p) != nv) goto syntax;
    char *key = unquote(k, nk);
    char *value = unquote(p, nv);
    int rc = key && value ? ksq_options_add(opts, key, value, quoted) : SQLITE_NOMEM;
    sqlite3_free(key);
    sqlite3_free(value);
    return rc;
syntax:
    *pzErr = sqlite3_mprintf("bad option \"%s\": expected key = 'value'", zArg);
    return SQLITE_ERROR;
}

const char *ksq_options_get(const ksq_options *opts, const char *key)
{
    for (int i = opts->n - 1; i >= 0; i--) {
        if (strcasecmp(opts->a[i].key, key) == 0) return opts->a[i].value;
    }
    return NULL;
}

void ksq_options_clear(ksq_options *opts)
{
    for (int i = 0; i < opts->n; i++) {
        sqlite3_free(opts->a[i].key);
        sqlite3_free(opts->a[i].value);
    }
    sqlite3_free(opts->a);
    opts->a = NULL;
    opts->n = 0;
}

char *ksq_options_expand(const char *zValue, const char *zKey, char **pzErr)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    const char *p = zValue;
    while (*p) {
        if (p[0] == '$' && p[1] == '{') {
            const char *name = p + 2, *q = name;
            while (isalnum((unsigned char)*q) || *q == '_') q++;
            if (*q == '}' && q > name) {
                char *zName = sqlite3_mprintf("%.*s", (int)(q - name), name);
                const char *env = zName ? getenv(zName) : NULL;
                if (!env) {
                    *pzErr = sqlite3_mprintf("environment variable %s is not set (used by option "
                                             "'%s')",
                                             zName ? zName : "?", zKey);
                    sqlite3_free(zName);
                    sqlite3_free(sqlite3_str_finish(s));
                    return NULL;
                }
                sqlite3_free(zName);
                sqlite3_str_appendall(s, env);
                p = q + 1;
                continue;
            }
        }
        sqlite3_str_appendchar(s, 1, *p);
        p++;
    }
    char *out = sqlite3_str_finish(s);
    if (!out) {
        out = sqlite3_malloc(1);
        if (out) out[0] = 0;
    }
    return out;
}

int ksq_option_is_secret(const char *key)
{
    static const char *const marks[] = {
        "password", "secret", "token", "jaas", "ssl.key.", "oauthbearer.config", "credential"};
    char low[128];
    size_t i;
    for (i = 0; key[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)key[i]);
    low[i] = 0;
    for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (strstr(low, marks[i])) return 1;
    }
    return 0;
}
