/*
** runtime.c — the loop that keeps continuous views up to date.
**
**   ksq_runtime_run(k, 1000, &n, &e);        // process for up to one second
**   ksq_runtime_run_to_end(k, drain, &n, &e); // read every source to its end, then stop
**
** (ksqlite.c wraps these as ksqlite_run(), ksqlite_run_to_end() and
** ksqlite_serve(), the public API.)
**
** Each round polls every stream that has views for one batch, and processes
** it in one SQLite transaction: the stream's dead letters, then each view's
** results, state and progress (offsets, event times, watermark). A crash at
** any moment leaves the database at a batch boundary; on restart the views
** read from the offsets in the database, so every event counts exactly once.
** A view that fails is rolled back to its savepoint and stopped; the others
** go on.
*/
#include "sink.h"
#include "ksqlite.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_MAX_BATCH 20000
#define DEFAULT_BATCH_MS  50

int ksq_runtime_init(ksqlite *k, char **pzErr)
{
    ksq_runtime *rt = sqlite3_malloc(sizeof *rt);
    if (!rt) return SQLITE_NOMEM;
    memset(rt, 0, sizeof *rt);
    rt->maxBatch = DEFAULT_MAX_BATCH;
    rt->batchMs = DEFAULT_BATCH_MS;
    k->rt = rt;
    /* Decoding threads: one per core besides the caller (KSQLITE_DECODE_THREADS
    ** sets the total). jansson's hash seed is set before any thread uses it. */
    json_object_seed(0);
    long nCpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("KSQLITE_DECODE_THREADS");
    int nThreads = env ? atoi(env) : (int)(nCpu > 0 ? nCpu : 1);
    if (nThreads < 1) nThreads = 1;
    if (nThreads > KSQ_MAX_SLICES) nThreads = KSQ_MAX_SLICES;
    if (nThreads > 1) rt->workers = ksq_workers_new(nThreads - 1);
    int rc = ksq_vtab_batch_register(k->db, k);
    if (!rc) rc = ksq_functions_register(k->db);
    if (rc)
        *pzErr =
            sqlite3_mprintf("cannot register the engine's functions: %s", sqlite3_errmsg(k->db));
    return rc;
}

void ksq_runtime_free(ksqlite *k)
{
    ksq_runtime *rt = k->rt;
    if (!rt) return;
    for (int i = 0; i < rt->nSource; i++) ksq_source_close(rt->aSource[i]);
    ksq_sinks_free(k);
    while (rt->nTap > 0) ksq_tap_forget(k, rt->aTap[0]->zView);
    sqlite3_free(rt->aTap);
    for (int i = 0; i < rt->nView; i++) ksq_view_free(k, rt->aView[i]);
    ksq_workers_free(rt->workers);
    sqlite3_free(rt->aSource);
    sqlite3_free(rt->aView);
    sqlite3_free(rt);
    k->rt = NULL;
}

ksq_view *ksq_runtime_view(ksqlite *k, const char *zName)
{
    for (int i = 0; k->rt && i < k->rt->nView; i++) {
        if (strcasecmp(k->rt->aView[i]->zName, zName) == 0) return k->rt->aView[i];
    }
    return NULL;
}

ksq_source *ksq_runtime_source(ksqlite *k, const char *zStream)
{
    for (int i = 0; k->rt && i < k->rt->nSource; i++) {
        if (strcasecmp(k->rt->aSource[i]->zStream, zStream) == 0) return k->rt->aSource[i];
    }
    return NULL;
}

/* Close a stream's source (it is reopened with the views' offsets). */
static void close_source(ksqlite *k, const char *zStream)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nSource; i++) {
        if (strcasecmp(rt->aSource[i]->zStream, zStream) == 0) {
            ksq_source_close(rt->aSource[i]);
            rt->aSource[i] = rt->aSource[--rt->nSource];
            return;
        }
    }
}

int ksq_runtime_add_view(ksqlite *k, ksq_view *v)
{
    ksq_runtime *rt = k->rt;
    ksq_view **a = sqlite3_realloc64(rt->aView, sizeof(ksq_view *) * (size_t)(rt->nView + 1));
    if (!a) return SQLITE_NOMEM;
    rt->aView = a;
    a[rt->nView++] = v;
    close_source(k, v->zStream); /* reopen from the new view's offsets */
    return SQLITE_OK;
}

