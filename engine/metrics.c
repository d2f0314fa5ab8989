/*
** metrics.c — what the engine is doing, as figures: the ksq_metrics table
** and the Prometheus text exposition (metrics_http.c serves it).
**
**   SELECT metric, stream, partition, value FROM ksq_metrics
**    WHERE metric = 'ksqlite_stream_partition_lag';
**
** One row per sample: the metric's name, type and help, its labels (stream,
** view, sink, partition, quantile; NULL when they do not apply) and its
** value. Per stream and partition: offsets, high-water marks, lag, events,
** bytes, dead letters, event time; per stream: rates, whether its input
** stalled; per view: state, events, rows emitted, late events, lag,
** watermark, open windows, state bytes, commit latency, last commit; per
** sink: files, rows, bytes, what it buffers. Counters count this process's
** run unless their help says they are stored in the database.
*/
#include "sink.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct ksq_metric {
    const char *zName;                               /* metric name */
    const char *zType;                               /* counter, gauge or summary */
    const char *zHelp;                               /* one line */
    const char *zStream, *zView, *zSink, *zQuantile; /* labels, NULL if none */
    int partition;                                   /* label, -1 if none */
    double value;
} ksq_metric;

/* Collected samples (labels are copies). */
typedef struct metric_list {
    ksq_metric *a;
    int n, nAlloc;
    int oom;
} metric_list;

static char *dup_or_null(const char *z)
{
    return z ? sqlite3_mprintf("%s", z) : NULL;
}

static void add(metric_list *l, const char *zName, const char *zType, const char *zHelp,
                const char *zStream, const char *zView, const char *zSink, int partition,
                const char *zQuantile, double value)
{
    if (l->oom) return;
    if (l->n == l->nAlloc) {
        int cap = l->nAlloc ? l->nAlloc * 2 : 64;
        ksq_metric *a = sqlite3_realloc64(l->a, sizeof(ksq_metric) * (size_t)cap);
        if (!a) {
            l->oom = 1;
            return;
        }
        l->a = a;
        l->nAlloc = cap;
    }
    ksq_metric *m = &l->a[l->n++];
    m->zName = zName;
    m->zType = zType;
    m->zHelp = zHelp;
    m->zStream = dup_or_null(zStream);
    m->zView = dup_or_null(zView);
    m->zSink = dup_or_null(zSink);
    m->zQuantile = zQuantile;
    m->partition = partition;
    m->value = value;
}

static void list_free(metric_list *l)
{
    for (int i = 0; i < l->n; i++) {
        sqlite3_free((char *)l->a[i].zStream);
        sqlite3_free((char *)l->a[i].zView);
        sqlite3_free((char *)l->a[i].zSink);
    }
    sqlite3_free(l->a);
    memset(l, 0, sizeof *l);
}

/* An integer query with one text parameter; -1 if it fails or is NULL. */
static int64_t query_int(ksqlite *k, const char *zSql, const char *zArg)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(k->db, zSql, -1, &st, NULL) != SQLITE_OK) return -1;
    if (zArg) sqlite3_bind_text(st, 1, zArg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The q-quantile of the view's recent batch durations, in seconds. */
static double commit_quantile(const ksq_view *v, double q)
{
    int n = v->nCommit < 64 ? v->nCommit : 64;
    if (n == 0) return NAN;
    int64_t a[64];
    memcpy(a, v->commitUs, sizeof(int64_t) * (size_t)n);
    for (int i = 1; i < n; i++) { /* insertion sort: 64 at most */
        int64_t x = a[i];
        int j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
    int idx = (int)ceil(q * n) - 1;
    if (idx < 0) idx = 0;
    return (double)a[idx] / 1e6;
}

/* The committed offset of a partition: the smallest next offset of the
** stream's running views, or -1 if none has one. */
static int64_t committed(ksqlite *k, const char *zStream, int32_t part)
{
    ksq_runtime *rt = k->rt;
    int64_t c = -1;
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || v->transient || strcasecmp(v->zStream, zStream) != 0) continue;
        for (int j = 0; j < v->wm.nPart; j++) {
            if (v->wm.aPart[j].id == part && (c < 0 || v->wm.aPart[j].next < c))
                c = v->wm.aPart[j].next;
        }
    }
    return c;
}

