/*
** sink.c — sinks: a view's rows into files or a Kafka topic, exactly once.
**
**   CREATE SINK alert_files FROM weather_alerts
**     INTO FILES 'out/alerts' FORMAT CSV
**     PARTITION BY (country, city, date(ts) AS date, strftime('%H', ts) AS hour)
**     WITH (roll_size = '64 MB', roll_interval = '5 minutes');
**   CREATE SINK alert_topic FROM weather_alerts INTO TOPIC 'alerts' FORMAT JSON KEY city;
**   SHOW SINKS;  COMPACT SINK alert_files;  DROP SINK alert_topic;
**   EXPORT city_minute TO 'city_minute.csv';
**
** A sink is stored as its CREATE SINK statement in ksq_sinks and compiled
** (here) into a capture statement that turns the rows its view emits (the
** view's tap, tap.c) into lines in the sink's buffer table, each with its
** partition path (files) or key (topics). See sink.h for how lines become
** files exactly once.
*/
#include "sink.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEFAULT_ROLL_BYTES (64LL << 20)
#define DEFAULT_ROLL_MS    (5 * 60 * 1000LL)
#define RETRY_MS           5000 /* a failed roll or send is tried again after this */
#define TICK_MS            1000 /* how often time-based rolls are looked for */

static const char sink_ddl[] =
    "CREATE TABLE IF NOT EXISTS ksq_sinks(name TEXT PRIMARY KEY COLLATE NOCASE, view TEXT NOT "
    "NULL COLLATE NOCASE, kind TEXT NOT NULL, target TEXT NOT NULL, format TEXT NOT NULL, sql "
    "TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'running', "
    "error TEXT, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')));\n"
    "CREATE TABLE IF NOT EXISTS ksq_sink_files(id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT "
    "NOT NULL COLLATE NOCASE, part TEXT NOT NULL, path TEXT NOT NULL, rows INTEGER NOT NULL, "
    "bytes INTEGER NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL DEFAULT "
    "(strftime('%Y-%m-%d %H:%M:%f','now')), published TEXT);\n"
    "CREATE INDEX IF NOT EXISTS ksq_sink_files_part ON ksq_sink_files(sink, part, state);\n"
    "CREATE TABLE IF NOT EXISTS ksq_sink_parts(sink TEXT NOT NULL COLLATE NOCASE, part TEXT NOT "
    "NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, first_ms INTEGER NOT NULL, "
    "PRIMARY KEY(sink, part)) WITHOUT ROWID;\n";

static int sink_catalog_ensure(ksqlite *k, char **pzErr)
{
    int rc = sqlite3_exec(k->db, sink_ddl, 0, 0, NULL);
    if (rc) *pzErr = sqlite3_mprintf("cannot create the sink catalog: %s", sqlite3_errmsg(k->db));
    return rc;
}

static int sink_catalog_exists(ksqlite *k)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(k->db, "SELECT 1 FROM main.sqlite_schema WHERE name = 'ksq_sinks'", -1,
                           &st, NULL) == SQLITE_OK) {
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static ksq_sink *find_sink(ksqlite *k, const char *zName)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nSink; i++) {
        if (strcasecmp(rt->aSink[i]->zName, zName) == 0) return rt->aSink[i];
    }
    return NULL;
}

const char *ksq_sink_of_view(ksqlite *k, const char *zView)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nSink; i++) {
        if (strcasecmp(rt->aSink[i]->zView, zView) == 0) return rt->aSink[i]->zName;
    }
    return NULL;
}

static void sink_free(ksqlite *k, ksq_sink *s)
{
    if (!s) return;
    if (s->tap) {
        s->tap->nSinks--;
        ksq_tap_release(k, s->tap);
    }
    ksq_topic_close(s);
    sqlite3_finalize(s->pMaxId);
    sqlite3_finalize(s->pCapture);
    sqlite3_finalize(s->pParts);
    sqlite3_free(s->zName);
    sqlite3_free(s->zView);
    sqlite3_free(s->zStream);
    sqlite3_free(s->zTarget);
    sqlite3_free(s->zHeader);
    sqlite3_free(s->zError);
    ksq_options_clear(&s->opts);
    sqlite3_free(s);
}

/* Record (or clear, zErr NULL) a sink's error, in memory and the catalog. */
static void sink_error(ksqlite *k, ksq_sink *s, const char *zErr, int failed)
{
    sqlite3_free(s->zError);
    s->zError = zErr ? sqlite3_mprintf("%s", zErr) : NULL;
    s->failed = failed;
    if (zErr) ksq_log(KSQ_LOG_ERROR, "sink %s: %s", s->zName, zErr);
    char *z = sqlite3_mprintf("UPDATE ksq_sinks SET status = %Q, error = %Q WHERE name = %Q",
                              failed ? "failed"
                              : zErr ? "retrying"
                                     : "running",
                              zErr, s->zName);
    if (z && sqlite3_get_autocommit(k->db)) sqlite3_exec(k->db, z, 0, 0, NULL);
    sqlite3_free(z);
}