void ksq_runtime_remove_view(ksqlite *k, const char *zName)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (strcasecmp(v->zName, zName) != 0) continue;
        rt->aView[i] = rt->aView[--rt->nView];
        close_source(k, v->zStream);
        ksq_view_free(k, v);
        return;
    }
}

int ksq_runtime_resume(ksqlite *k, char **pzErr)
{
    if (!ksq_catalog_exists(k)) return SQLITE_OK;
    sqlite3_stmt *st;
    int rc =
        sqlite3_prepare_v2(k->db, "SELECT name, sql FROM ksq_views ORDER BY rowid", -1, &st, NULL);
    if (rc) {
        *pzErr = sqlite3_mprintf("cannot read the catalog: %s", sqlite3_errmsg(k->db));
        return rc;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *zName = (const char *)sqlite3_column_text(st, 0);
        ksq_view *v = NULL;
        char *zErr = NULL;
        rc = ksq_view_load(k, zName, (const char *)sqlite3_column_text(st, 1), &v, &zErr);
        if (rc == SQLITE_NOMEM) break;
        if (rc) {
            /* One broken view does not keep the others from running. */
            ksq_log(KSQ_LOG_ERROR, "view %s cannot run: %s", zName, zErr ? zErr : "error");
            sqlite3_free(zErr);
            rc = SQLITE_OK;
            continue;
        }
        rc = ksq_runtime_add_view(k, v);
        if (rc) {
            ksq_view_free(k, v);
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Open the source of a stream at the smallest offsets its views need. */
static int open_source(ksqlite *k, const char *zStream, ksq_source **ppSrc, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int32_t aPart[1024];
    int64_t aStart[1024];
    int nKnown = 0, nViews = 0;
    /* Partitions some view has not seen start at the beginning; a partition
    ** every view has seen starts at the smallest of their offsets. */
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || strcasecmp(v->zStream, zStream) != 0) continue;
        nViews++;
        for (int j = 0; j < v->wm.nPart && nKnown < 1024; j++) {
            int idx = -1;
            for (int m = 0; m < nKnown; m++) idx = aPart[m] == v->wm.aPart[j].id ? m : idx;
            if (idx < 0) {
                idx = nKnown++;
                aPart[idx] = v->wm.aPart[j].id;
                aStart[idx] = v->wm.aPart[j].next;
            } else if (v->wm.aPart[j].next < aStart[idx]) {
                aStart[idx] = v->wm.aPart[j].next;
            }
        }
    }
    /* A partition is known only if every view of the stream has it. */
    for (int m = 0; m < nKnown; m++) {
        int n = 0;
        for (int i = 0; i < rt->nView; i++) {
            ksq_view *v = rt->aView[i];
            if (v->failed || strcasecmp(v->zStream, zStream) != 0) continue;
            for (int j = 0; j < v->wm.nPart; j++) n += v->wm.aPart[j].id == aPart[m];
        }
        if (n < nViews) aStart[m] = -2; /* RD_KAFKA_OFFSET_BEGINNING */
    }
    ksq_stream_def def;
    int rc = ksq_catalog_stream(k, zStream, &def, pzErr);
    if (rc) return rc;
    ksq_source *src = NULL;
    rc = ksq_source_open(k, zStream, &def, aPart, aStart, nKnown, &src, pzErr);
    if (rc) return rc; /* the source took the definition */
    ksq_source **a =
        sqlite3_realloc64(rt->aSource, sizeof(ksq_source *) * (size_t)(rt->nSource + 1));
    if (!a) {
        ksq_source_close(src);
        return SQLITE_NOMEM;
    }
    rt->aSource = a;
    a[rt->nSource++] = src;
    *ppSrc = src;
    return SQLITE_OK;
}

int ksq_runtime_start_at_end(ksqlite *k, ksq_view *v, char **pzErr)
{
    ksq_source *src = ksq_runtime_source(k, v->zStream);
    int rc = src ? SQLITE_OK : open_source(k, v->zStream, &src, pzErr);
    if (rc) return rc;
    ksq_partition_range *r =
        sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(src->nPart + 1));
    if (!r) return SQLITE_NOMEM;
    for (int p = 0; p < src->nPart; p++) r[p].partition = src->aPart[p].id;
    rc = ksq_meta_watermarks(src->rk, src->def.zTopic, r, src->nPart, KSQ_META_TIMEOUT_MS, pzErr);
    for (int p = 0; p < src->nPart && !rc; p++) {
        ksq_wm_part *wp = ksq_wm_part_get(&v->wm, r[p].partition);
        if (!wp) {
            rc = SQLITE_NOMEM;
        } else {
            wp->next = r[p].end;
        }
    }
    sqlite3_free(r);
    return rc;
}