/* The largest event time any view saw in a partition, or KSQ_NO_TIME. */
static int64_t event_time(ksqlite *k, const char *zStream, int32_t part)
{
    ksq_runtime *rt = k->rt;
    int64_t t = KSQ_NO_TIME;
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (strcasecmp(v->zStream, zStream) != 0) continue;
        for (int j = 0; j < v->wm.nPart; j++) {
            if (v->wm.aPart[j].id == part && v->wm.aPart[j].maxEvent > t)
                t = v->wm.aPart[j].maxEvent;
        }
    }
    return t;
}

static void collect_streams(ksqlite *k, metric_list *l, int64_t now)
{
    ksq_runtime *rt = k->rt;
    for (int s = 0; s < rt->nSource; s++) {
        ksq_source *src = rt->aSource[s];
        const char *S = src->zStream;
        int64_t nEvents = 0, nBytes = 0;
        for (int i = 0; i < src->nPart; i++) {
            const ksq_source_part *p = &src->aPart[i];
            int64_t c = committed(k, S, p->id), t = event_time(k, S, p->id);
            add(l, "ksqlite_stream_partition_offset", "gauge",
                "next offset the stream's consumer reads in the partition", S, NULL, NULL, p->id,
                NULL, (double)p->position);
            if (p->hwm >= 0) {
                add(l, "ksqlite_stream_partition_high_watermark", "gauge",
                    "the partition's high-water mark, as last seen", S, NULL, NULL, p->id, NULL,
                    (double)p->hwm);
                int64_t base = c >= 0 ? c : p->position;
                if (base >= 0)
                    add(l, "ksqlite_stream_partition_lag", "gauge",
                        "messages between the views' committed offset and the high-water mark", S,
                        NULL, NULL, p->id, NULL, (double)(p->hwm > base ? p->hwm - base : 0));
            }
            if (c >= 0)
                add(l, "ksqlite_stream_partition_committed_offset", "gauge",
                    "the smallest next offset the stream's views have committed", S, NULL, NULL,
                    p->id, NULL, (double)c);
            add(l, "ksqlite_stream_partition_events_total", "counter",
                "messages consumed from the partition", S, NULL, NULL, p->id, NULL,
                (double)p->nEvents);
            add(l, "ksqlite_stream_partition_bytes_total", "counter",
                "payload bytes consumed from the partition", S, NULL, NULL, p->id, NULL,
                (double)p->nBytes);
            add(l, "ksqlite_stream_partition_dead_letters_total", "counter",
                "messages that went to ksq_dead_letters (undecodable, no or a future event time)",
                S, NULL, NULL, p->id, NULL, (double)p->nDead);
            if (t != KSQ_NO_TIME)
                add(l, "ksqlite_stream_partition_event_time_ms", "gauge",
                    "the largest event time seen in the partition (epoch ms)", S, NULL, NULL, p->id,
                    NULL, (double)t);
            nEvents += p->nEvents;
            nBytes += p->nBytes;
        }
        /* Rates over the time since the figures were last sampled (>= 1 s). */
        if (src->rateAtMs == 0) {
            src->rateAtMs = now;
            src->rateEvents = nEvents;
            src->rateBytes = nBytes;
        } else if (now - src->rateAtMs >= 1000) {
            double secs = (double)(now - src->rateAtMs) / 1000.0;
            src->eventsPerSec = (double)(nEvents - src->rateEvents) / secs;
            src->bytesPerSec = (double)(nBytes - src->rateBytes) / secs;
            src->rateAtMs = now;
            src->rateEvents = nEvents;
            src->rateBytes = nBytes;
        }
        add(l, "ksqlite_stream_events_per_second", "gauge", "messages consumed per second", S, NULL,
            NULL, -1, NULL, src->eventsPerSec);
        add(l, "ksqlite_stream_bytes_per_second", "gauge", "payload bytes consumed per second", S,
            NULL, NULL, -1, NULL, src->bytesPerSec);
        add(l, "ksqlite_stream_stalled", "gauge",
            "1 when no message arrived on any partition for the stream's stall_timeout", S, NULL,
            NULL, -1, NULL, ksq_source_stalled(src, now));
        int64_t dl = query_int(k, "SELECT count(*) FROM ksq_dead_letters WHERE stream = ?1", S);
        if (dl >= 0)
            add(l, "ksqlite_stream_dead_letters", "gauge",
                "rows in ksq_dead_letters for the stream (stored in the database)", S, NULL, NULL,
                -1, NULL, (double)dl);
    }
}

