/*
** catalog.c — the catalog tables and the stream statements.
**
**   ksq_streams       name, topic, format, columns, event-time column, options (JSON)
**   ksq_views         name, stream, the CREATE statement, kind, window, emit, status
**   ksq_progress      per view and partition: next offset, max event time
**   ksq_view_state    per view: watermark, closed windows, counters
**   ksq_dead_letters  messages that did not decode (stream, topic, partition,
**                     offset, stage, error, key, payload), once each
**   ksq_late          events that came after their window closed, per view
**
** Every statement here runs in a savepoint: it changes the database
** completely or not at all. Options are stored as given, `${NAME}`
** references unexpanded, so no secret taken from the environment is stored.
*/
#include "sink.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char catalog_ddl[] =
    "CREATE TABLE IF NOT EXISTS ksq_streams(name TEXT PRIMARY KEY COLLATE NOCASE, topic TEXT NOT "
    "NULL, "
    "format TEXT NOT NULL, columns TEXT NOT NULL, time_column TEXT, watermark_ms INTEGER, options "
    "TEXT NOT NULL, "
    "created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')));\n"
    "CREATE TABLE IF NOT EXISTS ksq_views(name TEXT PRIMARY KEY COLLATE NOCASE, stream TEXT NOT "
    "NULL COLLATE NOCASE, "
    "sql TEXT NOT NULL, kind TEXT NOT NULL, window TEXT, emit TEXT NOT NULL, status TEXT NOT NULL "
    "DEFAULT 'running', "
    "error TEXT, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')));\n"
    "CREATE TABLE IF NOT EXISTS ksq_progress(view TEXT NOT NULL, partition INTEGER NOT NULL, "
    "next_offset INTEGER NOT "
    "NULL, max_event_ms INTEGER, PRIMARY KEY(view, partition)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS ksq_view_state(view TEXT PRIMARY KEY, watermark INTEGER, closed_ws "
    "INTEGER, "
    "events INTEGER, late INTEGER, rows INTEGER, batches INTEGER, updated INTEGER);\n"
    "CREATE TABLE IF NOT EXISTS ksq_dead_letters(id INTEGER PRIMARY KEY, stream TEXT NOT NULL, "
    "topic TEXT NOT NULL, "
    "partition INTEGER NOT NULL, offset INTEGER NOT NULL, timestamp INTEGER, stage TEXT, error "
    "TEXT NOT NULL, "
    "key BLOB, payload BLOB, recorded TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "
    "UNIQUE(stream, partition, offset));\n"
    "CREATE TABLE IF NOT EXISTS ksq_late(id INTEGER PRIMARY KEY, view TEXT NOT NULL, stream TEXT "
    "NOT NULL, "
    "topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, event_time TEXT, "
    "watermark TEXT, "
    "payload BLOB, recorded TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "
    "UNIQUE(view, partition, offset));\n";

int ksq_catalog_exists(ksqlite *k)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(k->db, "SELECT 1 FROM main.sqlite_schema WHERE name = 'ksq_views'", -1,
                           &st, NULL) == SQLITE_OK) {
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

int ksq_catalog_ensure(ksqlite *k, char **pzErr)
{
    if (ksq_catalog_exists(k)) return SQLITE_OK;
    int rc = sqlite3_exec(k->db, catalog_ddl, 0, 0, NULL);
    if (rc) *pzErr = sqlite3_mprintf("cannot create the catalog: %s", sqlite3_errmsg(k->db));
    return rc;
}

/* Run zSql (which may hold several statements) or set *pzErr. */
static int exec_sql(ksqlite *k, const char *zSql, char **pzErr)
{
    if (!zSql) return SQLITE_NOMEM;
    int rc = sqlite3_exec(k->db, zSql, 0, 0, NULL);
    if (rc && !*pzErr) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
    return rc;
}

/* Is zName taken by a table, view or stream? */
static int name_taken(ksqlite *k, const char *zName)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(
            k->db,
            "SELECT 1 FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN "
            "('table','view')",
            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, zName, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

/* The value of a one-text-column query, or NULL. */
static char *query_text(ksqlite *k, const char *zSql, const char *zArg)
{
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(k->db, zSql, -1, &st, NULL) != SQLITE_OK) return NULL;
    if (zArg) sqlite3_bind_text(st, 1, zArg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
}

/* ------------------------------------------------------------------ options as JSON */
static char *options_to_json(const ksq_options *opts)
{
    json_t *a = json_array();
    for (int i = 0; a && i < opts->n; i++) {
        if (!opts->a[i].quoted && strcmp(opts->a[i].key, "columns") == 0) continue;
        json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "key", opts->a[i].key, "value",
                                           opts->a[i].value, "quoted", opts->a[i].quoted));
    }
    char *z = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    char *out = z ? sqlite3_mprintf("%s", z) : NULL;
    free(z);
    return out;
}