/* Record a view's failure in the catalog (outside the failed transaction). */
static void view_failed(ksqlite *k, ksq_view *v, const char *zErr)
{
    v->failed = 1;
    sqlite3_free(v->zError);
    v->zError = sqlite3_mprintf("%s", zErr ? zErr : "error");
    ksq_log(KSQ_LOG_ERROR, "view %s stopped: %s", v->zName, v->zError ? v->zError : "error");
    char *zSql = sqlite3_mprintf(
        "UPDATE ksq_views SET status = 'failed', error = %Q WHERE name = %Q", v->zError, v->zName);
    if (zSql) sqlite3_exec(k->db, zSql, 0, 0, NULL);
    sqlite3_free(zSql);
}

/* Insert the batch's dead letters (once per stream, whichever view is first). */
static int record_dead_letters(ksqlite *k, ksq_source *src, char **pzErr)
{
    ksq_batch *b = &src->batch;
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_OK;
    for (int i = 0; i < b->nEv && !rc; i++) {
        const ksq_event *e = &b->aEv[i];
        if (!e->zError) continue;
        if (!st) {
            rc = sqlite3_prepare_v3(
                k->db,
                "INSERT OR IGNORE INTO ksq_dead_letters(stream, topic, partition, offset, "
                "timestamp, "
                "stage, error, key, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
            if (rc) break;
        }
        sqlite3_bind_text(st, 1, src->zStream, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, src->def.zTopic, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, e->partition);
        sqlite3_bind_int64(st, 4, e->offset);
        if (e->kafkaTs >= 0) {
            sqlite3_bind_int64(st, 5, e->kafkaTs);
        } else {
            sqlite3_bind_null(st, 5);
        }
        sqlite3_bind_text(st, 6, e->zStage ? e->zStage : "decode", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, e->zError, -1, SQLITE_STATIC);
        if (e->key) {
            sqlite3_bind_blob(st, 8, e->key, e->nKey, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 8);
        }
        if (e->payload) {
            sqlite3_bind_blob(st, 9, e->payload, e->nPayload, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 9);
        }
        if (sqlite3_step(st) != SQLITE_DONE) rc = SQLITE_ERROR;
        sqlite3_reset(st);
    }
    if (rc) *pzErr = sqlite3_mprintf("cannot record dead letters: %s", sqlite3_errmsg(k->db));
    sqlite3_finalize(st);
    return rc;
}

/* How process_batch() treats windows: closing them may wait while catching
** up (BATCH_NORMAL), must happen now (BATCH_FLUSH), or every window closes,
** end of input being end of stream (BATCH_DRAIN). */
enum { BATCH_NORMAL, BATCH_FLUSH, BATCH_DRAIN };

/* Process the source's batch for its views in one transaction. */
static int process_batch(ksqlite *k, ksq_source *src, int mode, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int rc = sqlite3_exec(k->db, "BEGIN IMMEDIATE", 0, 0, NULL);
    if (rc) {
        *pzErr = sqlite3_mprintf("cannot start a transaction: %s", sqlite3_errmsg(k->db));
        return rc;
    }
    rc = record_dead_letters(k, src, pzErr);
    for (int i = 0; i < rt->nView && !rc; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || strcasecmp(v->zStream, src->zStream) != 0) continue;
        char *zErr = NULL;
        int64_t t0 = ksq_monotonic_us();
        int vrc = sqlite3_exec(k->db, "SAVEPOINT ksq_view", 0, 0, NULL);
        /* Catching up on a backlog (more than a full batch waiting), closing
        ** windows may wait a little; live, it never does. */
        int mayDefer = mode == BATCH_NORMAL && ksq_source_behind(src, rt->maxBatch);
        if (!vrc) vrc = ksq_view_process(k, v, src, mayDefer, &zErr);
        if (!vrc && mode == BATCH_DRAIN) vrc = ksq_view_drain(k, v, &zErr);
        if (!vrc) vrc = ksq_view_save(k, v, &zErr);
        if (vrc == SQLITE_OK) {
            sqlite3_exec(k->db, "RELEASE ksq_view", 0, 0, NULL);
            v->commitUs[v->nCommit++ % 64] = ksq_monotonic_us() - t0;
        } else if (vrc == SQLITE_NOMEM || vrc == SQLITE_FULL || vrc == SQLITE_IOERR ||
                   vrc == SQLITE_BUSY || vrc == SQLITE_LOCKED || vrc == SQLITE_INTERRUPT ||
                   (vrc & 0xff) == SQLITE_IOERR) {
            /* The database (or an interrupt), not the view, is in trouble:
            ** give up the batch; it is read again. */
            rc = vrc;
            *pzErr = zErr;
            zErr = NULL;
        } else {
            sqlite3_exec(k->db, "ROLLBACK TO ksq_view; RELEASE ksq_view", 0, 0, NULL);
            view_failed(k, v, zErr);
        }
        sqlite3_free(zErr);
    }
    /* The views' emitted rows into their sinks' buffers, in the same transaction. */
    if (!rc && rt->nSink > 0) rc = ksq_sinks_capture(k, src->zStream, pzErr);
    if (!rc) rc = sqlite3_exec(k->db, "COMMIT", 0, 0, NULL);
    if (rc) {
        if (!*pzErr) *pzErr = sqlite3_mprintf("cannot commit: %s", sqlite3_errmsg(k->db));
        sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
        /* Offsets in memory ran ahead of the database: reload them. */
        for (int i = 0; i < rt->nView; i++) {
            ksq_view *v = rt->aView[i];
            if (strcasecmp(v->zStream, src->zStream) == 0) v->dirtySource = 1;
        }
        return rc;
    }
    int64_t now = ksq_now_ms();
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || strcasecmp(v->zStream, src->zStream) != 0) continue;
        if (v->lastCommitWall == 0 && !v->transient) {
            /* It runs again: a failure the catalog remembers is over. */
            char *z = sqlite3_mprintf("UPDATE ksq_views SET status = 'running', error = NULL "
                                      "WHERE name = %Q AND status <> 'running'",
                                      v->zName);
            if (z) sqlite3_exec(k->db, z, 0, 0, NULL);
            sqlite3_free(z);
        }
        v->lastCommitWall = now;
    }
    ksq_tap_deliver(k, src->zStream);
    if (rt->nSink > 0) ksq_sinks_work(k, src->zStream);
    return SQLITE_OK;
}

