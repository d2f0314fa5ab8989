/*
** runtime.h — continuous views at run time.
**
**   source.c      one consumer per stream: polls a batch of messages and
**                 decodes them into events (decode once, for every view)
**   watermark.c   event time per partition, idle partitions, the watermark
**   view.c        one view: which events it takes, which are late, feeding
**                 its SQL, closing windows, its progress
**   vtab_batch.c  the current batch as a table, for the view's SQL
**   runtime.c     the loop: poll, one transaction per batch (results, state,
**                 offsets together), stop, run to the end
**   catalog.c     the catalog tables and the stream statements
*/
#ifndef KSQ_RUNTIME_H
#define KSQ_RUNTIME_H

#include "ksq_int.h"
#include "plan.h"

struct rd_kafka_message_s;

/* ------------------------------------------------------------------ events and batches */
typedef struct ksq_event {
    int32_t partition; /* Kafka partition */
    int64_t offset;    /* Kafka offset */
    int64_t kafkaTs;   /* message timestamp (ms), -1 if none */
    int64_t eventMs;   /* event time (ms); valid when zError is NULL */
    const char *key;   /* message key (in the held message), or NULL */
    int nKey;
    const char *payload; /* raw payload (in the held message), or NULL */
    int nPayload;
    ksq_value *aVal;    /* decoded columns (text in the batch's arena) */
    const char *zError; /* why it is a dead letter, or NULL */
    const char *zStage; /* "decode" or "event time" for dead letters */
} ksq_event;

#define KSQ_MAX_SLICES 8 /* decoding threads per batch, the caller's included */

/* A bump allocator for one batch's text; reset between batches. */
typedef struct ksq_arena_chunk ksq_arena_chunk;
typedef struct ksq_arena {
    ksq_arena_chunk *pHead; /* chunks, newest first */
    size_t nUsed;           /* bytes used in the newest chunk */
} ksq_arena;

struct ksq_source;
typedef struct ksq_batch {
    ksq_event *aEv; /* events, in consumption order */
    int nEv, nAlloc;
    ksq_value *aVal;                  /* nAlloc * ncol decoded values */
    ksq_arena aArena[KSQ_MAX_SLICES]; /* text of decoded values and errors, per decoding slice */
    struct rd_kafka_message_s **aMsg; /* messages held until the batch is reset */
    int nMsg;
    int *aData; /* indexes in aMsg of the data messages, one per event */
    /* its decode (source.c), possibly running on the workers */
    struct ksq_source *src;  /* the source decoding it */
    int64_t nowWall;         /* wall clock at the start (max_future) */
    int nChunk;              /* chunks of the decode */
    int decoding;            /* started and not finished */
    int aRc[KSQ_MAX_SLICES]; /* each thread's error, 0 if none */
} ksq_batch;

/* ------------------------------------------------------------------ sources */
typedef struct ksq_source_part {
    int32_t id;        /* partition id */
    int64_t hwm;       /* high-water mark last seen, -1 unknown */
    int64_t position;  /* next offset the consumer will deliver */
    int64_t lastMsgMs; /* monotonic time of the last message, 0 never */
    int64_t sinceMs;   /* monotonic time the source started */
    int64_t nEvents;   /* messages consumed (this run) */
    int64_t nBytes;    /* their payload bytes */
    int64_t nDead;     /* of them, dead letters: undecodable, no or a future event time */
    int64_t gapAt;     /* an offset the topic no longer holds was asked for (-1: none) */
} ksq_source_part;

typedef struct ksq_source {
    char *zStream;                     /* stream name */
    ksq_stream_def def;                /* topic, columns, options */
    struct rd_kafka_s *rk;             /* consumer */
    ksq_kclient client;                /* its last error */
    void *queue;                       /* rd_kafka_queue_t: its consumer queue */
    ksq_decoder *aDec[KSQ_MAX_SLICES]; /* a decoder per decoding slice */
    struct ksq_workers *workers;       /* the runtime's decoding threads (not owned) */
    int nPart;
    ksq_source_part *aPart;        /* partitions, ascending ids */
    ksq_batch batch;               /* the last polled batch */
    ksq_batch next;                /* the next one, taken and decoding while batch is processed */
    int64_t nDead;                 /* dead letters seen (this run) */
    int64_t nEvents, nBytes;       /* messages and payload bytes consumed (this run) */
    int64_t lastKickMs;            /* monotonic time of the last fetcher kick */
    int64_t rateAtMs;              /* metrics: when the rates were last sampled */
    int64_t rateEvents, rateBytes; /* the counts then */
    double eventsPerSec, bytesPerSec; /* the rates since the sample before */
} ksq_source;

