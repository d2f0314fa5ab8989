/*
** infer.c — columns inferred from a sample of messages.
**
**   {"city":"Oslo","ts":"2026-11-21T13:00:00Z","main":{"temp":-1.5,"hum":80}}
**   -> city TEXT, ts TIMESTAMP, main_temp REAL PATH 'main.temp', main_hum INTEGER PATH 'main.hum'
**
** JSON: keys in first-seen order, nested objects flattened (up to 3 levels)
** into `a_b` columns with path 'a.b', arrays kept as JSON. CSV: a first
** record of distinct non-numeric names is a header; otherwise c1, c2, ...
** Types widen over the sample: INTEGER+REAL -> REAL; anything else mixed ->
** TEXT. Payloads that do not parse are ignored.
*/
#include "json_dom.h"
#include "ksq_int.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 3

typedef struct infer_col {
    char *name;    /* column name */
    char *path;    /* dotted JSON path, or NULL when it equals the name */
    ksq_type type; /* type so far, 0 while only NULLs were seen */
} infer_col;

typedef struct infer_state {
    infer_col *a; /* columns found so far */
    int n;        /* number of columns */
    int oom;      /* an allocation failed */
} infer_state;

/* Widen type a by an observed type b. */
static ksq_type widen(ksq_type a, ksq_type b)
{
    if (a == 0 || a == b) return b;
    if (b == 0) return a;
    if ((a == KSQ_INTEGER && b == KSQ_REAL) || (a == KSQ_REAL && b == KSQ_INTEGER)) return KSQ_REAL;
    if (a == KSQ_JSON || b == KSQ_JSON) return KSQ_JSON;
    return KSQ_TEXT;
}

/* The type a text value suggests: ISO-8601 text is a TIMESTAMP. */
static ksq_type text_type(const char *z, size_t n)
{
    int64_t ms;
    if (n >= 10 && z[4] == '-' && ksq_time_parse(z, (int)n, &ms) == 0) return KSQ_TIMESTAMP;
    return KSQ_TEXT;
}

static void observe(infer_state *st, const char *name, const char *path, ksq_type t)
{
    for (int i = 0; i < st->n; i++) {
        if (strcmp(st->a[i].name, name) == 0) {
            st->a[i].type = widen(st->a[i].type, t);
            return;
        }
    }
    infer_col *a = sqlite3_realloc64(st->a, sizeof(infer_col) * (size_t)(st->n + 1));
    if (!a) {
        st->oom = 1;
        return;
    }
    st->a = a;
    a[st->n].name = sqlite3_mprintf("%s", name);
    a[st->n].path = path ? sqlite3_mprintf("%s", path) : NULL;
    a[st->n].type = t;
    if (!a[st->n].name || (path && !a[st->n].path)) st->oom = 1;
    st->n++;
}

static void observe_json(infer_state *st, json_t *obj, const char *prefixName,
                         const char *prefixPath, int depth)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char *name =
            prefixName ? sqlite3_mprintf("%s_%s", prefixName, key) : sqlite3_mprintf("%s", key);
        char *path = prefixPath ? sqlite3_mprintf("%s.%s", prefixPath, key) : NULL;
        if (!name || (prefixPath && !path)) {
            st->oom = 1;
        } else if (strchr(key, '.')) {
            /* A key with a dot cannot be a path segment: it is skipped, and
            ** so is everything nested under it ("a.b": {"c": 1} is not at
            ** path a.b.c). */
        } else if (json_is_object(v) && depth < MAX_DEPTH) {
            observe_json(st, v, name, path ? path : name, depth + 1);
        } else {
            ksq_type t = 0;
            switch (json_typeof(v)) {
            case JSON_STRING: t = text_type(json_string_value(v), json_string_length(v)); break;
            case JSON_INTEGER: t = KSQ_INTEGER; break;
            case JSON_REAL: t = KSQ_REAL; break;
            case JSON_TRUE:
            case JSON_FALSE: t = KSQ_BOOLEAN; break;
            case JSON_NULL: t = 0; break;
            default: t = KSQ_JSON; break;
            }
            observe(st, name, path, t);
        }
        sqlite3_free(name);
        sqlite3_free(path);
    }
}

/* Collects the fields of one CSV record. */
typedef struct csv_fields {
    char **az; /* field texts, NUL-terminated (NULL for NULL fields) */
    int *an;   /* their lengths: a field may hold NUL bytes */
    int n;     /* number of fields */
    int oom;
} csv_fields;

static void collect_field(void *arg, const char *z, size_t n, int isNull)
{
    csv_fields *f = arg;
    char **az = sqlite3_realloc64(f->az, sizeof(char *) * (size_t)(f->n + 1));
    if (az) f->az = az;
    int *an = az ? sqlite3_realloc64(f->an, sizeof(int) * (size_t)(f->n + 1)) : NULL;
    if (!an) {
        f->oom = 1;
        return;
    }
    f->an = an;
    az[f->n] = NULL;
    an[f->n] = (int)n;
    if (!isNull) {
        az[f->n] = sqlite3_malloc64(n + 1);
        if (!az[f->n]) {
            f->oom = 1;
        } else {
            memcpy(az[f->n], z, n);
            az[f->n][n] = 0;
        }
    }
    f->n++;
}