/* Retention removed offsets some views of src had still to read (librdkafka
** said so: auto.offset.reset is 'error'). For each such view and partition
** the gap is [its next offset, the partition's first offset): with the
** stream's on_gap = 'skip' it is recorded in ksq_gaps and the view goes on
** from the first offset; otherwise (stop) the view stops with an error that
** names the range. The source is then reopened at the views' offsets. */
static int handle_gaps(ksqlite *k, ksq_source *src, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int nGap = 0, rc = SQLITE_OK;
    ksq_partition_range *r =
        sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(src->nPart + 1));
    if (!r) return SQLITE_NOMEM;
    for (int i = 0; i < src->nPart; i++) {
        if (src->aPart[i].gapAt >= 0) r[nGap++].partition = src->aPart[i].id;
    }
    rc = ksq_meta_watermarks(src->rk, src->def.zTopic, r, nGap, KSQ_META_TIMEOUT_MS, pzErr);
    if (!rc && src->def.onGapSkip) rc = sqlite3_exec(k->db, "BEGIN IMMEDIATE", 0, 0, NULL);
    if (!rc && src->def.onGapSkip)
        rc =
            sqlite3_exec(k->db,
                         "CREATE TABLE IF NOT EXISTS ksq_gaps(id INTEGER PRIMARY KEY, stream TEXT "
                         "NOT NULL, view TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT "
                         "NULL, from_offset INTEGER NOT NULL, to_offset INTEGER NOT NULL, messages "
                         "INTEGER NOT NULL, recorded TEXT NOT NULL DEFAULT "
                         "(strftime('%Y-%m-%d %H:%M:%f','now')))",
                         0, 0, NULL);
    for (int v = 0; v < rt->nView && !rc; v++) {
        ksq_view *view = rt->aView[v];
        if (view->failed || strcasecmp(view->zStream, src->zStream) != 0) continue;
        for (int g = 0; g < nGap && !rc && !view->failed; g++) {
            ksq_wm_part *p = ksq_wm_part_get(&view->wm, r[g].partition);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            if (p->next >= r[g].start) continue; /* this view already read past it */
            int64_t from = p->next, to = r[g].start;
            if (view->transient) {
                p->next = to; /* a push query just goes on */
            } else if (src->def.onGapSkip) {
                char *z = sqlite3_mprintf(
                    "INSERT INTO ksq_gaps(stream, view, topic, partition, from_offset, to_offset, "
                    "messages) VALUES (%Q, %Q, %Q, %d, %lld, %lld, %lld)",
                    src->zStream, view->zName, src->def.zTopic, r[g].partition, (long long)from,
                    (long long)to - 1, (long long)(to - from));
                rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
                sqlite3_free(z);
                p->next = to;
                ksq_log(KSQ_LOG_WARN,
                        "view %s: partition %d of topic '%s': offsets %lld to %lld (%lld "
                        "messages) were removed by retention before the view read them; skipped "
                        "(on_gap = 'skip'), recorded in ksq_gaps",
                        view->zName, r[g].partition, src->def.zTopic, (long long)from,
                        (long long)to - 1, (long long)(to - from));
            } else {
                char *zErr = sqlite3_mprintf(
                    "partition %d of topic '%s': offsets %lld to %lld (%lld messages) were removed "
                    "by the topic's retention before the view read them; to go on from offset "
                    "%lld, recording the gap in ksq_gaps: ALTER STREAM %s SET (on_gap = 'skip')",
                    r[g].partition, src->def.zTopic, (long long)from, (long long)to - 1,
                    (long long)(to - from), (long long)to, src->zStream);
                view_failed(k, view, zErr);
                sqlite3_free(zErr);
            }
        }
        if (!rc && src->def.onGapSkip && !view->transient) rc = ksq_view_save(k, view, pzErr);
    }
    if (src->def.onGapSkip) {
        if (!rc) rc = sqlite3_exec(k->db, "COMMIT", 0, 0, NULL);
        if (rc) {
            if (!*pzErr) *pzErr = sqlite3_mprintf("cannot record a gap: %s", sqlite3_errmsg(k->db));
            sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
        }
    }
    sqlite3_free(r);
    if (rc) return rc;
    close_source(k, src->zStream); /* reopened at the views' offsets next round */
    return SQLITE_OK;
}