static void collect_views(ksqlite *k, metric_list *l, int64_t now)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->transient) continue;
        const char *V = v->zName, *S = v->zStream;
        ksq_source *src = ksq_runtime_source(k, S);
        add(l, "ksqlite_view_up", "gauge", "1 while the view runs, 0 when an error stopped it", S,
            V, NULL, -1, NULL, !v->failed);
        add(l, "ksqlite_view_stalled", "gauge",
            "1 when the view's stream has had no message for its stall_timeout", S, V, NULL, -1,
            NULL, src && ksq_source_stalled(src, now));
        add(l, "ksqlite_view_events_total", "counter",
            "events the view took (stored in the database)", S, V, NULL, -1, NULL,
            (double)v->nEvents);
        add(l, "ksqlite_view_rows_emitted_total", "counter",
            "rows the view emitted into its table (stored in the database)", S, V, NULL, -1, NULL,
            (double)v->nRows);
        add(l, "ksqlite_view_late_events_total", "counter",
            "late events, in ksq_late (stored in the database)", S, V, NULL, -1, NULL,
            (double)v->nLate);
        add(l, "ksqlite_view_batches_total", "counter", "batches the view processed", S, V, NULL,
            -1, NULL, (double)v->nBatches);
        int64_t lag = ksq_view_lag(v, src);
        if (lag >= 0)
            add(l, "ksqlite_view_lag", "gauge", "messages the view has still to read", S, V, NULL,
                -1, NULL, (double)lag);
        if (v->wm.wm != KSQ_NO_TIME)
            add(l, "ksqlite_view_watermark_ms", "gauge", "the view's watermark (epoch ms)", S, V,
                NULL, -1, NULL, (double)v->wm.wm);
        add(l, "ksqlite_view_events_per_second", "gauge", "events the view takes per second", S, V,
            NULL, -1, NULL, v->rate);
        if (v->plan.kind == KSQ_VIEW_AGGREGATE) {
            char *z = sqlite3_mprintf("SELECT count(*) FROM main.\"ksq_s_%w\"", V);
            int64_t n = z ? query_int(k, z, NULL) : -1;
            sqlite3_free(z);
            if (n >= 0)
                add(l, "ksqlite_view_open_windows", "gauge",
                    "partial states kept: one per group and open window (or pane)", S, V, NULL, -1,
                    NULL, (double)n);
            z = sqlite3_mprintf("SELECT sum(pgsize) FROM dbstat('main', 1) WHERE name LIKE "
                                "'ksq\\_s\\_%q%%' ESCAPE '\\' OR name LIKE 'ksq\\_d\\_%q%%' "
                                "ESCAPE '\\'",
                                V, V);
            n = z ? query_int(k, z, NULL) : -1;
            sqlite3_free(z);
            if (n >= 0)
                add(l, "ksqlite_view_state_bytes", "gauge",
                    "bytes of the view's state tables and indexes in the database", S, V, NULL, -1,
                    NULL, (double)n);
        }
        double p50 = commit_quantile(v, 0.5), p99 = commit_quantile(v, 0.99);
        if (!isnan(p50)) {
            add(l, "ksqlite_view_commit_seconds", "summary",
                "time to process and commit a batch, over the last 64 batches", S, V, NULL, -1,
                "0.5", p50);
            add(l, "ksqlite_view_commit_seconds", "summary",
                "time to process and commit a batch, over the last 64 batches", S, V, NULL, -1,
                "0.99", p99);
        }
        if (v->lastCommitWall > 0)
            add(l, "ksqlite_view_last_commit_timestamp_seconds", "gauge",
                "when the view last committed (Unix time)", S, V, NULL, -1, NULL,
                (double)v->lastCommitWall / 1000.0);
    }
}

