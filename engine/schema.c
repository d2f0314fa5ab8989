/*
** schema.c — the columns a stream decodes from each message.
**
**   ksq_schema_parse(&s, "city TEXT, ts TIMESTAMP, temp REAL PATH 'main.temp'", &zErr);
**
** A column is `name [TYPE] [PATH 'path']`. The type defaults to TEXT. For
** JSON the path is a dotted path into the document (default: the column's
** name; a numeric segment indexes an array); for CSV it is the 1-based field
** number (default: the column's position in the declaration).
*/
#include "ksq_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const hidden_names[] = {"_partition", "_offset", "_timestamp",
                                           "_key",       "_value",  "_error"};

const char *ksq_type_name(ksq_type t)
{
    switch (t) {
    case KSQ_TEXT: return "TEXT";
    case KSQ_INTEGER: return "INTEGER";
    case KSQ_REAL: return "REAL";
    case KSQ_BOOLEAN: return "BOOLEAN";
    case KSQ_TIMESTAMP: return "TIMESTAMP";
    case KSQ_JSON: return "JSON";
    }
    return "TEXT";
}

/* The type named z[0..n) (SQL spellings accepted), or 0. */
static ksq_type type_from_name(const char *z, size_t n)
{
    static const struct {
        const char *name;
        ksq_type t;
    } names[] = {
        {"TEXT", KSQ_TEXT},          {"VARCHAR", KSQ_TEXT},     {"STRING", KSQ_TEXT},
        {"CHAR", KSQ_TEXT},          {"INTEGER", KSQ_INTEGER},  {"INT", KSQ_INTEGER},
        {"BIGINT", KSQ_INTEGER},     {"SMALLINT", KSQ_INTEGER}, {"TINYINT", KSQ_INTEGER},
        {"LONG", KSQ_INTEGER},       {"REAL", KSQ_REAL},        {"DOUBLE", KSQ_REAL},
        {"FLOAT", KSQ_REAL},         {"NUMERIC", KSQ_REAL},     {"DECIMAL", KSQ_REAL},
        {"BOOLEAN", KSQ_BOOLEAN},    {"BOOL", KSQ_BOOLEAN},     {"TIMESTAMP", KSQ_TIMESTAMP},
        {"DATETIME", KSQ_TIMESTAMP}, {"JSON", KSQ_JSON},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == n && strncasecmp(names[i].name, z, n) == 0) return names[i].t;
    }
    return 0;
}

static void column_clear(ksq_column *c)
{
    sqlite3_free(c->name);
    sqlite3_free(c->path);
    sqlite3_free(c->segs);
    memset(c, 0, sizeof *c);
}

void ksq_schema_clear(ksq_schema *schema)
{
    for (int i = 0; i < schema->ncol; i++) column_clear(&schema->cols[i]);
    sqlite3_free(schema->cols);
    schema->cols = NULL;
    schema->ncol = 0;
    schema->ts_col = -1;
}

/* Split c->path at dots into c->segs (one allocation holding the array and
** the strings). */
static int column_split_path(ksq_column *c)
{
    const char *path = c->path ? c->path : c->name;
    size_t len = strlen(path);
    int nseg = 1;
    for (size_t i = 0; i < len; i++) nseg += path[i] == '.';
    char **segs = sqlite3_malloc64(sizeof(char *) * (size_t)nseg + len + 1);
    if (!segs) return SQLITE_NOMEM;
    char *text = (char *)(segs + nseg);
    memcpy(text, path, len + 1);
    int k = 0;
    segs[k++] = text;
    for (char *p = text; *p; p++) {
        if (*p == '.') {
            *p = 0;
            segs[k++] = p + 1;
        }
    }
    sqlite3_free(c->segs);
    c->segs = segs;
    c->nseg = nseg;
    return SQLITE_OK;
}