/* Did idleness or the wall clock move some view's watermark past a window? */
static int watermark_moved(ksqlite *k, ksq_source *src)
{
    ksq_runtime *rt = k->rt;
    int64_t mono = ksq_monotonic_ms(), wall = ksq_now_ms();
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || strcasecmp(v->zStream, src->zStream) != 0) continue;
        int64_t before = v->wm.wm;
        ksq_wm_refresh(&v->wm, src, mono, wall);
        if (v->wm.wm != before) return 1;
    }
    return 0;
}

void ksq_runtime_reload_stream(ksqlite *k, const char *zStream)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; rt && i < rt->nView; i++) {
        if (strcasecmp(rt->aView[i]->zStream, zStream) == 0 && !rt->aView[i]->transient)
            rt->aView[i]->dirtySource = 1;
    }
    if (rt) close_source(k, zStream);
}

/* Views whose progress was rolled back reload it from the database. */
static int reload_rolled_back(ksqlite *k, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (!v->dirtySource) continue;
        if (v->transient) {
            /* A push query keeps no progress to go back to: it goes on from
            ** where it is (the rolled-back batch is not shown). */
            v->dirtySource = 0;
            continue;
        }
        char *zSql = NULL;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(k->db, "SELECT sql FROM ksq_views WHERE name = ?1", -1, &st, NULL))
            continue;
        sqlite3_bind_text(st, 1, v->zName, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            zSql = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        ksq_view *fresh = NULL;
        int rc = zSql ? ksq_view_load(k, v->zName, zSql, &fresh, pzErr) : SQLITE_NOMEM;
        sqlite3_free(zSql);
        if (rc) return rc;
        char *zName = sqlite3_mprintf("%s", v->zName);
        if (!zName) {
            ksq_view_free(k, fresh);
            return SQLITE_NOMEM;
        }
        ksq_runtime_remove_view(k, zName);
        sqlite3_free(zName);
        rc = ksq_runtime_add_view(k, fresh);
        if (rc) return rc;
        i = -1; /* the array changed */
    }
    return SQLITE_OK;
}