static void collect_sinks(ksqlite *k, metric_list *l)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nSink; i++) {
        ksq_sink *s = rt->aSink[i];
        const char *N = s->zName, *V = s->zView;
        add(l, "ksqlite_sink_up", "gauge", "1 unless an error stopped the sink", NULL, V, N, -1,
            NULL, !s->failed);
        add(l, "ksqlite_sink_retrying", "gauge",
            "1 while the sink retries a write or send that failed", NULL, V, N, -1, NULL,
            !s->failed && s->zError != NULL);
        if (s->kind == KSQ_SINK_FILES) {
            static const char *const q[3] = {
                "SELECT count(*) FROM ksq_sink_files WHERE sink = ?1 AND state = 'published'",
                "SELECT coalesce(sum(rows), 0) FROM ksq_sink_files WHERE sink = ?1 AND state = "
                "'published'",
                "SELECT coalesce(sum(bytes), 0) FROM ksq_sink_files WHERE sink = ?1 AND state = "
                "'published'"};
            add(l, "ksqlite_sink_files", "gauge", "files published (stored in the database)", NULL,
                V, N, -1, NULL, (double)query_int(k, q[0], N));
            add(l, "ksqlite_sink_rows", "gauge",
                "rows in the published files (stored in the database)", NULL, V, N, -1, NULL,
                (double)query_int(k, q[1], N));
            add(l, "ksqlite_sink_bytes", "gauge",
                "bytes of the published files (stored in the database)", NULL, V, N, -1, NULL,
                (double)query_int(k, q[2], N));
        } else {
            add(l, "ksqlite_sink_rows", "gauge",
                "rows delivered to the topic (stored in the database)", NULL, V, N, -1, NULL,
                (double)query_int(k, "SELECT sent FROM ksq_sinks WHERE name = ?1", N));
        }
        char *z = sqlite3_mprintf("SELECT count(*) FROM main.\"ksq_k_%w\"", N);
        int64_t n = z ? query_int(k, z, NULL) : -1;
        sqlite3_free(z);
        if (n >= 0)
            add(l, "ksqlite_sink_buffered_rows", "gauge",
                "rows waiting in the sink's buffer (files) or outbox (topics)", NULL, V, N, -1,
                NULL, (double)n);
    }
}

/* Every sample, grouped by metric name (stable within a name). */
static void collect(ksqlite *k, metric_list *l)
{
    memset(l, 0, sizeof *l);
    if (!k->rt) return;
    int64_t now = ksq_monotonic_ms();
    collect_streams(k, l, now);
    collect_views(k, l, now);
    collect_sinks(k, l);
    /* insertion sort by name keeps each object's order; lists are small */
    for (int i = 1; i < l->n; i++) {
        ksq_metric m = l->a[i];
        int j = i;
        while (j > 0 && strcmp(l->a[j - 1].zName, m.zName) > 0) {
            l->a[j] = l->a[j - 1];
            j--;
        }
        l->a[j] = m;
    }
}

/* ------------------------------------------------------------------ Prometheus text */

static void label(sqlite3_str *s, int *pFirst, const char *zName, const char *zValue)
{
    if (!zValue) return;
    sqlite3_str_appendf(s, "%s%s=\"", *pFirst ? "{" : ",", zName);
    *pFirst = 0;
    for (const char *p = zValue; *p; p++) {
        if (*p == '\\' || *p == '"') {
            sqlite3_str_appendchar(s, 1, '\\');
            sqlite3_str_appendchar(s, 1, *p);
        } else if (*p == '\n') {
            sqlite3_str_appendall(s, "\\n");
        } else {
            sqlite3_str_appendchar(s, 1, *p);
        }
    }
    sqlite3_str_appendchar(s, 1, '"');
}

char *ksq_metrics_prometheus(ksqlite *k)
{
    metric_list l;
    collect(k, &l);
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int i = 0; i < l.n; i++) {
        const ksq_metric *m = &l.a[i];
        if (i == 0 || strcmp(l.a[i - 1].zName, m->zName) != 0)
            sqlite3_str_appendf(s, "# HELP %s %s\n# TYPE %s %s\n", m->zName, m->zHelp, m->zName,
                                m->zType);
        sqlite3_str_appendall(s, m->zName);
        int first = 1;
        char part[16];
        snprintf(part, sizeof part, "%d", m->partition);
        label(s, &first, "stream", m->zStream);
        label(s, &first, "view", m->zView);
        label(s, &first, "sink", m->zSink);
        label(s, &first, "partition", m->partition >= 0 ? part : NULL);
        label(s, &first, "quantile", m->zQuantile);
        if (!first) sqlite3_str_appendchar(s, 1, '}');
        if (m->value == floor(m->value) && fabs(m->value) < 9e15) {
            sqlite3_str_appendf(s, " %lld\n", (long long)m->value);
        } else if (isnan(m->value)) {
            sqlite3_str_appendall(s, " NaN\n");
        } else {
            /* the shortest form that reads back the same */
            char buf[40];
            for (int prec = 6; prec <= 17; prec++) {
                snprintf(buf, sizeof buf, "%.*g", prec, m->value);
                if (strtod(buf, NULL) == m->value) break;
            }
            sqlite3_str_appendf(s, " %s\n", buf);
        }
    }
    list_free(&l);
    return sqlite3_str_finish(s);
}

/* ------------------------------------------------------------------ the ksq_metrics table */