static void fields_clear(csv_fields *f)
{
    for (int i = 0; i < f->n; i++) sqlite3_free(f->az[i]);
    sqlite3_free(f->az);
    sqlite3_free(f->an);
    memset(f, 0, sizeof *f);
}

/* The type a CSV field z[0..n) suggests, judged as the decoder will read
** it (all n bytes), or 0 for NULL. */
static ksq_type field_type(const char *z, int n)
{
    ksq_value v;
    char e[8];
    if (!z) return 0;
    if (ksq_convert_text(KSQ_INTEGER, z, n, &v, e, sizeof e) == 0 && !memchr(z, '.', (size_t)n))
        return KSQ_INTEGER;
    if (ksq_convert_text(KSQ_REAL, z, (int)n, &v, e, sizeof e) == 0) return KSQ_REAL;
    return text_type(z, n);
}

/* Is this record a header: distinct, non-empty names, none a number? */
static int is_header(const csv_fields *f)
{
    for (int i = 0; i < f->n; i++) {
        if (!f->az[i] || !f->az[i][0]) return 0;
        ksq_type t = field_type(f->az[i], f->an[i]);
        if (t == KSQ_INTEGER || t == KSQ_REAL || t == KSQ_TIMESTAMP) return 0;
        for (int j = 0; j < i; j++) {
            if (strcasecmp(f->az[i], f->az[j]) == 0) return 0;
        }
    }
    return f->n > 0;
}

int ksq_schema_infer(ksq_schema *schema, ksq_format format, char delim, int nSample,
                     const char *const *azPayload, const int *anPayload, char **pzErr)
{
    infer_state st = {0};
    char **azHeader = NULL;
    int nHeader = 0, nParsed = 0, rc = SQLITE_OK;
    csv_fields header = {0};
    ksq_json_dom *dom = format == KSQ_FORMAT_JSON ? ksq_json_dom_new() : NULL;

    for (int s = 0; s < nSample && !st.oom; s++) {
        if (!azPayload[s] || anPayload[s] <= 0) continue;
        if (format == KSQ_FORMAT_JSON) {
            /* Only a document the decoder reads too (jansson accepts a few
            ** things simdjson rightly refuses, a NUL byte after a number). */
            const char *zWhy;
            int vrc = dom ? ksq_json_dom_parse(dom, azPayload[s], (size_t)anPayload[s], &zWhy)
                          : KSQ_JSON_DOM_NOMEM;
            if (vrc == KSQ_JSON_DOM_NOMEM) st.oom = 1;
            if (vrc != KSQ_JSON_DOM_OK) continue;
            json_t *root = json_loadb(azPayload[s], (size_t)anPayload[s], 0, NULL);
            if (root && json_is_object(root)) {
                observe_json(&st, root, NULL, NULL, 1);
                nParsed++;
            }
            if (root) json_decref(root);
        } else {
            csv_fields f = {0};
            int n = ksq_csv_split(azPayload[s], (size_t)anPayload[s], delim ? delim : ',',
                                  collect_field, &f);
            if (n > 0 && !f.oom) {
                if (nParsed == 0 && is_header(&f)) {
                    header = f; /* keeps the names */
                    azHeader = header.az;
                    nHeader = header.n;
                    nParsed++;
                    continue;
                }
                for (int i = 0; i < f.n && !st.oom; i++) {
                    char *name = i < nHeader ? sqlite3_mprintf("%s", azHeader[i])
                                             : sqlite3_mprintf("c%d", i + 1);
                    if (!name) {
                        st.oom = 1;
                        break;
                    }
                    observe(&st, name, NULL, field_type(f.az[i], f.an[i]));
                    sqlite3_free(name);
                }
                nParsed++;
            }
            if (f.oom) st.oom = 1;
            fields_clear(&f);
        }
    }
    /* A header alone still names the columns. */
    for (int i = st.n; i < nHeader && !st.oom; i++) observe(&st, azHeader[i], NULL, 0);

    if (st.oom) {
        rc = SQLITE_NOMEM;
    } else if (st.n == 0) {
        *pzErr = sqlite3_mprintf(nParsed ? "cannot infer columns: the sampled messages hold no "
                                           "fields; give columns='...'"
                                         : "cannot infer columns from %d sampled message(s): none "
                                           "is a %s record; give columns='...'",
                                 nSample, format == KSQ_FORMAT_JSON ? "JSON object" : "CSV");
        rc = SQLITE_ERROR;
    } else {
        sqlite3_str *s = sqlite3_str_new(NULL);
        for (int i = 0; i < st.n; i++) {
            sqlite3_str_appendf(s, "%s\"%w\" %s", i ? ", " : "", st.a[i].name,
                                ksq_type_name(st.a[i].type ? st.a[i].type : KSQ_TEXT));
            if (st.a[i].path) sqlite3_str_appendf(s, " PATH '%q'", st.a[i].path);
        }
        char *zCols = sqlite3_str_finish(s);
        rc = zCols ? ksq_schema_parse(schema, zCols, pzErr) : SQLITE_NOMEM;
        sqlite3_free(zCols);
        schema->format = format;
        if (delim) schema->csv_delim = delim;
    }
    for (int i = 0; i < st.n; i++) {
        sqlite3_free(st.a[i].name);
        sqlite3_free(st.a[i].path);
    }
    sqlite3_free(st.a);
    fields_clear(&header);
    ksq_json_dom_free(dom);
    return rc;
}