int ksq_runtime_step(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    *pnEvents = 0;
    if (!rt || rt->nView == 0) return SQLITE_OK;
    if (!sqlite3_get_autocommit(k->db)) return SQLITE_OK; /* the user holds a transaction */
    int rc = reload_rolled_back(k, pzErr);
    if (rc) return rc;
    /* Streams with running views, each polled once. */
    int nStream = 0;
    const char *azStream[256];
    for (int i = 0; i < rt->nView && nStream < 256; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed) continue;
        int seen = 0;
        for (int s = 0; s < nStream; s++) seen |= strcasecmp(azStream[s], v->zStream) == 0;
        if (!seen) azStream[nStream++] = v->zStream;
    }
    int per = nStream > 0 ? timeoutMs / nStream : timeoutMs;
    for (int s = 0; s < nStream && !rc && !rt->stop; s++) {
        ksq_source *src = ksq_runtime_source(k, azStream[s]);
        if (!src) rc = open_source(k, azStream[s], &src, pzErr);
        if (rc) break;
        rc = ksq_source_poll(src, rt->maxBatch, per, pzErr);
        if (rc) break;
        /* While this batch's SQL runs, the next one is taken and decoded on
        ** the other cores. */
        if (src->batch.nEv > 0) ksq_source_prefetch(src, rt->maxBatch);
        *pnEvents += src->batch.nEv;
        if (src->batch.nEv > 0 || watermark_moved(k, src))
            rc = process_batch(k, src, BATCH_NORMAL, pzErr);
        ksq_batch_reset(&src->batch);
        for (int i = 0; !rc && i < src->nPart; i++) {
            if (src->aPart[i].gapAt < 0) continue;
            rc = handle_gaps(k, src, pzErr); /* closes src */
            break;
        }
    }
    if (!rc && rt->nSink > 0) ksq_sinks_work(k, NULL); /* time-based rolls */
    ksq_metrics_tick(k);
    return rc;
}

/* Close what windows can close now in every open source's views (an empty
** batch in mode BATCH_FLUSH or BATCH_DRAIN), then publish what the sinks
** hold. */
static int flush(ksqlite *k, int mode, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int rc = SQLITE_OK;
    for (int s = 0; s < rt->nSource && !rc; s++) {
        ksq_source *src = rt->aSource[s];
        ksq_batch_reset(&src->batch);
        rc = process_batch(k, src, mode, pzErr);
    }
    /* Then the sinks publish (or send) every row they hold. */
    if (!rc) rc = ksq_sinks_flush(k, pzErr);
    return rc;
}

/* ------------------------------------------------------------------ running (ksqlite.c: the API)
 */

/* Can views run now: some view is running and no transaction is open? */
static int can_run(ksqlite *k)
{
    return ksqlite_view_count(k) > 0 && sqlite3_get_autocommit(k->db);
}

int ksq_runtime_run(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int64_t end = ksq_monotonic_ms() + timeoutMs;
    int rc = SQLITE_OK;
    *pnEvents = 0;
    if (!rt) return SQLITE_OK;
    /* A stop requested before the call is honoured too: it is not reset. */
    do {
        if (rt->stop) break;
        int64_t left = end - ksq_monotonic_ms();
        int slice = left < 0 ? 0 : (int)(left < 200 ? left : 200);
        if (!can_run(k)) {
            /* Nothing can arrive: wait as a poll that sees no events. */
            if (slice > 0) ksq_sleep_ms(slice < 50 ? slice : 50);
            continue;
        }
        int n;
        rc = ksq_runtime_step(k, slice, &n, pzErr);
        *pnEvents += n;
    } while (!rc && ksq_monotonic_ms() < end);
    if (!rc && rt->stop) {
        /* A graceful stop: what can close, closes, before the caller exits. */
        if (sqlite3_get_autocommit(k->db)) rc = flush(k, BATCH_FLUSH, pzErr);
        rt->stop = 0; /* honoured */
    }
    return rc;
}

/* Can a step that failed with rc succeed when tried again: brokers
** unreachable or a topic unavailable (SQLITE_ERROR), a full disk, an I/O
** error, a locked database? Not a corrupt or read-only database, misuse or
** lack of memory. The batch that failed was rolled back and is read again. */
static int step_error_may_pass(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_MISUSE:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM: return 0;
    default: return 1;
    }
}