static int options_from_json(const char *zJson, ksq_options *opts)
{
    json_t *a = json_loads(zJson, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return SQLITE_CORRUPT;
    }
    int rc = SQLITE_OK;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        const char *key = json_string_value(json_object_get(o, "key"));
        const char *value = json_string_value(json_object_get(o, "value"));
        if (!key || !value) {
            rc = SQLITE_CORRUPT;
            break;
        }
        rc = ksq_options_add(opts, key, value, json_is_true(json_object_get(o, "quoted")));
        if (rc) break;
    }
    json_decref(a);
    return rc;
}

int ksq_catalog_stream(ksqlite *k, const char *zStream, ksq_stream_def *def, char **pzErr)
{
    sqlite3_stmt *st;
    memset(def, 0, sizeof *def);
    int rc = sqlite3_prepare_v2(k->db, "SELECT columns, options FROM ksq_streams WHERE name = ?1",
                                -1, &st, NULL);
    if (rc) {
        *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        return rc;
    }
    sqlite3_bind_text(st, 1, zStream, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        *pzErr = sqlite3_mprintf("no such stream: %s", zStream);
        return SQLITE_ERROR;
    }
    rc = options_from_json((const char *)sqlite3_column_text(st, 1), &def->opts);
    if (!rc)
        rc = ksq_options_add(&def->opts, "columns", (const char *)sqlite3_column_text(st, 0), 0);
    sqlite3_finalize(st);
    if (rc) {
        ksq_options_clear(&def->opts);
        *pzErr = sqlite3_mprintf("the catalog entry of stream %s is damaged", zStream);
        return rc;
    }
    return ksq_stream_def_validate(def, pzErr);
}

int ksq_catalog_is_stream(ksqlite *k, const char *zName)
{
    if (!ksq_catalog_exists(k)) return 0;
    char *z = query_text(k, "SELECT name FROM ksq_streams WHERE name = ?1", zName);
    sqlite3_free(z);
    return z != NULL;
}

/* ------------------------------------------------------------------ rows out */