int ksq_source_open(ksqlite *k, const char *zStream, const ksq_stream_def *def,
                    const int32_t *aPart, const int64_t *aStart, int nPart, ksq_source **ppSrc,
                    char **pzErr);

/* workers.c: threads that share the chunks of one job with the caller. */
typedef struct ksq_workers ksq_workers;
ksq_workers *ksq_workers_new(int nHelpers);
/* Threads that may run chunks: the caller and the helpers. */
int ksq_workers_count(const ksq_workers *w);
/* Start a job of nChunk chunks, xChunk(pArg, chunk, thread) each (thread 0
** is the caller); the helpers begin at once. Joins the previous job first. */
void ksq_workers_start(ksq_workers *w, void (*xChunk)(void *pArg, int iChunk, int iThread),
                       void *pArg, int nChunk);
/* Run what is left of the job on the caller, then wait until it is done. */
void ksq_workers_join(ksq_workers *w);
/* Is a job started and not yet joined? */
int ksq_workers_busy(const ksq_workers *w);
void ksq_workers_free(ksq_workers *w);
/* Poll up to maxEvents messages, waiting at most timeoutMs for the first;
** decodes them into src->batch (reset first). */
int ksq_source_poll(ksq_source *src, int maxEvents, int timeoutMs, char **pzErr);
/* Take the next batch now, if messages are waiting, and start decoding it on
** the workers while the caller processes the current one; the next
** ksq_source_poll() returns it. */
void ksq_source_prefetch(ksq_source *src, int maxEvents);
/* Is partition i idle: caught up and silent for the stream's idle_timeout? */
int ksq_source_part_idle(const ksq_source *src, int i, int64_t nowMono);
/* Has the source at least nAtLeast messages to read right now (below the
** high-water marks as last seen, or taken and not yet processed)? */
int ksq_source_behind(const ksq_source *src, int64_t nAtLeast);
/* Has the source's input stalled: no message on any partition for the
** stream's stall_timeout? */
int ksq_source_stalled(const ksq_source *src, int64_t nowMono);
/* Index of partition id, or -1. */
int ksq_source_part_index(const ksq_source *src, int32_t id);
void ksq_source_close(ksq_source *src);
void ksq_batch_reset(ksq_batch *b);

/* ------------------------------------------------------------------ watermarks */
typedef struct ksq_wm_part {
    int32_t id;       /* partition id */
    int64_t next;     /* next offset this view takes */
    int64_t maxEvent; /* max event time seen, INT64_MIN if none */
} ksq_wm_part;

typedef struct ksq_watermark {
    int nPart;
    ksq_wm_part *aPart;
    int64_t delayMs;      /* the stream's watermark delay */
    int64_t wm;           /* current watermark, INT64_MIN before any */
    unsigned char *aIdle; /* per partition: excluded from the minimum */
} ksq_watermark;

#define KSQ_NO_TIME INT64_MIN

/* While catching up, views close windows at most this often (ms). */
#define KSQ_CLOSE_INTERVAL_MS 1000

/* Find (or add) the entry of a partition. */
ksq_wm_part *ksq_wm_part_get(ksq_watermark *w, int32_t id);
/* Note an event: raise its partition's max and the watermark. */
void ksq_wm_observe(ksq_watermark *w, ksq_wm_part *p, int64_t eventMs);
/* Recompute with the source's idle partitions (wall-clock). When every
** partition is idle it is the larger of the most advanced partition's
** watermark and the wall clock minus the delay. */
void ksq_wm_refresh(ksq_watermark *w, const ksq_source *src, int64_t nowMono, int64_t nowWall);
void ksq_wm_clear(ksq_watermark *w);

/* ------------------------------------------------------------------ views */
typedef struct ksq_view {
    char *zName;          /* view name */
    char *zStream;        /* the stream it reads */
    ksq_plan plan;        /* its SQL */
    ksq_watermark wm;     /* event time progress and offsets */
    int64_t closedWs;     /* TUMBLE/HOP: windows starting at or before this are emitted */
    sqlite3_stmt **aStmt; /* prepared plan statements, by VIEW_STMT_* (may hold several) */
    int *anStmt;
    int nSlot;
    unsigned char *aTake;                    /* per batch event: 1 = fed to the view */
    int nTakeAlloc;                          /* size of aTake */
    int nTake;                               /* events fed in this batch */
    int64_t nEvents, nLate, nRows, nBatches; /* lifetime counters (persisted) */
    int64_t commitUs[64];                    /* recent batch durations, microseconds (ring) */
    int nCommit;
    int64_t lastCommitWall;       /* wall-clock ms of the last commit */
    int64_t lastCloseMono;        /* monotonic ms windows were last closed */
    double rate;                  /* events per second taken, over the last few seconds */
    int64_t rateStart, rateCount; /* the current rate window: start (monotonic ms), events */
    int failed;                   /* stopped by an error */
    char *zError;                 /* that error */
    int dirtySource;              /* the view changed: its source must be reopened */
    int transient;                /* a push query's view: temp tables, progress not saved */
} ksq_view;