#define SERVE_RETRY_MIN_MS 500   /* first pause after a failed step */
#define SERVE_RETRY_MAX_MS 10000 /* the pause doubles up to this */

int ksq_runtime_serve(ksqlite *k, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int rc = SQLITE_OK, pauseMs = 0;
    while (rt && !rt->stop) {
        int n;
        char *zErr = NULL;
        rc = ksq_runtime_step(k, 200, &n, &zErr);
        if (rc == SQLITE_OK) {
            pauseMs = 0;
            if (ksqlite_view_count(k) == 0) ksq_sleep_ms(200); /* nothing to run yet */
            continue;
        }
        if (!step_error_may_pass(rc)) {
            *pzErr = zErr;
            return rc;
        }
        /* Ride it out: log, pause (doubling up to 10 s), read the batch again. */
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            pauseMs = 0; /* another writer holds the database: retry at once */
        } else {
            pauseMs = pauseMs ? pauseMs * 2 : SERVE_RETRY_MIN_MS;
            if (pauseMs > SERVE_RETRY_MAX_MS) pauseMs = SERVE_RETRY_MAX_MS;
        }
        ksq_log(pauseMs ? KSQ_LOG_ERROR : KSQ_LOG_WARN, "%s; trying again in %.1f s",
                zErr ? zErr : sqlite3_errstr(rc), pauseMs / 1000.0);
        sqlite3_free(zErr);
        for (int waited = 0; waited < pauseMs && !rt->stop; waited += 50) ksq_sleep_ms(50);
    }
    /* The stop's commit and publishing: if the last step failed this is its
    ** last try, and a failure here is the caller's error (what could not be
    ** published stays buffered in the database for the next run). */
    rc = SQLITE_OK;
    if (rt) {
        rc = flush(k, BATCH_FLUSH, pzErr);
        rt->stop = 0; /* honoured: a later call runs again */
    }
    return rc;
}

void ksq_runtime_status(ksqlite *k, int64_t *pRead, int64_t *pLag, double *pRate, int64_t *pWm)
{
    ksq_runtime *rt = k->rt;
    int64_t read = 0, lag = 0, wm = -1;
    double rate = 0;
    int known = 1, any = 0;
    for (int s = 0; rt && s < rt->nSource; s++) {
        ksq_source *src = rt->aSource[s];
        read += src->nEvents;
        for (int i = 0; i < src->nPart; i++) {
            const ksq_source_part *p = &src->aPart[i];
            if (p->hwm < 0 || p->position < 0) {
                known = 0;
            } else if (p->hwm > p->position) {
                lag += p->hwm - p->position;
            }
        }
    }
    for (int i = 0; rt && i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed) continue;
        any = 1;
        /* A view whose source has not learnt its partitions yet has an
        ** unknown lag, not a lag of 0. */
        ksq_source *src = ksq_runtime_source(k, v->zStream);
        if (!src || src->nPart == 0) known = 0;
        rate = v->rate > rate ? v->rate : rate;
        if (v->wm.wm != KSQ_NO_TIME && (wm < 0 || v->wm.wm < wm)) wm = v->wm.wm;
    }
    *pRead = read;
    *pLag = any && known ? lag : -1;
    *pRate = rate;
    *pWm = wm;
}

/* The end of a bounded run for one stream: partitions and their offsets. */
typedef struct run_end {
    char *zStream; /* the stream */
    int nPart;
    int32_t *aId;  /* partition ids */
    int64_t *aEnd; /* high-water marks when the run started */
} run_end;

/* Have all views of the stream reached the end offsets? */
static int caught_up(ksqlite *k, const run_end *e)
{
    ksq_runtime *rt = k->rt;
    for (int i = 0; i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (v->failed || strcasecmp(v->zStream, e->zStream) != 0) continue;
        for (int p = 0; p < e->nPart; p++) {
            if (e->aEnd[p] <= 0) continue;
            int64_t next = 0;
            for (int j = 0; j < v->wm.nPart; j++) {
                if (v->wm.aPart[j].id == e->aId[p]) next = v->wm.aPart[j].next;
            }
            if (next < e->aEnd[p]) return 0;
        }
    }
    return 1;
}