/* Prepare zSql and hand its rows to xRow (then xRow(NULL) once). */
static int emit_rows(ksqlite *k, const char *zSql, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                     char **pzErr)
{
    sqlite3_stmt *st;
    if (!zSql) return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v2(k->db, zSql, -1, &st, NULL);
    if (rc) {
        *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        return rc;
    }
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (xRow && xRow(pArg, st)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (n > 0 && xRow) xRow(pArg, NULL);
    if (rc != SQLITE_DONE) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ------------------------------------------------------------------ statements */

static int create_stream(ksqlite *k, ksq_stmt *s, char **pzErr)
{
    ksq_stream_def def;
    memset(&def, 0, sizeof def);
    if (ksq_options_get(&s->opts, "columns") && s->zColumns) {
        *pzErr =
            sqlite3_mprintf("give the columns in parentheses or as WITH (columns = ...), not both");
        return SQLITE_ERROR;
    }
    int rc = ksq_catalog_ensure(k, pzErr);
    if (rc) return rc;
    if (name_taken(k, s->zName)) {
        char *zHas = query_text(k, "SELECT 1 FROM ksq_streams WHERE name = ?1", s->zName);
        int isStream = zHas != NULL;
        sqlite3_free(zHas);
        if (s->ifExists && isStream) return SQLITE_OK;
        *pzErr = sqlite3_mprintf("%s %s already exists", isStream ? "stream" : "a table named",
                                 s->zName);
        return SQLITE_ERROR;
    }
    for (int i = 0; i < s->opts.n && !rc; i++) {
        rc = ksq_options_add(&def.opts, s->opts.a[i].key, s->opts.a[i].value, s->opts.a[i].quoted);
    }
    if (!rc && s->zColumns) rc = ksq_options_add(&def.opts, "columns", s->zColumns, 0);
    if (rc) {
        ksq_options_clear(&def.opts);
        return rc;
    }
    rc = ksq_stream_def_validate(&def, pzErr);
    if (rc) return rc;
    rc = ksq_stream_def_resolve(&def, k->zDefaultBrokers, &k->interrupted, pzErr);
    char *zCols = rc ? NULL : ksq_schema_text(&def.schema);
    char *zOptions = rc ? NULL : options_to_json(&def.opts);
    if (!rc && (!zCols || !zOptions)) rc = SQLITE_NOMEM;
    sqlite3_str *args = sqlite3_str_new(NULL);
    for (int i = 0; i < def.opts.n && !rc; i++) {
        const ksq_option *o = &def.opts.a[i];
        if (!o->quoted && strcmp(o->key, "columns") == 0) continue;
        sqlite3_str_appendf(args, o->quoted ? "%Q=%Q, " : "%s=%Q, ", o->key, o->value);
    }
    sqlite3_str_appendf(args, "columns=%Q", zCols ? zCols : "");
    char *zArgs = sqlite3_str_finish(args);
    if (!rc) {
        const char *zTs = def.schema.ts_col >= 0 ? def.schema.cols[def.schema.ts_col].name : NULL;
        char *zSql = sqlite3_mprintf("SAVEPOINT ksq_ddl; CREATE VIRTUAL TABLE \"%w\" USING "
                                     "kafka(%s); INSERT INTO ksq_streams(name, topic, "
                                     "format, columns, time_column, watermark_ms, options) VALUES "
                                     "(%Q, %Q, %Q, %Q, %Q, %lld, %Q); RELEASE ksq_ddl;",
                                     s->zName, zArgs, s->zName, def.zTopic,
                                     def.schema.format == KSQ_FORMAT_CSV ? "csv" : "json", zCols,
                                     zTs, (long long)def.watermarkMs, zOptions);
        rc = exec_sql(k, zSql, pzErr);
        if (rc) sqlite3_exec(k->db, "ROLLBACK TO ksq_ddl; RELEASE ksq_ddl;", 0, 0, NULL);
        sqlite3_free(zSql);
    }
    sqlite3_free(zArgs);
    sqlite3_free(zCols);
    sqlite3_free(zOptions);
    ksq_stream_def_clear(&def);
    return rc;
}

/* A short description of a view's window, e.g. "HOP(1 hour, 1 minute)". */
static char *window_text(const ksq_plan *p)
{
    char a[32], b[32];
    const int64_t units[] = {86400000, 3600000, 60000, 1000, 1};
    const char *names[] = {"day", "hour", "minute", "second", "millisecond"};
    int64_t v[2] = {p->winKind == KSQ_WIN_SESSION ? p->gapMs : p->sizeMs, p->slideMs};
    char *out[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        int u = 0;
        while (u < 4 && v[k] % units[u] != 0) u++;
        long long n = (long long)(v[k] / units[u]);
        snprintf(out[k], 32, "%lld %s%s", n, names[u], n == 1 ? "" : "s");
    }
    switch (p->winKind) {
    case KSQ_WIN_TUMBLE: return sqlite3_mprintf("TUMBLE(%s)", a);
    case KSQ_WIN_HOP: return sqlite3_mprintf("HOP(%s, %s)", a, b);
    case KSQ_WIN_SESSION: return sqlite3_mprintf("SESSION(%s)", a);
    default: return NULL;
    }
}

static int create_view(ksqlite *k, ksq_stmt *s, const char *zSql, int n, char **pzErr, int *pErrOff)
{
    k->nViewsCreated++;
    int rc = ksq_catalog_ensure(k, pzErr);
    if (rc) return rc;
    if (name_taken(k, s->zName)) {
        char *zHas = query_text(k, "SELECT 1 FROM ksq_views WHERE name = ?1", s->zName);
        int isView = zHas != NULL;
        sqlite3_free(zHas);
        if (s->ifExists && isView) return SQLITE_OK;
        *pzErr =
            sqlite3_mprintf("%s %s already exists", isView ? "view" : "a table named", s->zName);
        return SQLITE_ERROR;
    }
    /* The stored definition is the statement as written, without ';'. */
    while (n > 0 && (zSql[n - 1] == ';' || zSql[n - 1] == ' ' || zSql[n - 1] == '\n' ||
                     zSql[n - 1] == '\t' || zSql[n - 1] == '\r'))
        n--;
    char *zDef = sqlite3_mprintf("%.*s", n, zSql);
    if (!zDef) return SQLITE_NOMEM;
    rc = sqlite3_exec(k->db, "SAVEPOINT ksq_ddl", 0, 0, NULL);
    ksq_view *v = NULL;
    if (!rc) rc = ksq_view_compile(k, s->zName, zDef, KSQ_VIEW_CREATE, &v, pzErr, pErrOff);
    if (!rc) {
        char *zWindow = window_text(&v->plan);
        char *zIns = sqlite3_mprintf(
            "INSERT INTO ksq_views(name, stream, sql, kind, window, emit) VALUES (%Q, %Q, %Q, %Q, "
            "%Q, %Q)",
            s->zName, v->zStream, zDef, v->plan.kind == KSQ_VIEW_APPEND ? "append" : "aggregate",
            zWindow, v->plan.emit == KSQ_EMIT_FINAL ? "FINAL" : "CHANGES");
        rc = exec_sql(k, zIns, pzErr);
        sqlite3_free(zIns);
        sqlite3_free(zWindow);
    }
    if (!rc) rc = exec_sql(k, "RELEASE ksq_ddl", pzErr);
    if (rc) {
        ksq_view_free(k, v);
        sqlite3_exec(k->db, "ROLLBACK TO ksq_ddl; RELEASE ksq_ddl;", 0, 0, NULL);
    } else {
        rc = ksq_runtime_add_view(k, v);
        if (rc) ksq_view_free(k, v);
    }
    sqlite3_free(zDef);
    return rc;
}

/* ALTER STREAM name SET (key = value, ...): change the options that only
** steer the views at run time. The stream's views are reloaded with them (a
** view stopped by an error gets another chance). */
static int alter_stream(ksqlite *k, ksq_stmt *s, char **pzErr)
{
    static const char *const azAllowed[] = {"on_gap", "idle_timeout", "stall_timeout",
                                            "max_future"};
    char *zHas = ksq_catalog_exists(k)
                     ? query_text(k, "SELECT name FROM ksq_streams WHERE name = ?1", s->zName)
                     : NULL;
    if (!zHas) {
        *pzErr = sqlite3_mprintf("no such stream: %s", s->zName);
        return SQLITE_ERROR;
    }
    for (int i = 0; i < s->opts.n; i++) {
        int ok = !s->opts.a[i].quoted;
        for (size_t j = 0; ok && j < sizeof azAllowed / sizeof azAllowed[0]; j++) {
            if (strcmp(s->opts.a[i].key, azAllowed[j]) == 0) ok = 2;
        }
        if (ok != 2) {
            *pzErr = sqlite3_mprintf("ALTER STREAM can set on_gap, idle_timeout, stall_timeout "
                                     "and max_future, not %s",
                                     s->opts.a[i].key);
            sqlite3_free(zHas);
            return SQLITE_ERROR;
        }
    }
    ksq_stream_def def;
    int rc = ksq_catalog_stream(k, zHas, &def, pzErr);
    ksq_options merged;
    memset(&merged, 0, sizeof merged);
    /* The stored options with the new values in place of the old. */
    for (int i = 0; !rc && i < def.opts.n; i++) {
        const ksq_option *o = &def.opts.a[i];
        int replaced = 0;
        for (int j = 0; j < s->opts.n; j++)
            replaced |= !o->quoted && !strcmp(o->key, s->opts.a[j].key);
        if (!replaced) rc = ksq_options_add(&merged, o->key, o->value, o->quoted);
    }
    for (int j = 0; !rc && j < s->opts.n; j++)
        rc = ksq_options_add(&merged, s->opts.a[j].key, s->opts.a[j].value, 0);
    ksq_stream_def_clear(&def);
    if (!rc) {
        ksq_stream_def check;
        memset(&check, 0, sizeof check);
        for (int i = 0; !rc && i < merged.n; i++)
            rc = ksq_options_add(&check.opts, merged.a[i].key, merged.a[i].value,
                                 merged.a[i].quoted);
        if (!rc) rc = ksq_stream_def_validate(&check, pzErr);
        if (!rc) ksq_stream_def_clear(&check);
    }
    char *zOptions = rc ? NULL : options_to_json(&merged);
    if (!rc && !zOptions) rc = SQLITE_NOMEM;
    if (!rc) {
        char *z =
            sqlite3_mprintf("UPDATE ksq_streams SET options = %Q WHERE name = %Q; UPDATE "
                            "ksq_views SET status = 'running', error = NULL WHERE stream = %Q",
                            zOptions, zHas, zHas);
        rc = exec_sql(k, z, pzErr);
        sqlite3_free(z);
    }
    if (!rc) ksq_runtime_reload_stream(k, zHas);
    sqlite3_free(zOptions);
    ksq_options_clear(&merged);
    sqlite3_free(zHas);
    return rc;
}

static int drop_view(ksqlite *k, ksq_stmt *s, char **pzErr)
{
    char *zHas = ksq_catalog_exists(k)
                     ? query_text(k, "SELECT name FROM ksq_views WHERE name = ?1", s->zName)
                     : NULL;
    if (!zHas) {
        if (s->ifExists) return SQLITE_OK;
        *pzErr = sqlite3_mprintf("no such materialized view: %s", s->zName);
        return SQLITE_ERROR;
    }
    const char *zSink = ksq_sink_of_view(k, zHas);
    if (zSink) {
        *pzErr = sqlite3_mprintf("view %s feeds sink %s; drop the sink first", zHas, zSink);
        sqlite3_free(zHas);
        return SQLITE_ERROR;
    }
    ksq_tap_forget(k, zHas);
    ksq_runtime_remove_view(k, zHas);
    /* EMIT CHANGES views are an SQL view over "ksq_r_<name>". */
    char *zType = query_text(k, "SELECT type FROM main.sqlite_schema WHERE name = ?1", zHas);
    int isSqlView = zType && strcmp(zType, "view") == 0;
    sqlite3_free(zType);
    char *zSql = sqlite3_mprintf(
        "SAVEPOINT ksq_ddl; DROP %s IF EXISTS \"%w\"; DROP TABLE IF EXISTS \"ksq_r_%w\"; "
        "DROP TABLE IF EXISTS \"ksq_s_%w\"; "
        "DROP TABLE IF EXISTS \"ksq_d_%w\"; DROP TABLE IF EXISTS temp.\"ksq_b_%w\"; "
        "DROP TABLE IF EXISTS temp.\"ksq_n_%w\"; DELETE FROM ksq_views WHERE name = %Q; "
        "DELETE FROM ksq_progress WHERE view = %Q; DELETE FROM ksq_view_state WHERE view = %Q; "
        "DELETE FROM ksq_late WHERE view = %Q; RELEASE ksq_ddl;",
        isSqlView ? "VIEW" : "TABLE", zHas, zHas, zHas, zHas, zHas, zHas, zHas, zHas, zHas, zHas);
    int rc = exec_sql(k, zSql, pzErr);
    if (rc) sqlite3_exec(k->db, "ROLLBACK TO ksq_ddl; RELEASE ksq_ddl;", 0, 0, NULL);
    sqlite3_free(zSql);
    sqlite3_free(zHas);
    return rc;
}

static int drop_stream(ksqlite *k, ksq_stmt *s, char **pzErr)
{
    char *zHas = ksq_catalog_exists(k)
                     ? query_text(k, "SELECT name FROM ksq_streams WHERE name = ?1", s->zName)
                     : NULL;
    if (!zHas) {
        if (s->ifExists) return SQLITE_OK;
        *pzErr = sqlite3_mprintf("no such stream: %s", s->zName);
        return SQLITE_ERROR;
    }
    char *zUser =
        query_text(k, "SELECT group_concat(name, ', ') FROM ksq_views WHERE stream = ?1", zHas);
    if (zUser) {
        *pzErr = sqlite3_mprintf("stream %s is read by %s; drop those views first", zHas, zUser);
        sqlite3_free(zUser);
        sqlite3_free(zHas);
        return SQLITE_ERROR;
    }
    char *zSql = sqlite3_mprintf(
        "SAVEPOINT ksq_ddl; DROP TABLE IF EXISTS \"%w\"; DELETE FROM ksq_streams WHERE name = %Q; "
        "DELETE FROM ksq_dead_letters WHERE stream = %Q; RELEASE ksq_ddl;",
        zHas, zHas, zHas);
    int rc = exec_sql(k, zSql, pzErr);
    if (rc) sqlite3_exec(k->db, "ROLLBACK TO ksq_ddl; RELEASE ksq_ddl;", 0, 0, NULL);
    sqlite3_free(zSql);
    sqlite3_free(zHas);
    return rc;
}

static int show_streams(ksqlite *k, int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr)
{
    if (!ksq_catalog_exists(k)) return SQLITE_OK;
    return emit_rows(k,
                     "SELECT s.name, s.topic, s.format, coalesce(s.time_column, '(kafka "
                     "timestamp)') AS event_time, "
                     "s.watermark_ms / 1000.0 AS watermark_s, (SELECT count(*) FROM ksq_views v "
                     "WHERE v.stream = s.name) "
                     "AS views, (SELECT count(*) FROM ksq_dead_letters d WHERE d.stream = s.name) "
                     "AS dead_letters, "
                     "s.columns FROM ksq_streams s ORDER BY s.name",
                     xRow, pArg, pzErr);
}

static int show_views(ksqlite *k, int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr)
{
    if (!ksq_catalog_exists(k)) return SQLITE_OK;
    return emit_rows(
        k,
        "SELECT v.name, v.stream, coalesce(v.window, CASE v.kind WHEN 'append' THEN 'filter' ELSE "
        "'group' "
        "END) AS window, v.emit, CASE WHEN v.status = 'failed' AND ksq_view_info(v.name, "
        "'committed') = 0 THEN 'failed' ELSE ksq_view_info(v.name, 'status') END AS status, "
        "st.events, st.rows, "
        "st.late, "
        "ksq_view_info(v.name, 'lag') AS lag, ksq_time(st.watermark) AS watermark, "
        "ksq_view_info(v.name, 'rate') AS events_per_s, ksq_time(st.updated) AS last_commit, "
        "coalesce(ksq_view_info(v.name, 'error'), v.error) AS error "
        "FROM ksq_views v LEFT JOIN ksq_view_state st ON st.view = v.name ORDER BY v.name",
        xRow, pArg, pzErr);
}

static int describe(ksqlite *k, ksq_stmt *s, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                    char **pzErr)
{
    char *zStream = ksq_catalog_exists(k)
                        ? query_text(k, "SELECT name FROM ksq_streams WHERE name = ?1", s->zName)
                        : NULL;
    if (zStream) {
        ksq_stream_def def;
        int rc = ksq_catalog_stream(k, zStream, &def, pzErr);
        sqlite3_free(zStream);
        if (rc) return rc;
        sqlite3_str *q = sqlite3_str_new(NULL);
        sqlite3_str_appendall(q, "SELECT column1 AS column, column2 AS type, column3 AS path, "
                                 "column4 AS note FROM (VALUES ");
        for (int i = 0; i < def.schema.ncol; i++) {
            const ksq_column *c = &def.schema.cols[i];
            sqlite3_str_appendf(q, "%s(%Q, %Q, %Q, %Q)", i ? ", " : "", c->name,
                                ksq_type_name(c->type), c->path,
                                i == def.schema.ts_col ? "event time" : NULL);
        }
        sqlite3_str_appendall(q, ")");
        char *zSql = sqlite3_str_finish(q);
        ksq_stream_def_clear(&def);
        rc = emit_rows(k, zSql, xRow, pArg, pzErr);
        sqlite3_free(zSql);
        return rc;
    }
    if (!name_taken(k, s->zName)) {
        *pzErr = sqlite3_mprintf("no such stream, view or table: %s", s->zName);
        return SQLITE_ERROR;
    }
    char *zSql = sqlite3_mprintf(
        "SELECT name AS column, type, CASE WHEN pk THEN 'primary key' END AS note FROM "
        "pragma_table_info(%Q) WHERE name <> '_ksq_key'",
        s->zName);
    int rc = emit_rows(k, zSql, xRow, pArg, pzErr);
    sqlite3_free(zSql);
    return rc;
}

static int explain_view(ksqlite *k, ksq_stmt *s, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                        char **pzErr)
{
    ksq_view *v = ksq_runtime_view(k, s->zName);
    if (!v) {
        *pzErr = sqlite3_mprintf("no such materialized view: %s", s->zName);
        return SQLITE_ERROR;
    }
    const ksq_plan *p = &v->plan;
    char *zWindow = window_text(p);
    char *zPanes =
        p->winKind == KSQ_WIN_TUMBLE || p->winKind == KSQ_WIN_HOP
            ? sqlite3_mprintf(
                  "state kept per group and pane of %lld ms; each event updates one pane",
                  (long long)p->paneMs)
            : NULL;
    struct {
        const char *step;
        const char *text;
    } rows[] = {
        {"stream", v->zStream},
        {"kind", p->kind == KSQ_VIEW_APPEND ? "append: each batch's rows are inserted"
                                            : "aggregate: partial state per group"},
        {"window", zWindow},
        {"panes", zPanes},
        {"emit", p->emit == KSQ_EMIT_FINAL
                     ? "FINAL: one row per group and window once the watermark passes its end"
                     : "CHANGES: rows are upserted after every batch that changes them"},
        {"create state", p->zCreateState},
        {"create result", p->zCreateResult},
        {"feed", p->zFeed},
        {"feed distinct", p->zFeedDistinct},
        {"merge sessions", p->zSessionMerge},
        {"emit changes", p->zChangesInsert},
        {"emit final", p->zEmitFinal},
        {"drop closed state", p->zDeleteClosed},
    };
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendall(q, "SELECT column1 AS step, column2 AS detail FROM (VALUES ");
    int n = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (!rows[i].text) continue;
        sqlite3_str_appendf(q, "%s(%Q, %Q)", n++ ? ", " : "", rows[i].step, rows[i].text);
    }
    sqlite3_str_appendall(q, ")");
    char *zSql = sqlite3_str_finish(q);
    int rc = emit_rows(k, zSql, xRow, pArg, pzErr);
    sqlite3_free(zSql);
    sqlite3_free(zWindow);
    sqlite3_free(zPanes);
    return rc;
}

/* ksq_view_info(view, what): live figures of a running view. */
static void fn_view_info(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ksqlite *k = sqlite3_user_data(ctx);
    const char *zName = (const char *)sqlite3_value_text(argv[0]);
    const char *zWhat = (const char *)sqlite3_value_text(argv[1]);
    if (!zName || !zWhat) return;
    ksq_view *v = ksq_runtime_view(k, zName);
    if (strcmp(zWhat, "status") == 0) {
        ksq_source *src = v ? ksq_runtime_source(k, v->zStream) : NULL;
        sqlite3_result_text(ctx,
                            !v                                                   ? "not loaded"
                            : v->failed                                          ? "failed"
                            : src && ksq_source_stalled(src, ksq_monotonic_ms()) ? "stalled"
                                                                                 : "running",
                            -1, SQLITE_STATIC);
    } else if (!v) {
        return;
    } else if (strcmp(zWhat, "lag") == 0) {
        int64_t lag = ksq_view_lag(v, ksq_runtime_source(k, v->zStream));
        if (lag >= 0) sqlite3_result_int64(ctx, lag);
    } else if (strcmp(zWhat, "committed") == 0) {
        sqlite3_result_int(ctx, v->lastCommitWall > 0); /* in this process */
    } else if (strcmp(zWhat, "rate") == 0) {
        sqlite3_result_double(ctx, v->rate);
    } else if (strcmp(zWhat, "error") == 0 && v->zError) {
        sqlite3_result_text(ctx, v->zError, -1, SQLITE_TRANSIENT);
    }
}

int ksq_catalog_register(sqlite3 *db, ksqlite *k)
{
    return sqlite3_create_function(db, "ksq_view_info", 2, SQLITE_UTF8, k, fn_view_info, 0, 0);
}

int ksq_catalog_exec(ksqlite *k, ksq_stmt *st, const char *zSql, int nSql,
                     int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr, int *pErrOff)
{
    *pErrOff = -1;
    switch (st->kind) {
    case KSQ_STMT_CREATE_STREAM: return create_stream(k, st, pzErr);
    case KSQ_STMT_CREATE_VIEW: return create_view(k, st, zSql, nSql, pzErr, pErrOff);
    case KSQ_STMT_DROP_STREAM: return drop_stream(k, st, pzErr);
    case KSQ_STMT_ALTER_STREAM: return alter_stream(k, st, pzErr);
    case KSQ_STMT_DROP_VIEW: return drop_view(k, st, pzErr);
    case KSQ_STMT_SHOW_STREAMS: return show_streams(k, xRow, pArg, pzErr);
    case KSQ_STMT_SHOW_VIEWS: return show_views(k, xRow, pArg, pzErr);
    case KSQ_STMT_DESCRIBE: return describe(k, st, xRow, pArg, pzErr);
    case KSQ_STMT_EXPLAIN_VIEW: return explain_view(k, st, xRow, pArg, pzErr);
    case KSQ_STMT_CREATE_SINK:
    case KSQ_STMT_DROP_SINK:
    case KSQ_STMT_SHOW_SINKS:
    case KSQ_STMT_COMPACT_SINK:
    case KSQ_STMT_EXPORT: return ksq_sink_exec(k, st, zSql, nSql, xRow, pArg, pzErr, pErrOff);
    default:
        *pzErr = sqlite3_mprintf("this statement is not supported here yet");
        return SQLITE_ERROR;
    }
}