/* How ksq_view_compile() treats a view: one stored in the catalog
** (KSQ_VIEW_LOAD), one being created (KSQ_VIEW_CREATE: make its tables), or
** a transient one (with KSQ_VIEW_TRANSIENT: a push query; its tables are in
** the temp schema, it emits changes, and its progress is not saved). */
#define KSQ_VIEW_LOAD      0
#define KSQ_VIEW_CREATE    1
#define KSQ_VIEW_TRANSIENT 2

/* Compile a view from its CREATE MATERIALIZED VIEW text: parse, plan,
** create the batch table (and with KSQ_VIEW_CREATE, the view's tables),
** prepare its statements, read its progress. Errors carry a byte offset into
** zSql. */
int ksq_view_compile(ksqlite *k, const char *zName, const char *zSql, int flags, ksq_view **ppView,
                     char **pzErr, int *pErrOff);
/* Load a view from the catalog (ksq_view_compile without creating). */
int ksq_view_load(ksqlite *k, const char *zName, const char *zSql, ksq_view **ppView, char **pzErr);
/* Process the source's current batch (inside the caller's transaction).
** With mayDefer (the source is behind: more is waiting), closing windows may wait
** for a later batch, at most KSQ_CLOSE_INTERVAL_MS. */
int ksq_view_process(ksqlite *k, ksq_view *v, ksq_source *src, int mayDefer, char **pzErr);
/* Close every window (end of stream): --drain. */
int ksq_view_drain(ksqlite *k, ksq_view *v, char **pzErr);
/* Persist progress (offsets, watermark, counters). */
int ksq_view_save(ksqlite *k, ksq_view *v, char **pzErr);
void ksq_view_free(ksqlite *k, ksq_view *v);
/* Messages the view has still to read: high-water marks minus its offsets. */
int64_t ksq_view_lag(const ksq_view *v, const ksq_source *src);

/* ------------------------------------------------------------------ taps (tap.c) */
typedef struct ksq_tap {
    char *zView;                                        /* the view whose rows are captured */
    char *zStream;                                      /* the stream it reads */
    int (*xEmit)(void *, const char *, sqlite3_stmt *); /* ksqlite_on_emit() callback, or NULL */
    void *pEmitArg;                                     /* its argument */
    sqlite3_stmt *pPush;                     /* the running push query over the tap, or NULL */
    int (*xPushRow)(void *, sqlite3_stmt *); /* where its rows go */
    void *pPushArg;                          /* xPushRow's argument */
    int pushStop;                            /* the push query must end */
    sqlite3_stmt *pAll;                      /* SELECT * FROM the capture table */
    sqlite3_stmt *pClear;                    /* DELETE FROM the capture table */
    int nSinks;                              /* sinks reading it (inside the batch) */
} ksq_tap;

/* Start capturing the rows view zView emits (or find the tap that does). */
int ksq_tap_open(ksqlite *k, const char *zView, ksq_tap **ppTap, char **pzErr);
ksq_tap *ksq_tap_find(ksqlite *k, const char *zView);
/* Stop capturing if nobody listens any more (no callback, push query or sink). */
void ksq_tap_release(ksqlite *k, ksq_tap *t);
/* The view is going away: drop its tap, listeners and all. */
void ksq_tap_forget(ksqlite *k, const char *zView);
/* After a batch of stream zStream commits: hand the captured rows to the
** listeners, then empty the capture tables. */
void ksq_tap_deliver(ksqlite *k, const char *zStream);