/* Note where stream zStream ends now (its high-water marks). */
static int run_end_init(ksqlite *k, const char *zStream, run_end *e, char **pzErr)
{
    memset(e, 0, sizeof *e);
    ksq_source *src = ksq_runtime_source(k, zStream);
    int rc = src ? SQLITE_OK : open_source(k, zStream, &src, pzErr);
    if (rc) return rc;
    e->zStream = sqlite3_mprintf("%s", zStream);
    e->aId = sqlite3_malloc64(sizeof(int32_t) * (size_t)(src->nPart + 1));
    e->aEnd = sqlite3_malloc64(sizeof(int64_t) * (size_t)(src->nPart + 1));
    ksq_partition_range *r =
        sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(src->nPart + 1));
    if (!e->zStream || !e->aId || !e->aEnd || !r) {
        sqlite3_free(r);
        return SQLITE_NOMEM;
    }
    for (int p = 0; p < src->nPart; p++) r[p].partition = src->aPart[p].id;
    rc = ksq_meta_watermarks(src->rk, src->def.zTopic, r, src->nPart, KSQ_META_TIMEOUT_MS, pzErr);
    for (int p = 0; p < src->nPart && !rc; p++) {
        e->aId[p] = r[p].partition;
        e->aEnd[p] = r[p].end;
    }
    e->nPart = src->nPart;
    sqlite3_free(r);
    return rc;
}

int ksq_runtime_run_to_end(ksqlite *k, int drain, int *pnEvents, char **pzErr)
{
    ksq_runtime *rt = k->rt;
    int rc = SQLITE_OK, n;
    *pnEvents = 0;
    if (!rt || ksqlite_view_count(k) == 0) return SQLITE_OK;
    /* A stop requested before the call is honoured too: it is not reset. */
    run_end aEnd[256];
    int nEnd = 0;
    /* The views already stopped: only views that stop now fail the run. */
    ksq_view **aFailedBefore = sqlite3_malloc64(sizeof(ksq_view *) * (size_t)(rt->nView + 1));
    int nFailedBefore = 0;
    if (!aFailedBefore) return SQLITE_NOMEM;
    for (int i = 0; i < rt->nView; i++) {
        if (rt->aView[i]->failed) aFailedBefore[nFailedBefore++] = rt->aView[i];
    }
    for (int i = 0; i < rt->nView && nEnd < 256 && !rc; i++) {
        ksq_view *v = rt->aView[i];
        int seen = 0;
        for (int s = 0; s < nEnd; s++) seen |= strcasecmp(aEnd[s].zStream, v->zStream) == 0;
        if (v->failed || seen) continue;
        rc = run_end_init(k, v->zStream, &aEnd[nEnd], pzErr);
        nEnd++; /* freed below even when it failed half way */
    }
    int64_t lastProgress = ksq_monotonic_ms();
    while (!rc) {
        int done = 1;
        for (int s = 0; s < nEnd; s++) done &= caught_up(k, &aEnd[s]);
        if (rt->stop || done) break;
        rc = ksq_runtime_step(k, 200, &n, pzErr);
        *pnEvents += n;
        if (n > 0) lastProgress = ksq_monotonic_ms();
        if (!rc && ksq_monotonic_ms() - lastProgress > KSQ_STALL_TIMEOUT_MS) {
            *pzErr = sqlite3_mprintf("no progress reading the streams for %d s",
                                     KSQ_STALL_TIMEOUT_MS / 1000);
            rc = SQLITE_ERROR;
        }
    }
    if (!rc) rc = flush(k, drain && !rt->stop ? BATCH_DRAIN : BATCH_FLUSH, pzErr);
    if (!rc) rt->stop = 0; /* honoured */
    /* A view that stopped on an error during the run fails the run. */
    for (int i = 0; !rc && i < rt->nView; i++) {
        ksq_view *v = rt->aView[i];
        if (!v->failed || v->transient) continue;
        int before = 0;
        for (int j = 0; j < nFailedBefore; j++) before |= aFailedBefore[j] == v;
        if (before) continue;
        *pzErr = sqlite3_mprintf("view %s stopped: %s", v->zName, v->zError ? v->zError : "error");
        rc = SQLITE_ERROR;
    }
    sqlite3_free(aFailedBefore);
    for (int s = 0; s < nEnd; s++) {
        sqlite3_free(aEnd[s].zStream);
        sqlite3_free(aEnd[s].aId);
        sqlite3_free(aEnd[s].aEnd);
    }
    return rc;
}