/* Read a name or quoted string token at *pp into a new string. */
static char *read_token(const char **pp, int *pQuoted)
{
    const char *p = *pp;
    while (isspace((unsigned char)*p)) p++;
    *pQuoted = 0;
    if (*p == '"' || *p == '\'' || *p == '`' || *p == '[') {
        char q = *p, close = q == '[' ? ']' : q;
        sqlite3_str *s = sqlite3_str_new(NULL);
        p++;
        for (;;) {
            if (!*p) {
                sqlite3_free(sqlite3_str_finish(s));
                return NULL;
            }
            if (*p == close) {
                if (q != '[' && p[1] == close) {
                    sqlite3_str_appendchar(s, 1, close);
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            sqlite3_str_appendchar(s, 1, *p++);
        }
        *pp = p;
        *pQuoted = 1;
        char *out = sqlite3_str_finish(s);
        return out ? out : sqlite3_mprintf("");
    }
    const char *start = p;
    while (isalnum((unsigned char)*p) || *p == '_' || (*p & 0x80)) p++;
    if (p == start) return NULL;
    *pp = p;
    return sqlite3_mprintf("%.*s", (int)(p - start), start);
}

static int is_hidden_name(const char *z)
{
    for (size_t i = 0; i < sizeof hidden_names / sizeof hidden_names[0]; i++) {
        if (strcasecmp(z, hidden_names[i]) == 0) return 1;
    }
    return 0;
}

int ksq_schema_parse(ksq_schema *schema, const char *zColumns, char **pzErr)
{
    const char *p = zColumns;
    ksq_schema_clear(schema);
    for (;;) {
        int quoted;
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        char *name = read_token(&p, &quoted);
        if (!name) {
            *pzErr = sqlite3_mprintf("bad column list near \"%.20s\": expected a column name", p);
            goto fail;
        }
        if (is_hidden_name(name)) {
            *pzErr = sqlite3_mprintf("column name %s is reserved for a hidden column", name);
            sqlite3_free(name);
            goto fail;
        }
        for (int i = 0; i < schema->ncol; i++) {
            if (strcasecmp(schema->cols[i].name, name) == 0) {
                *pzErr = sqlite3_mprintf("duplicate column name: %s", name);
                sqlite3_free(name);
                goto fail;
            }
        }
        ksq_column *cols =
            sqlite3_realloc64(schema->cols, sizeof(ksq_column) * (size_t)(schema->ncol + 1));
        if (!cols) {
            sqlite3_free(name);
            goto nomem;
        }
        schema->cols = cols;
        ksq_column *c = &cols[schema->ncol++];
        memset(c, 0, sizeof *c);
        c->name = name;
        c->type = KSQ_TEXT;
        c->field = schema->ncol - 1;

        /* Optional type (with an ignored "(n[,m])" suffix) and PATH clause. */
        while (isspace((unsigned char)*p)) p++;
        if (isalpha((unsigned char)*p)) {
            const char *t = p;
            while (isalnum((unsigned char)*p) || *p == '_') p++;
            size_t nt = (size_t)(p - t);
            if (!(nt == 4 && strncasecmp(t, "PATH", 4) == 0)) {
                c->type = type_from_name(t, nt);
                if (!c->type) {
                    *pzErr = sqlite3_mprintf("unknown type %.*s for column %s (use TEXT, INTEGER, "
                                             "REAL, BOOLEAN, TIMESTAMP or JSON)",
                                             (int)nt, t, c->name);
                    goto fail;
                }
                while (isspace((unsigned char)*p)) p++;
                if (*p == '(') {
                    while (*p && *p != ')') p++;
                    if (*p == ')') p++;
                }
                while (isspace((unsigned char)*p)) p++;
                t = p;
                while (isalpha((unsigned char)*p)) p++;
                nt = (size_t)(p - t);
            }
            if (nt == 4 && strncasecmp(t, "PATH", 4) == 0) {
                c->path = read_token(&p, &quoted);
                if (!c->path || !quoted || !c->path[0]) {
                    *pzErr = sqlite3_mprintf("column %s: PATH needs a quoted path", c->name);
                    goto fail;
                }
            } else if (nt > 0) {
                *pzErr = sqlite3_mprintf("column %s: unexpected \"%.*s\"", c->name, (int)nt, t);
                goto fail;
            }
        }
        if (c->path) {
            char *end;
            long f = strtol(c->path, &end, 10);
            if (*end == 0 && f >= 1 && f <= 100000) c->field = (int)f - 1;
        }
        if (column_split_path(c)) goto nomem;
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') {
            p++;
        } else if (*p) {
            *pzErr = sqlite3_mprintf("bad column list near \"%.20s\": expected ','", p);
            goto fail;
        }
    }
    if (schema->ncol == 0) {
        *pzErr = sqlite3_mprintf("the column list is empty");
        goto fail;
    }
    return SQLITE_OK;
nomem:
    ksq_schema_clear(schema);
    return SQLITE_NOMEM;
fail:
    ksq_schema_clear(schema);
    return SQLITE_ERROR;
}

int ksq_schema_set_timestamp(ksq_schema *schema, const char *zName, char **pzErr)
{
    for (int i = 0; i < schema->ncol; i++) {
        if (strcasecmp(schema->cols[i].name, zName) == 0) {
            ksq_type t = schema->cols[i].type;
            if (t != KSQ_TIMESTAMP && t != KSQ_TEXT && t != KSQ_INTEGER && t != KSQ_REAL) {
                *pzErr = sqlite3_mprintf("timestamp column %s has type %s; declare it TIMESTAMP",
                                         zName, ksq_type_name(t));
                return SQLITE_ERROR;
            }
            schema->cols[i].type = KSQ_TIMESTAMP;
            schema->ts_col = i;
            return SQLITE_OK;
        }
    }
    *pzErr = sqlite3_mprintf("timestamp column %s is not among the columns", zName);
    return SQLITE_ERROR;
}

/* Is z a plain SQL identifier that needs no quoting? */
static int is_plain_name(const char *z)
{
    if (!isalpha((unsigned char)z[0]) && z[0] != '_') return 0;
    for (const char *p = z; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') return 0;
    }
    return type_from_name(z, strlen(z)) == 0 && strcasecmp(z, "PATH") != 0;
}

char *ksq_schema_text(const ksq_schema *schema)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int i = 0; i < schema->ncol; i++) {
        const ksq_column *c = &schema->cols[i];
        if (i) sqlite3_str_appendall(s, ", ");
        if (is_plain_name(c->name)) {
            sqlite3_str_appendall(s, c->name);
        } else {
            sqlite3_str_appendf(s, "\"%w\"", c->name);
        }
        sqlite3_str_appendf(s, " %s", ksq_type_name(c->type));
        if (c->path) sqlite3_str_appendf(s, " PATH '%q'", c->path);
    }
    return sqlite3_str_finish(s);
}