/* ------------------------------------------------------------------ the runtime */
typedef struct ksq_runtime {
    int nView;
    ksq_view **aView; /* loaded views */
    int nSource;
    ksq_source **aSource;        /* open sources, one per stream with views */
    volatile sig_atomic_t stop;  /* ksqlite_stop() */
    int maxBatch;                /* events per batch */
    int batchMs;                 /* longest wait for a batch */
    ksq_batch *pCurrent;         /* the batch being processed (for vtab_batch.c) */
    ksq_view *pCurrentView;      /* the view being fed (for vtab_batch.c) */
    ksq_source *pCurrentSrc;     /* its source */
    struct ksq_workers *workers; /* threads that decode batches */
    int nTap;
    ksq_tap **aTap; /* views whose emitted rows someone listens to */
    int nSink;
    struct ksq_sink **aSink;  /* loaded sinks (sink.c) */
    int64_t lastSinkWorkMono; /* monotonic ms sinks last checked their timers */
} ksq_runtime;

int ksq_runtime_init(ksqlite *k, char **pzErr);
void ksq_runtime_free(ksqlite *k);
ksq_view *ksq_runtime_view(ksqlite *k, const char *zName);
/* Load the views in the catalog (on open). */
int ksq_runtime_resume(ksqlite *k, char **pzErr);
/* Add or remove a loaded view. */
int ksq_runtime_add_view(ksqlite *k, ksq_view *v);
void ksq_runtime_remove_view(ksqlite *k, const char *zName);
/* One round: poll each source once and process its batch. */
int ksq_runtime_step(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr);
/* The loops behind ksqlite_run(), ksqlite_serve() and ksqlite_run_to_end()
** (ksqlite.c adds the API's rules; see ksqlite.h): *pnEvents counts the
** events processed. A pending ksqlite_stop() (rt->stop) is honoured, then
** reset. Errors go to *pzErr (never NULL). */
int ksq_runtime_run(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr);
int ksq_runtime_serve(ksqlite *k, char **pzErr);
int ksq_runtime_run_to_end(ksqlite *k, int drain, int *pnEvents, char **pzErr);
/* The stream's definition changed (ALTER STREAM): its views are reloaded
** from the catalog at the next step, failed ones included, and its source
** reopened. */
void ksq_runtime_reload_stream(ksqlite *k, const char *zStream);
/* Make view v (not yet added) start at the current high-water marks of its
** stream: it sees only what arrives from now on (push queries). */
int ksq_runtime_start_at_end(ksqlite *k, ksq_view *v, char **pzErr);
/* Figures for ksqlite_get_status(): messages the sources read this run,
** messages still to read (-1 unknown), the fastest view's events/s and the
** smallest watermark (-1 none). */
void ksq_runtime_status(ksqlite *k, int64_t *pRead, int64_t *pLag, double *pRate, int64_t *pWm);
/* The source a view reads (open), or NULL. */
ksq_source *ksq_runtime_source(ksqlite *k, const char *zStream);

/* ------------------------------------------------------------------ push queries (push.c) */
/* Run push query st (SELECT ... EMIT CHANGES) until xRow returns non-zero,
** ksqlite_interrupt(), or an error; see ksqlite_exec(). */
int ksq_push_run(ksqlite *k, const ksq_stmt *st, int (*xRow)(void *, sqlite3_stmt *), void *pArg,
                 char **pzErr, int *pErrOff);

/* ------------------------------------------------------------------ catalog */
int ksq_catalog_ensure(ksqlite *k, char **pzErr);
int ksq_catalog_exists(ksqlite *k);
/* Is zName a stream in the catalog? */
int ksq_catalog_is_stream(ksqlite *k, const char *zName);
/* Run a stream statement (its text is zSql[0..nSql)); rows (SHOW, DESCRIBE,
** EXPLAIN) go to xRow. Errors may carry a byte offset into zSql. */
int ksq_catalog_exec(ksqlite *k, ksq_stmt *st, const char *zSql, int nSql,
                     int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr, int *pErrOff);
/* metrics.c: the ksq_metrics table, and the Prometheus text of the same
** figures (sqlite3_malloc'd; NULL on OOM). */
int ksq_metrics_register(sqlite3 *db, ksqlite *k);
char *ksq_metrics_prometheus(ksqlite *k);
/* metrics_http.c: refresh the served snapshot if it is due (runtime steps). */
void ksq_metrics_tick(ksqlite *k);
void ksq_metrics_stop(ksqlite *k);

/* Register ksq_view_info(), the live figures behind SHOW VIEWS. */
int ksq_catalog_register(sqlite3 *db, ksqlite *k);
/* The stream definition stored for a stream, parsed. */
int ksq_catalog_stream(ksqlite *k, const char *zStream, ksq_stream_def *def, char **pzErr);

/* vtab_batch.c */
int ksq_vtab_batch_register(sqlite3 *db, ksqlite *k);
/* aggregate.c */
int ksq_functions_register(sqlite3 *db);

#endif /* KSQ_RUNTIME_H */