typedef struct metrics_cursor {
    sqlite3_vtab_cursor base; /* base class: must be first */
    metric_list l;            /* the samples, taken when the scan starts */
    int i;                    /* current sample */
} metrics_cursor;

typedef struct metrics_vtab {
    sqlite3_vtab base; /* base class: must be first */
    ksqlite *k;        /* the engine */
} metrics_vtab;

enum {
    MC_METRIC,
    MC_TYPE,
    MC_HELP,
    MC_STREAM,
    MC_VIEW,
    MC_SINK,
    MC_PARTITION,
    MC_QUANTILE,
    MC_VALUE
};

static int metrics_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                           sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)argc;
    (void)argv;
    (void)pzErr;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(metric TEXT, type TEXT, help TEXT, stream "
                                      "TEXT, view TEXT, sink TEXT, partition INTEGER, quantile "
                                      "TEXT, value REAL)");
    if (rc) return rc;
    metrics_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->k = pAux;
    *ppVtab = &vt->base;
    return SQLITE_OK;
}

static int metrics_disconnect(sqlite3_vtab *pVtab)
{
    sqlite3_free(pVtab);
    return SQLITE_OK;
}

static int metrics_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info)
{
    (void)pVtab;
    info->estimatedCost = 1000;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int metrics_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur)
{
    (void)pVtab;
    metrics_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *ppCur = &c->base;
    return SQLITE_OK;
}

static int metrics_close(sqlite3_vtab_cursor *pCur)
{
    metrics_cursor *c = (metrics_cursor *)pCur;
    list_free(&c->l);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int metrics_filter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc,
                          sqlite3_value **argv)
{
    (void)idxNum;
    (void)idxStr;
    (void)argc;
    (void)argv;
    metrics_cursor *c = (metrics_cursor *)pCur;
    list_free(&c->l);
    collect(((metrics_vtab *)pCur->pVtab)->k, &c->l);
    c->i = 0;
    return c->l.oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int metrics_next(sqlite3_vtab_cursor *pCur)
{
    ((metrics_cursor *)pCur)->i++;
    return SQLITE_OK;
}

static int metrics_eof(sqlite3_vtab_cursor *pCur)
{
    metrics_cursor *c = (metrics_cursor *)pCur;
    return c->i >= c->l.n;
}

static int metrics_column(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int iCol)
{
    const ksq_metric *m = &((metrics_cursor *)pCur)->l.a[((metrics_cursor *)pCur)->i];
    const char *z = NULL;
    switch (iCol) {
    case MC_METRIC: z = m->zName; break;
    case MC_TYPE: z = m->zType; break;
    case MC_HELP: z = m->zHelp; break;
    case MC_STREAM: z = m->zStream; break;
    case MC_VIEW: z = m->zView; break;
    case MC_SINK: z = m->zSink; break;
    case MC_QUANTILE: z = m->zQuantile; break;
    case MC_PARTITION:
        if (m->partition >= 0) sqlite3_result_int(ctx, m->partition);
        return SQLITE_OK;
    default: sqlite3_result_double(ctx, m->value); return SQLITE_OK;
    }
    if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
}

static int metrics_rowid(sqlite3_vtab_cursor *pCur, sqlite3_int64 *pRowid)
{
    *pRowid = ((metrics_cursor *)pCur)->i + 1;
    return SQLITE_OK;
}

static sqlite3_module metrics_module = {
    0,                  /* iVersion */
    0,                  /* xCreate: eponymous only */
    metrics_connect,    /* xConnect */
    metrics_best_index, /* xBestIndex */
    metrics_disconnect, /* xDisconnect */
    0,                  /* xDestroy */
    metrics_open,       /* xOpen */
    metrics_close,      /* xClose */
    metrics_filter,     /* xFilter */
    metrics_next,       /* xNext */
    metrics_eof,        /* xEof */
    metrics_column,     /* xColumn */
    metrics_rowid,      /* xRowid */
    0,                  /* xUpdate */
    0,                  /* xBegin */
    0,                  /* xSync */
    0,                  /* xCommit */
    0,                  /* xRollback */
    0,                  /* xFindFunction */
    0,                  /* xRename */
    0,                  /* xSavepoint */
    0,                  /* xRelease */
    0,                  /* xRollbackTo */
    0,                  /* xShadowName */
};

int ksq_metrics_register(sqlite3 *db, ksqlite *k)
{
    return sqlite3_create_module(db, "ksq_metrics", &metrics_module, k);
}