/* ------------------------------------------------------------------ options */

/* "64 MB", "500kB", "1 GiB", "1048576": bytes, or -1. */
static int64_t size_parse(const char *z)
{
    char *end;
    double v = strtod(z, &end);
    if (end == z || v < 0 || !isfinite(v)) return -1;
    while (*end == ' ') end++;
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},          {"b", 1},      {"bytes", 1},          {"kb", 1e3},
                 {"kib", 1024.0},  {"k", 1024.0}, {"mb", 1e6},           {"mib", 1048576.0},
                 {"m", 1048576.0}, {"gb", 1e9},   {"gib", 1073741824.0}, {"g", 1073741824.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].unit) == 0) return (int64_t)(v * units[i].mult);
    }
    return -1;
}

static int bool_option(const char *v, int *pOut)
{
    if (!v) return 0;
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
        !strcasecmp(v, "on")) {
        *pOut = 1;
    } else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
               !strcasecmp(v, "off")) {
        *pOut = 0;
    } else {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ compiling */

/* The view's column names: SELECT * FROM it. */
static int view_columns(ksqlite *k, const char *zView, int *pn, char ***pazCol, char **pzErr)
{
    sqlite3_stmt *st;
    char *z = sqlite3_mprintf("SELECT * FROM main.\"%w\" LIMIT 0", zView);
    int rc = z ? sqlite3_prepare_v2(k->db, z, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(z);
    if (rc) {
        if (rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        return rc;
    }
    int n = sqlite3_column_count(st);
    char **a = sqlite3_malloc64(sizeof(char *) * (size_t)(n + 1));
    if (!a) rc = SQLITE_NOMEM;
    for (int i = 0; !rc && i < n; i++) {
        a[i] = sqlite3_mprintf("%s", sqlite3_column_name(st, i));
        if (!a[i]) {
            while (i-- > 0) sqlite3_free(a[i]);
            sqlite3_free(a);
            rc = SQLITE_NOMEM;
        }
    }
    sqlite3_finalize(st);
    if (!rc) {
        *pn = n;
        *pazCol = a;
    }
    return rc;
}

static void free_columns(int n, char **a)
{
    for (int i = 0; a && i < n; i++) sqlite3_free(a[i]);
    sqlite3_free(a);
}

/* Is partition item i a plain column of the view (its name, unquoted)? */
static int plain_column(const ksq_stmt *st, int i, int nCol, char **azCol)
{
    ksq_tokens t;
    int col = -1;
    if (ksq_tokenize(st->azPartExpr[i], &t) == SQLITE_OK && t.n == 1 && t.a[0].type == KSQ_TK_ID) {
        char *z = ksq_tok_text(&t, 0);
        for (int c = 0; z && c < nCol; c++) {
            if (strcasecmp(z, azCol[c]) == 0) col = c;
        }
        sqlite3_free(z);
    }
    ksq_tokens_free(&t);
    return col;
}

/* Names of partitions are path keys: letters, digits, '_' and '-'. */
static int good_part_name(const char *z)
{
    if (!z[0]) return 0;
    for (const char *p = z; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    }
    return 1;
}

/* Build sink s from its statement: options, the capture SQL, statements.
** zSql is the whole CREATE SINK text (errors point into it). */
static int sink_build(ksqlite *k, ksq_sink *s, const ksq_stmt *st, char **pzErr, int *pErrOff)
{
    int nCol = 0, rc;
    char **azCol = NULL;
    int include = 0, guard = 0;
    s->kind = st->intoTopic ? KSQ_SINK_TOPIC : KSQ_SINK_FILES;
    const char *zFmt = st->zFormat ? st->zFormat : st->intoTopic ? "JSON" : "CSV";
    if (!strcasecmp(zFmt, "CSV")) {
        s->format = KSQ_SINK_CSV;
    } else if (!strcasecmp(zFmt, "JSONL") || !strcasecmp(zFmt, "JSON")) {
        s->format = KSQ_SINK_JSON;
    } else {
        *pzErr = sqlite3_mprintf("FORMAT %s: a sink writes CSV or %s", zFmt,
                                 st->intoTopic ? "JSON" : "JSONL");
        return SQLITE_ERROR;
    }
    s->rollBytes = s->kind == KSQ_SINK_FILES ? DEFAULT_ROLL_BYTES : 0;
    s->rollMs = s->kind == KSQ_SINK_FILES ? DEFAULT_ROLL_MS : 0;
    for (int i = 0; i < st->opts.n; i++) {
        const ksq_option *o = &st->opts.a[i];
        int ok = 1;
        if (o->quoted) {
            ok = s->kind == KSQ_SINK_TOPIC; /* librdkafka properties, checked by the producer */
        } else if (!strcmp(o->key, "roll_size") && s->kind == KSQ_SINK_FILES) {
            ok = (s->rollBytes = size_parse(o->value)) > 0;
        } else if (!strcmp(o->key, "roll_rows") && s->kind == KSQ_SINK_FILES) {
            ok = (s->rollRows = atoll(o->value)) > 0;
        } else if (!strcmp(o->key, "roll_interval") && s->kind == KSQ_SINK_FILES) {
            ok = ksq_duration_parse(o->value, &s->rollMs) == 0;
        } else if (!strcmp(o->key, "include_partition_columns") && s->kind == KSQ_SINK_FILES) {
            ok = bool_option(o->value, &include) == 0;
        } else if (!strcmp(o->key, "csv_formula_guard")) {
            ok = bool_option(o->value, &guard) == 0;
        } else if ((!strcmp(o->key, "brokers") || !strcmp(o->key, "insecure_tls")) &&
                   s->kind == KSQ_SINK_TOPIC) {
            ok = o->value[0] != 0;
        } else {
            *pzErr = sqlite3_mprintf(
                "unknown sink option %s (%s)", o->key,
                s->kind == KSQ_SINK_FILES
                    ? "roll_size, roll_rows, roll_interval, include_partition_columns, "
                      "csv_formula_guard"
                    : "brokers, csv_formula_guard, or quoted librdkafka properties");
            return SQLITE_ERROR;
        }
        if (!ok) {
            *pzErr = sqlite3_mprintf("sink option %s: '%s' is not valid here", o->key, o->value);
            return SQLITE_ERROR;
        }
        if (s->kind == KSQ_SINK_TOPIC && ksq_options_add(&s->opts, o->key, o->value, o->quoted))
            return SQLITE_NOMEM;
    }
    if (s->kind == KSQ_SINK_TOPIC && ksq_kafka_conf_check(&s->opts, pzErr)) return SQLITE_ERROR;
    rc = view_columns(k, s->zView, &nCol, &azCol, pzErr);
    if (rc) return rc;

    /* Which view columns go into the lines: all but plain partition
    ** columns, unless asked. */
    unsigned char *inLine = sqlite3_malloc64((size_t)nCol + 1);
    if (!inLine) {
        free_columns(nCol, azCol);
        return SQLITE_NOMEM;
    }
    memset(inLine, 1, (size_t)nCol + 1);
    for (int i = 0; i < st->nPart; i++) {
        if (!good_part_name(st->azPartName[i])) {
            *pzErr = sqlite3_mprintf("partition name %s: use letters, digits, _ and -",
                                     st->azPartName[i]);
            *pErrOff = st->aPartOff[i];
            rc = SQLITE_ERROR;
            break;
        }
        int c = plain_column(st, i, nCol, azCol);
        if (c >= 0 && !include) inLine[c] = 0;
    }
    int nLine = 0;
    for (int c = 0; c < nCol; c++) nLine += inLine[c];
    if (!rc && nLine == 0) {
        *pzErr = sqlite3_mprintf("every column of %s is a partition column: the files would be "
                                 "empty (include_partition_columns = true keeps them)",
                                 s->zView);
        rc = SQLITE_ERROR;
    }
    sqlite3_str *cap = sqlite3_str_new(NULL), *hdr = sqlite3_str_new(NULL);
    sqlite3_str_appendf(cap, "INSERT INTO main.\"ksq_k_%w\"(part, line) SELECT ", s->zName);
    if (s->kind == KSQ_SINK_TOPIC) {
        if (st->zKey) {
            sqlite3_str_appendf(cap, "CAST(\"%w\" AS TEXT)", st->zKey);
        } else {
            sqlite3_str_appendall(cap, "NULL");
        }
    } else if (st->nPart == 0) {
        sqlite3_str_appendall(cap, "''");
    } else {
        sqlite3_str_appendall(cap, "ksq_hive_path(");
        for (int i = 0; i < st->nPart; i++)
            sqlite3_str_appendf(cap, "%s%Q, (%s)", i ? ", " : "", st->azPartName[i],
                                st->azPartExpr[i]);
        sqlite3_str_appendall(cap, ")");
    }
    if (s->format == KSQ_SINK_CSV) {
        sqlite3_str_appendf(cap, ", ksq_csv_line(%d", guard);
    } else {
        sqlite3_str_appendall(cap, ", ksq_json_line(");
    }
    int first = 1;
    for (int c = 0; c < nCol; c++) {
        if (!inLine[c]) continue;
        if (s->format == KSQ_SINK_CSV) {
            sqlite3_str_appendf(cap, ", \"%w\"", azCol[c]);
            /* the header: the names as CSV fields */
            if (!first) sqlite3_str_appendchar(hdr, 1, ',');
            ksq_csv_text(hdr, azCol[c], (int)strlen(azCol[c]), 0);
        } else {
            sqlite3_str_appendf(cap, "%s%Q, \"%w\"", first ? "" : ", ", azCol[c], azCol[c]);
        }
        first = 0;
    }
    sqlite3_str_appendf(cap, ") FROM temp.\"ksq_t_%w\" AS \"%w\" ORDER BY rowid", s->zView,
                        s->zView);
    char *zCapture = sqlite3_str_finish(cap);
    s->zHeader = sqlite3_str_finish(hdr);
    if (s->format != KSQ_SINK_CSV || s->kind != KSQ_SINK_FILES) {
        sqlite3_free(s->zHeader);
        s->zHeader = NULL;
    }
    sqlite3_free(inLine);
    free_columns(nCol, azCol);
    if (!rc && !zCapture) rc = SQLITE_NOMEM;
    if (!rc) {
        /* The capture statement reads the tap, which must exist first. */
        rc = ksq_tap_open(k, s->zView, &s->tap, pzErr);
        if (!rc) s->tap->nSinks++;
    }
    if (!rc) {
        rc = sqlite3_prepare_v3(k->db, zCapture, -1, SQLITE_PREPARE_PERSISTENT, &s->pCapture, NULL);
        if (rc && rc != SQLITE_NOMEM) {
            const char *msg = sqlite3_errmsg(k->db);
            *pzErr = sqlite3_mprintf("%s", msg);
            /* point at the partition expression that fails, if one does */
            for (int i = 0; i < st->nPart; i++) {
                const char *pfx = "no such column: ";
                if (!strncmp(msg, pfx, strlen(pfx)) && strstr(st->azPartExpr[i], msg + strlen(pfx)))
                    *pErrOff = st->aPartOff[i];
            }
            if (st->zKey && !strncmp(msg, "no such column", 14))
                *pzErr = sqlite3_mprintf("KEY %s: no such column in view %s", st->zKey, s->zView);
        }
    }
    sqlite3_free(zCapture);
    if (!rc) {
        char *zMax =
            sqlite3_mprintf("SELECT coalesce(max(id), 0) FROM main.\"ksq_k_%w\"", s->zName);
        char *zParts = sqlite3_mprintf(
            "INSERT INTO ksq_sink_parts(sink, part, rows, bytes, first_ms) SELECT %Q, part, "
            "count(*), sum(length(CAST(line AS BLOB)) + 2), ?2 FROM main.\"ksq_k_%w\" WHERE id > "
            "?1 "
            "GROUP BY part ON CONFLICT(sink, part) DO UPDATE SET rows = rows + excluded.rows, "
            "bytes = bytes + excluded.bytes",
            s->zName, s->zName);
        rc = zMax && zParts
                 ? sqlite3_prepare_v3(k->db, zMax, -1, SQLITE_PREPARE_PERSISTENT, &s->pMaxId, NULL)
                 : SQLITE_NOMEM;
        if (!rc)
            rc = sqlite3_prepare_v3(k->db, zParts, -1, SQLITE_PREPARE_PERSISTENT, &s->pParts, NULL);
        if (rc && rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        sqlite3_free(zMax);
        sqlite3_free(zParts);
    }
    return rc;
}

/* Compile the sink defined by zSql. With create, make its buffer table. */
static int sink_compile(ksqlite *k, const char *zSql, int create, ksq_sink **ppSink, char **pzErr,
                        int *pErrOff)
{
    ksq_stmt st;
    int rc = ksq_stmt_parse(zSql, (int)strlen(zSql), &st, pzErr, pErrOff);
    if (rc) return rc;
    if (st.kind != KSQ_STMT_CREATE_SINK) {
        ksq_stmt_clear(&st);
        *pzErr = sqlite3_mprintf("the stored definition of a sink is not CREATE SINK");
        return SQLITE_CORRUPT;
    }
    ksq_sink *s = sqlite3_malloc(sizeof *s);
    if (!s) {
        ksq_stmt_clear(&st);
        return SQLITE_NOMEM;
    }
    memset(s, 0, sizeof *s);
    s->zName = sqlite3_mprintf("%s", st.zName);
    s->zTarget = sqlite3_mprintf("%s", st.zTarget);
    ksq_view *v = ksq_runtime_view(k, st.zFrom);
    if (!s->zName || !s->zTarget) {
        rc = SQLITE_NOMEM;
    } else if (!v || v->transient) {
        *pzErr = sqlite3_mprintf("no such materialized view: %s (a sink reads a view)", st.zFrom);
        rc = SQLITE_ERROR;
    } else {
        s->zView = sqlite3_mprintf("%s", v->zName);
        s->zStream = sqlite3_mprintf("%s", v->zStream);
        if (!s->zView || !s->zStream) rc = SQLITE_NOMEM;
    }
    if (!rc && create) {
        char *z = sqlite3_mprintf(
            "CREATE TABLE main.\"ksq_k_%w\"(id INTEGER PRIMARY KEY AUTOINCREMENT, part TEXT, line "
            "TEXT NOT NULL);\nCREATE INDEX main.\"ksq_k_%w_part\" ON \"ksq_k_%w\"(part, id);",
            s->zName, s->zName, s->zName);
        rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        if (rc && rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        sqlite3_free(z);
    }
    if (!rc) rc = sink_build(k, s, &st, pzErr, pErrOff);
    ksq_stmt_clear(&st);
    if (rc) {
        sink_free(k, s);
        return rc;
    }
    *ppSink = s;
    return SQLITE_OK;
}

static int add_sink(ksqlite *k, ksq_sink *s)
{
    ksq_runtime *rt = k->rt;
    ksq_sink **a = sqlite3_realloc64(rt->aSink, sizeof(ksq_sink *) * (size_t)(rt->nSink + 1));
    if (!a) return SQLITE_NOMEM;
    rt->aSink = a;
    a[rt->nSink++] = s;
    return SQLITE_OK;
}

static void remove_sink(ksqlite *k, ksq_sink *s)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nSink; i++) {
        if (rt->aSink[i] != s) continue;
        rt->aSink[i] = rt->aSink[--rt->nSink];
        break;
    }
    sink_free(k, s);
}

/* ------------------------------------------------------------------ statements */

static int create_sink(ksqlite *k, ksq_stmt *st, const char *zSql, int n, char **pzErr,
                       int *pErrOff)
{
    if (find_sink(k, st->zName)) {
        if (st->ifExists) return SQLITE_OK;
        *pzErr = sqlite3_mprintf("sink %s already exists", st->zName);
        return SQLITE_ERROR;
    }
    if (!sqlite3_get_autocommit(k->db)) {
        *pzErr = sqlite3_mprintf("CREATE SINK cannot run inside a transaction");
        return SQLITE_ERROR;
    }
    while (n > 0 && (zSql[n - 1] == ';' || zSql[n - 1] == ' ' || zSql[n - 1] == '\n' ||
                     zSql[n - 1] == '\t' || zSql[n - 1] == '\r'))
        n--;
    char *zDef = sqlite3_mprintf("%.*s", n, zSql);
    if (!zDef) return SQLITE_NOMEM;
    int rc = sink_catalog_ensure(k, pzErr);
    if (!rc) rc = sqlite3_exec(k->db, "SAVEPOINT ksq_sink_ddl", 0, 0, NULL);
    if (rc) {
        sqlite3_free(zDef);
        return rc;
    }
    ksq_sink *s = NULL;
    rc = sink_compile(k, zDef, 1, &s, pzErr, pErrOff);
    if (!rc && s->kind == KSQ_SINK_FILES) {
        struct stat sb;
        if (stat(s->zTarget, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            *pzErr = sqlite3_mprintf("%s exists and is not a directory", s->zTarget);
            rc = SQLITE_ERROR;
        } else {
            rc = ksq_mkdirs(s->zTarget, pzErr);
        }
    }
    if (!rc) {
        char *zIns = sqlite3_mprintf(
            "INSERT INTO ksq_sinks(name, view, kind, target, format, sql) VALUES (%Q, %Q, %Q, %Q, "
            "%Q, %Q)",
            s->zName, s->zView, s->kind == KSQ_SINK_FILES ? "files" : "topic", s->zTarget,
            s->format == KSQ_SINK_CSV   ? "csv"
            : s->kind == KSQ_SINK_FILES ? "jsonl"
                                        : "json",
            zDef);
        rc = zIns ? sqlite3_exec(k->db, zIns, 0, 0, NULL) : SQLITE_NOMEM;
        if (rc && rc != SQLITE_NOMEM && !*pzErr)
            *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        sqlite3_free(zIns);
    }
    if (!rc) rc = add_sink(k, s);
    if (rc) {
        sink_free(k, s);
        sqlite3_exec(k->db, "ROLLBACK TO ksq_sink_ddl; RELEASE ksq_sink_ddl", 0, 0, NULL);
    } else {
        sqlite3_exec(k->db, "RELEASE ksq_sink_ddl", 0, 0, NULL);
    }
    sqlite3_free(zDef);
    return rc;
}

static int drop_sink(ksqlite *k, ksq_stmt *st, char **pzErr)
{
    ksq_sink *s = find_sink(k, st->zName);
    if (!s) {
        if (st->ifExists) return SQLITE_OK;
        *pzErr = sqlite3_mprintf("no such sink: %s", st->zName);
        return SQLITE_ERROR;
    }
    /* What it holds is published (or sent) first: dropping loses nothing. */
    int rc =
        s->kind == KSQ_SINK_FILES ? ksq_files_roll(k, s, 1, pzErr) : ksq_topic_send(k, s, 1, pzErr);
    if (rc) {
        char *z = *pzErr;
        *pzErr = sqlite3_mprintf("sink %s still holds rows it cannot %s (%s); fix that first",
                                 s->zName, s->kind == KSQ_SINK_FILES ? "write" : "send",
                                 z ? z : sqlite3_errstr(rc));
        sqlite3_free(z);
        return rc;
    }
    char *z = sqlite3_mprintf(
        "SAVEPOINT ksq_sink_ddl; DROP TABLE IF EXISTS main.\"ksq_k_%w\"; DELETE FROM ksq_sinks "
        "WHERE name = %Q; DELETE FROM ksq_sink_parts WHERE sink = %Q; DELETE FROM ksq_sink_files "
        "WHERE sink = %Q; RELEASE ksq_sink_ddl;",
        s->zName, s->zName, s->zName, s->zName);
    rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
    sqlite3_free(z);
    if (rc) {
        if (rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        sqlite3_exec(k->db, "ROLLBACK TO ksq_sink_ddl; RELEASE ksq_sink_ddl", 0, 0, NULL);
        return rc;
    }
    remove_sink(k, s);
    return SQLITE_OK;
}

static int emit_rows(ksqlite *k, sqlite3_stmt *st, int (*xRow)(void *, sqlite3_stmt *), void *pArg)
{
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (xRow && xRow(pArg, st)) break;
    }
    if (n > 0 && xRow) xRow(pArg, NULL);
    (void)k;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ksq_sink_info(name, what): live figures for SHOW SINKS. */
static void fn_sink_info(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksqlite *k = sqlite3_user_data(ctx);
    const char *zName = (const char *)sqlite3_value_text(argv[0]);
    const char *zWhat = (const char *)sqlite3_value_text(argv[1]);
    ksq_sink *s = zName ? find_sink(k, zName) : NULL;
    if (!s || !zWhat) return;
    if (!strcmp(zWhat, "status")) {
        sqlite3_result_text(ctx,
                            s->failed   ? "failed"
                            : s->zError ? "retrying"
                                        : "running",
                            -1, SQLITE_STATIC);
    } else if (!strcmp(zWhat, "error") && s->zError) {
        sqlite3_result_text(ctx, s->zError, -1, SQLITE_TRANSIENT);
    }
}

static int show_sinks(ksqlite *k, int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr)
{
    if (!sink_catalog_exists(k)) return SQLITE_OK;
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendall(
        q, "SELECT s.name, s.view, s.kind, s.target, s.format, "
           "(SELECT count(*) FROM ksq_sink_files f WHERE f.sink = s.name AND f.state = "
           "'published') AS files, "
           "CASE s.kind WHEN 'files' THEN (SELECT coalesce(sum(rows), 0) FROM ksq_sink_files f "
           "WHERE f.sink = s.name AND f.state = 'published') ELSE s.sent END AS rows, "
           "(SELECT coalesce(sum(bytes), 0) FROM ksq_sink_files f WHERE f.sink = s.name AND "
           "f.state = 'published') AS bytes, CASE s.kind WHEN 'files' THEN (SELECT "
           "coalesce(sum(rows), 0) FROM ksq_sink_parts p WHERE p.sink = s.name) ELSE NULL END AS "
           "buffered, (SELECT max(published) FROM ksq_sink_files f WHERE f.sink = s.name) AS "
           "last_file, coalesce(ksq_sink_info(s.name, 'status'), s.status) AS status, "
           "coalesce(ksq_sink_info(s.name, 'error'), s.error) AS error FROM ksq_sinks s ORDER BY "
           "s.name");
    char *z = sqlite3_str_finish(q);
    sqlite3_stmt *st;
    int rc = z ? sqlite3_prepare_v2(k->db, z, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(z);
    if (rc) {
        if (rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        return rc;
    }
    rc = emit_rows(k, st, xRow, pArg);
    if (rc) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
    sqlite3_finalize(st);
    return rc;
}

/* One row (name, value) pairs for COMPACT and EXPORT results. */
static int report(ksqlite *k, int (*xRow)(void *, sqlite3_stmt *), void *pArg, const char *zSql)
{
    sqlite3_stmt *st;
    int rc = zSql ? sqlite3_prepare_v2(k->db, zSql, -1, &st, NULL) : SQLITE_NOMEM;
    if (!rc) {
        rc = emit_rows(k, st, xRow, pArg);
        sqlite3_finalize(st);
    }
    return rc;
}

static int compact_sink(ksqlite *k, ksq_stmt *st, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                        char **pzErr)
{
    ksq_sink *s = find_sink(k, st->zName);
    if (!s) {
        *pzErr = sqlite3_mprintf("no such sink: %s", st->zName);
        return SQLITE_ERROR;
    }
    if (s->kind != KSQ_SINK_FILES) {
        *pzErr =
            sqlite3_mprintf("sink %s writes to a topic: there are no files to compact", s->zName);
        return SQLITE_ERROR;
    }
    int64_t nMerged = 0;
    int rc = ksq_files_roll(k, s, 1, pzErr); /* buffered rows first, so they join the merge */
    if (!rc) rc = ksq_files_compact(k, s, &nMerged, pzErr);
    if (rc) return rc;
    char *z = sqlite3_mprintf("SELECT %lld AS files_merged, (SELECT count(*) FROM ksq_sink_files "
                              "WHERE sink = %Q AND state = 'published') AS files",
                              (long long)nMerged, s->zName);
    rc = report(k, xRow, pArg, z);
    sqlite3_free(z);
    return rc;
}

static int export_to(ksqlite *k, ksq_stmt *st, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                     char **pzErr)
{
    ksq_sink_format format = KSQ_SINK_CSV;
    const char *zExt = strrchr(st->zTarget, '.');
    if (st->zFormat) {
        if (!strcasecmp(st->zFormat, "JSONL") || !strcasecmp(st->zFormat, "JSON")) {
            format = KSQ_SINK_JSON;
        } else if (strcasecmp(st->zFormat, "CSV")) {
            *pzErr = sqlite3_mprintf("FORMAT %s: EXPORT writes CSV or JSONL", st->zFormat);
            return SQLITE_ERROR;
        }
    } else if (zExt && (!strcasecmp(zExt, ".jsonl") || !strcasecmp(zExt, ".json"))) {
        format = KSQ_SINK_JSON;
    }
    int64_t nRows = 0;
    int rc = ksq_files_export(k, st->zFrom, st->zTarget, format, &nRows, pzErr);
    if (rc) return rc;
    char *z = sqlite3_mprintf("SELECT %lld AS rows, %Q AS file", (long long)nRows, st->zTarget);
    rc = report(k, xRow, pArg, z);
    sqlite3_free(z);
    return rc;
}

int ksq_sink_exec(ksqlite *k, ksq_stmt *st, const char *zSql, int nSql,
                  int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr, int *pErrOff)
{
    switch (st->kind) {
    case KSQ_STMT_CREATE_SINK: return create_sink(k, st, zSql, nSql, pzErr, pErrOff);
    case KSQ_STMT_DROP_SINK: return drop_sink(k, st, pzErr);
    case KSQ_STMT_SHOW_SINKS: return show_sinks(k, xRow, pArg, pzErr);
    case KSQ_STMT_COMPACT_SINK: return compact_sink(k, st, xRow, pArg, pzErr);
    case KSQ_STMT_EXPORT: return export_to(k, st, xRow, pArg, pzErr);
    default: *pzErr = sqlite3_mprintf("not a sink statement"); return SQLITE_ERROR;
    }
}

/* ------------------------------------------------------------------ running */

int ksq_sinks_resume(ksqlite *k, char **pzErr)
{
    int rc = sqlite3_create_function(k->db, "ksq_sink_info", 2, SQLITE_UTF8, k, fn_sink_info, 0, 0);
    if (!rc) rc = ksq_sink_functions_register(k->db);
    if (rc) {
        *pzErr = sqlite3_mprintf("cannot register the sink functions: %s", sqlite3_errmsg(k->db));
        return rc;
    }
    if (!sink_catalog_exists(k)) return SQLITE_OK;
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(k->db, "SELECT name, sql FROM ksq_sinks ORDER BY rowid", -1, &st, NULL);
    if (rc) {
        *pzErr = sqlite3_mprintf("cannot read the sink catalog: %s", sqlite3_errmsg(k->db));
        return rc;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *zName = (const char *)sqlite3_column_text(st, 0);
        ksq_sink *s = NULL;
        char *zErr = NULL;
        int off;
        rc = sink_compile(k, (const char *)sqlite3_column_text(st, 1), 0, &s, &zErr, &off);
        if (rc == SQLITE_NOMEM) break;
        if (rc) {
            /* One broken sink does not keep the others (or the views) from running. */
            ksq_log(KSQ_LOG_ERROR, "sink %s cannot run: %s", zName, zErr ? zErr : "error");
            sqlite3_free(zErr);
            rc = SQLITE_OK;
            continue;
        }
        rc = add_sink(k, s);
        if (rc) {
            sink_free(k, s);
            break;
        }
    }
    sqlite3_finalize(st);
    /* Recovery (renames, removals) after the statement that read the catalog. */
    for (int i = 0; !rc && i < k->rt->nSink; i++) {
        ksq_sink *s = k->rt->aSink[i];
        char *zErr = NULL;
        if (s->kind == KSQ_SINK_FILES && ksq_files_recover(k, s, &zErr))
            sink_error(k, s, zErr ? zErr : "recovery failed", 1);
        sqlite3_free(zErr);
    }
    return rc;
}

int ksq_sinks_capture(ksqlite *k, const char *zStream, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int64_t now = ksq_now_ms();
    for (int i = 0; i < rt->nSink; i++) {
        ksq_sink *s = rt->aSink[i];
        if (s->failed || strcasecmp(s->zStream, zStream) != 0) continue;
        int rc = sqlite3_exec(k->db, "SAVEPOINT ksq_sink", 0, 0, NULL);
        int64_t maxId = 0;
        if (!rc) {
            rc = sqlite3_step(s->pMaxId) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(k->db);
            maxId = sqlite3_column_int64(s->pMaxId, 0);
            sqlite3_reset(s->pMaxId);
        }
        if (!rc) {
            rc = sqlite3_step(s->pCapture) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(k->db);
            sqlite3_reset(s->pCapture);
        }
        if (!rc && sqlite3_changes(k->db) > 0) {
            sqlite3_bind_int64(s->pParts, 1, maxId);
            sqlite3_bind_int64(s->pParts, 2, now);
            rc = sqlite3_step(s->pParts) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(k->db);
            sqlite3_reset(s->pParts);
        }
        if (!rc) {
            sqlite3_exec(k->db, "RELEASE ksq_sink", 0, 0, NULL);
            continue;
        }
        char *zErr = sqlite3_mprintf("cannot buffer rows: %s", sqlite3_errmsg(k->db));
        sqlite3_exec(k->db, "ROLLBACK TO ksq_sink; RELEASE ksq_sink", 0, 0, NULL);
        if (rc == SQLITE_NOMEM || rc == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ||
            rc == SQLITE_BUSY || rc == SQLITE_INTERRUPT) {
            /* The database is in trouble: the whole batch is given up and read again. */
            *pzErr = zErr;
            return rc;
        }
        /* The sink's own SQL failed: it stops; the views go on. */
        s->failed = 1;
        sqlite3_free(s->zError);
        s->zError = zErr;
        ksq_log(KSQ_LOG_ERROR, "sink %s stopped: %s", s->zName, zErr ? zErr : "error");
    }
    return SQLITE_OK;
}

void ksq_sinks_work(ksqlite *k, const char *zStream)
{
    ksq_runtime *rt = k->rt;
    int64_t now = ksq_monotonic_ms();
    int tick = now - rt->lastSinkWorkMono >= TICK_MS;
    if (!zStream && !tick) return;
    if (tick) rt->lastSinkWorkMono = now;
    for (int i = 0; i < rt->nSink; i++) {
        ksq_sink *s = rt->aSink[i];
        if (s->failed || (zStream && !tick && strcasecmp(s->zStream, zStream) != 0)) continue;
        if (s->zError && now - s->lastTryMono < RETRY_MS) continue;
        char *zErr = NULL;
        int rc = s->kind == KSQ_SINK_FILES ? ksq_files_roll(k, s, 0, &zErr)
                                           : ksq_topic_send(k, s, 0, &zErr);
        if (rc) {
            s->lastTryMono = now;
            sink_error(k, s, zErr ? zErr : sqlite3_errstr(rc), 0);
        } else if (s->zError) {
            sink_error(k, s, NULL, 0); /* recovered */
        }
        sqlite3_free(zErr);
    }
}

int ksq_sinks_flush(ksqlite *k, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int rc = SQLITE_OK;
    for (int i = 0; rt && i < rt->nSink && !rc; i++) {
        ksq_sink *s = rt->aSink[i];
        if (s->failed) continue;
        rc = s->kind == KSQ_SINK_FILES ? ksq_files_roll(k, s, 1, pzErr)
                                       : ksq_topic_send(k, s, 1, pzErr);
        if (rc && *pzErr) {
            char *z = sqlite3_mprintf("sink %s: %s", s->zName, *pzErr);
            sqlite3_free(*pzErr);
            *pzErr = z;
        }
    }
    return rc;
}

void ksq_sinks_free(ksqlite *k)
{
    ksq_runtime *rt = k->rt;
    while (rt && rt->nSink > 0) remove_sink(k, rt->aSink[0]);
    if (rt) {
        sqlite3_free(rt->aSink);
        rt->aSink = NULL;
    }
}
