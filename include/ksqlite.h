/*
** ksqlite.h — the public interface of ksqlite, an embedded SQL stream engine.
**
** ksqlite registers Kafka topics as SQLite virtual tables, runs SQL over
** them, and keeps continuous (windowed) views up to date in ordinary SQLite
** tables, exactly once. A minimal program:
**
**   ksqlite *k;
**   char *zErr = NULL;
**   if (ksqlite_open("pipeline.db", &k, &zErr) != KSQLITE_OK) { ...; ksqlite_free(zErr); }
**   ksqlite_set_brokers(k, "localhost:9092");
**   ksqlite_exec(k, "CREATE STREAM w (city TEXT, ts TIMESTAMP, temp REAL)"
**                   "  WITH (topic = 'weather', timestamp = 'ts');"
**                   "CREATE MATERIALIZED VIEW m AS SELECT city, count(*) AS n, window_start"
**                   "  FROM w GROUP BY city, TUMBLE(ts, '1 minute');", NULL, NULL, &zErr);
**   ksqlite_on_emit(k, "m", print_row, NULL, &zErr);   // each closed window
**   ksqlite_serve(k, &zErr);                           // until ksqlite_stop()
**   ksqlite_close(k);
**
** Build with `pkg-config --cflags --libs ksqlite` or CMake's
** find_package(ksqlite) and the target ksqlite::ksqlite. docs/embedding.md
** walks through the API by task.
**
** RULES THAT HOLD FOR EVERY FUNCTION BELOW
**
** Ownership. A string returned through `char **pzErr` belongs to the caller,
** who frees it with ksqlite_free(); *pzErr is set only when the call fails
** (pass NULL when the message is not wanted; ksqlite_errmsg() has it too).
** Every other returned pointer belongs to the object it came from and stays
** valid as long as that object (and as said at each function). Strings passed
** in are copied when kept; callers may free them when the call returns.
**
** Threads. A ksqlite handle, with the sqlite3* it runs on, is used by one
** thread at a time: the caller serializes calls (as with an sqlite3* in
** SQLite's multi-thread mode). Distinct handles on distinct connections may
** run in parallel threads. The exceptions are ksqlite_stop() and
** ksqlite_interrupt(): safe from any thread and from a signal handler while
** another thread is inside a call on the same handle. ksqlite_version(),
** ksqlite_version_number(), ksqlite_free() and the ksqlite_mock_* functions
** (on distinct mocks) are safe from any thread.
**
** Callbacks (ksqlite_row_fn, ksqlite_emit_fn) run in the thread that made
** the call that produced the row. Inside one, the row is valid until the
** callback returns; the callback may run its own statements on
** ksqlite_db(k) (to read or write other tables) and call ksqlite_stop(),
** ksqlite_interrupt(), ksqlite_get_status(), ksqlite_errmsg(),
** ksqlite_view_count() and ksqlite_db(). Any other call on the same handle
** from a callback fails with KSQLITE_MISUSE (ksqlite_close() is ignored).
**
** Errors. Functions return a result code; on failure the English message is
** in *pzErr and in ksqlite_errmsg(). Messages name what is wrong and where
** (the statement's byte offset is in ksqlite_error_offset()).
**
** SQLite. The header uses SQLite's types (sqlite3, sqlite3_stmt); rows are
** read with sqlite3_column_*(). Nothing here exposes librdkafka or jansson.
*/
#ifndef KSQLITE_H
#define KSQLITE_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions the shared library exports. */
#ifndef KSQLITE_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define KSQLITE_API __attribute__((visibility("default")))
#else
#define KSQLITE_API
#endif
#endif

/* ------------------------------------------------------------------------
** Version
**
** KSQLITE_VERSION is the version of this header, KSQLITE_VERSION_NUMBER the
** same as MAJOR*1000000 + MINOR*1000 + PATCH. The functions give the
** version of the library actually linked or loaded; a program can compare
** the two.
*/
#define KSQLITE_VERSION        "0.1.0"
#define KSQLITE_VERSION_NUMBER 1000

KSQLITE_API const char *ksqlite_version(void);
KSQLITE_API int ksqlite_version_number(void);

/* ------------------------------------------------------------------------
** Result codes
**
** SQLite's: any SQLite result code may be returned (KSQLITE_OK ==
** SQLITE_OK, ...); these are the ones callers usually test.
*/
#define KSQLITE_OK        SQLITE_OK        /* success */
#define KSQLITE_ERROR     SQLITE_ERROR     /* an error the message explains */
#define KSQLITE_BUSY      SQLITE_BUSY      /* another connection holds the database */
#define KSQLITE_NOMEM     SQLITE_NOMEM     /* out of memory */
#define KSQLITE_INTERRUPT SQLITE_INTERRUPT /* ksqlite_interrupt() ended the call */
#define KSQLITE_MISUSE    SQLITE_MISUSE    /* a call the rules above do not allow */

/* ------------------------------------------------------------------------
** Opening and closing
*/
typedef struct ksqlite ksqlite;

/* Open (or create) the database at zPath (a file name or an SQLite URI;
** ":memory:", "" or NULL for an in-memory one) and start an engine on it:
** the `kafka` module, the stream statements, the views found in the
** database (they resume where they stopped). File databases use WAL with
** synchronous=NORMAL, so other connections read the views' tables while
** the engine writes. Default brokers come from the KSQLITE_BROKERS
** environment variable.
**
** On success *ppK is a new handle, to be closed with ksqlite_close(). On
** failure *ppK is NULL, the result code says why and *pzErr (if pzErr is
** not NULL) holds the message, freed with ksqlite_free(). */
KSQLITE_API int ksqlite_open(const char *zPath, ksqlite **ppK, char **pzErr);

/* Start an engine on a connection the host owns, as ksqlite_open() does on
** its own: registers on db the `kafka` module, the functions the engine
** uses (among them the aggregates first, last, stddev, stddev_samp,
** stddev_pop, variance, var_samp, var_pop, which replace any of the same
** name) and resumes the views whose catalog (ksq_views, ...) db holds.
**
** db must come from the SQLite this library calls (the one it is linked
** with, or the host's when it was loaded as an extension), stay open until
** ksqlite_close(k), and be used by one thread at a time together with k.
** The host may run its own statements on db between ksqlite calls. A
** connection has at most one engine: attaching to a db that has one (from
** ksqlite_attach(), ksqlite_open() or the loaded extension) fails with
** KSQLITE_MISUSE. On failure *ppK is NULL and db is left as it was. */
KSQLITE_API int ksqlite_attach(sqlite3 *db, ksqlite **ppK, char **pzErr);

/* Close the engine: stop its Kafka consumers, finalize its statements and
** free k. Views are not stopped in the database: the next engine on the
** database resumes them. A handle from ksqlite_open() closes its database.
** On a host's db (ksqlite_attach()) db stays open; ksqlite_close() removes
** what the engine registered that refers to it — the `kafka` module (the
** host's kafka tables then fail with "no such module: kafka" until another
** engine attaches), its temp tables, and its internal functions — and
** reloads db's schema to disconnect those tables (PRAGMA
** writable_schema=RESET; the host's statements are re-prepared on their
** next step). The aggregates listed at ksqlite_attach() stay. No statement
** may be running on db. NULL is a no-op. Called from a callback, it is
** ignored. */
KSQLITE_API void ksqlite_close(ksqlite *k);

/* The connection k runs on: the one ksqlite_open() opened (owned by k,
** closed by ksqlite_close()) or the host's from ksqlite_attach(). The host
** may prepare and run its own statements on it, in k's thread. It must not
** close it, nor change journal_mode while views run. */
KSQLITE_API sqlite3 *ksqlite_db(ksqlite *k);

/* Set the bootstrap servers ("host:port,...") for streams that do not name
** `brokers` themselves; the string is copied. NULL clears them. Returns
** KSQLITE_OK or KSQLITE_NOMEM. ksqlite_brokers() returns them (owned by k,
** valid until the next ksqlite_set_brokers() or ksqlite_close()) or NULL. */
KSQLITE_API int ksqlite_set_brokers(ksqlite *k, const char *zBrokers);
KSQLITE_API const char *ksqlite_brokers(ksqlite *k);

/* ------------------------------------------------------------------------
** Errors
*/

/* The message of the most recent call on k that returns a result code:
** "not an error" if it succeeded. Owned by k; valid until the next call on
** k. */
KSQLITE_API const char *ksqlite_errmsg(ksqlite *k);

/* Byte offset into the zSql of the most recent ksqlite_exec() of where its
** error is (the start of the failing statement when nothing more precise is
** known), or -1 when it succeeded. */
KSQLITE_API int ksqlite_error_offset(ksqlite *k);

/* Free a string returned through pzErr (or any memory ksqlite says is the
** caller's). NULL is a no-op. */
KSQLITE_API void ksqlite_free(void *p);

/* ------------------------------------------------------------------------
** Running statements
*/

/* Called once per result row of ksqlite_exec(); pStmt is positioned on the
** row (read it with sqlite3_column_*(); it belongs to ksqlite and is valid
** until the callback returns). Return non-zero to stop the statement. After
** the last row of each statement that returned rows, it is called once more
** with pStmt NULL. */
typedef int (*ksqlite_row_fn)(void *pArg, sqlite3_stmt *pStmt);

/* Run every statement in zSql (UTF-8, ';'-separated) in order: SQLite's own
** statements and the stream statements (CREATE STREAM, CREATE MATERIALIZED
** VIEW, DROP ..., SHOW STREAMS, SHOW VIEWS, DESCRIBE, EXPLAIN). xRow (if not
** NULL) gets each result row. A SELECT over a stream is a bounded pull query
** on the topic. Stops at the first error: returns its code, sets *pzErr and
** ksqlite_error_offset(). xRow returning non-zero ends that statement, not
** the call: the statements after it run.
**
** A push query, `SELECT ... FROM stream EMIT CHANGES` or `SELECT ... FROM
** view EMIT CHANGES`, reads what arrives from the moment it starts: xRow
** gets each row as its batch commits (pStmt positioned on it; one
** xRow(pArg, NULL) after each batch's rows), and the continuous views keep
** running meanwhile. It ends when xRow returns non-zero, or on
** ksqlite_interrupt() with KSQLITE_INTERRUPT. */
KSQLITE_API int ksqlite_exec(ksqlite *k, const char *zSql, ksqlite_row_fn xRow, void *pArg,
                             char **pzErr);

/* Make the running ksqlite_exec() (its current statement, a pull query's
** scan or a push query) return KSQLITE_INTERRUPT soon; statements started
** after it returns are not affected. Calls sqlite3_interrupt() on the
** connection, so the host's own statements running on it are interrupted
** too. Safe from any thread and from a signal handler. */
KSQLITE_API void ksqlite_interrupt(ksqlite *k);

/* ------------------------------------------------------------------------
** Continuous views
**
** Views created with CREATE MATERIALIZED VIEW (or found in the database)
** are kept up to date by these calls, in the calling thread. Each batch of
** a stream commits the views' results, state and Kafka offsets in one
** transaction (BEGIN IMMEDIATE ... COMMIT on the connection), so they
** cannot run while the host holds a transaction open on it: they then wait
** (ksqlite_run) or fail (ksqlite_run_to_end, ksqlite_serve) until it ends.
*/

/* Process the views' streams for up to timeoutMs milliseconds, then return:
** the step of an application's own event loop. Waits for events like
** poll() when none are there (also when no view runs); timeoutMs <= 0 makes
** one round that does not wait. Returns early, after closing and committing
** the windows that can close, when ksqlite_stop() is called — also when it
** was called before (a stop is kept until a run call honours it). Returns
** KSQLITE_OK, or an error code with the message in ksqlite_errmsg(). */
KSQLITE_API int ksqlite_run(ksqlite *k, int timeoutMs);

/* Read every stream up to the high-water marks seen when called, then
** return: a batch run. With drain, end of input is end of stream: every
** open window is emitted. Returns early on ksqlite_stop() (pending or
** during the call). Fails if the streams make no progress for 15 s. */
KSQLITE_API int ksqlite_run_to_end(ksqlite *k, int drain, char **pzErr);

/* Run the views until ksqlite_stop(): the loop of a service. Before it
** returns, the windows that can close are emitted and committed. A stop
** called before ksqlite_serve() makes it return at once (after that
** commit). Errors that can pass are logged and ridden out: another
** connection holding the database (retried at once), brokers unreachable, a
** topic unavailable, a full disk or an I/O error (retried after a pause that
** doubles from 0.5 s up to 10 s; the failed batch was rolled back and is read
** again). A corrupt or read-only database, misuse or lack of memory ends it.
** Returns KSQLITE_OK after a stop whose commit succeeded, or the error that
** ended it (then what the sinks could not publish stays buffered in the
** database for the next run). */
KSQLITE_API int ksqlite_serve(ksqlite *k, char **pzErr);

/* Ask ksqlite_serve(), ksqlite_run() or ksqlite_run_to_end() to return at
** the next batch boundary (within about 200 ms). If none is running, the
** next one to start returns at once: the request is kept until one honours
** it, so a signal that arrives just before ksqlite_serve() is not lost.
** Safe from any thread and from a signal handler. */
KSQLITE_API void ksqlite_stop(ksqlite *k);

/* Number of views running (not failed), including push queries' ones
** while they run. */
KSQLITE_API int ksqlite_view_count(ksqlite *k);

/* Number of CREATE MATERIALIZED VIEW statements run through k (IF NOT
** EXISTS ones included): a script that defines views is a service. */
KSQLITE_API int ksqlite_views_created(ksqlite *k);

/* ------------------------------------------------------------------------
** Rows the views emit
*/

/* Called with each row a view emits: appended rows of a filter view, one
** row per closed window (EMIT FINAL), the new version of each changed row
** (EMIT CHANGES). Called after the batch that produced the rows commits,
** once per row, with pRow positioned on it (read it with
** sqlite3_column_*(); the columns are the view's, sqlite3_column_name()
** names them) and zView the view's name; both belong to ksqlite and are
** valid until the callback returns. It runs in the thread that runs the
** views (ksqlite_run/serve/run_to_end, or ksqlite_exec() during a push
** query). Return non-zero to skip the batch's remaining rows for this
** callback. A row is delivered once: a batch rolled back is not seen. */
typedef int (*ksqlite_emit_fn)(void *pArg, const char *zView, sqlite3_stmt *pRow);

/* Call xEmit(pArg, ...) for every row view zView emits from now on. One
** callback per view: a second call replaces the first; xEmit NULL removes
** it. pArg is the caller's and must stay valid until the callback is
** removed, the view is dropped or k is closed. Fails if zView is not a
** running materialized view. */
KSQLITE_API int ksqlite_on_emit(ksqlite *k, const char *zView, ksqlite_emit_fn xEmit, void *pArg,
                                char **pzErr);

/* ------------------------------------------------------------------------
** Status
*/

/* Progress of what is running, for status lines: a pull query's scan (while
** one runs) or the continuous views. Fills *pStatus (the caller's). Safe to
** call from the thread that runs statements and views, including from a
** callback or an SQLite progress handler. */
typedef struct ksqlite_status {
    int scanning;            /* a pull query's scan is running */
    sqlite3_int64 nRead;     /* messages read: by the scan, or by the views this run */
    sqlite3_int64 nTotal;    /* the scan: messages in its ranges; views: read + lag */
    sqlite3_int64 lag;       /* messages still to read up to the high-water marks, -1 unknown */
    double eventsPerSec;     /* read rate over the last seconds */
    sqlite3_int64 watermark; /* views: the smallest watermark (epoch ms), -1 if none */
} ksqlite_status;
KSQLITE_API void ksqlite_get_status(ksqlite *k, ksqlite_status *pStatus);

/* ------------------------------------------------------------------------
** Metrics
**
** The figures of streams, partitions, views and sinks are in the ksq_metrics
** table (SELECT * FROM ksq_metrics) of the engine's database connection.
*/

/* Serve the metrics in Prometheus' text format at http://ADDR/metrics, from
** a thread of its own. zAddr is "HOST:PORT" (IPv4; ":PORT" and "PORT" mean
** 127.0.0.1, loopback); port 0 picks a free one, reported in *pPort (may be
** NULL). The figures are refreshed at most once a second by the thread that
** runs the views (ksqlite_run(), ksqlite_serve(), ...). Stops at
** ksqlite_close(). Thread: the one that uses k. */
KSQLITE_API int ksqlite_metrics_listen(ksqlite *k, const char *zAddr, int *pPort, char **pzErr);

/* The metrics in Prometheus' text format, now; the caller frees it with
** ksqlite_free(). Call from the thread that runs the views. NULL on OOM. */
KSQLITE_API char *ksqlite_metrics_text(ksqlite *k);

/* ------------------------------------------------------------------------
** The SQLite loadable extension
**
** The shared library is also an SQLite extension: `.load libksqlite` in the
** sqlite3 shell, Connection.load_extension() in Python, or
** sqlite3_load_extension(db, "libksqlite", NULL, &zErr) start an engine on
** that connection (freed when it closes) and register SQL functions:
**
**   SELECT ksqlite_exec('CREATE STREAM ...; CREATE MATERIALIZED VIEW ...');
**   SELECT ksqlite_run(500);          -- process for up to 500 ms: events processed
**   SELECT ksqlite_run_to_end(1);     -- read to the end (drain): events processed
**   SELECT ksqlite_brokers('host:9092');
**   SELECT * FROM ksqlite_status;     -- views, lag, watermark, rate
**
** docs/embedding.md lists them with their rules. A program that links the
** library statically can give every new connection an engine with
** sqlite3_auto_extension((void (*)(void))sqlite3_ksqlite_init). The
** engine then calls SQLite through pApi, the host's routines.
*/
struct sqlite3_api_routines;
KSQLITE_API int sqlite3_ksqlite_init(sqlite3 *db, char **pzErrMsg,
                                     const struct sqlite3_api_routines *pApi);

/* ------------------------------------------------------------------------
** The embedded Kafka (librdkafka's mock cluster), for demos and tests.
**
** Brokers on loopback TCP that other processes (kcat, Kafka clients) can
** reach. Each partition keeps at most 5 MiB or 100,000 message sets and
** silently drops the oldest beyond that.
*/
typedef struct ksqlite_mock ksqlite_mock;

/* Start nBrokers (1 to 16) mock brokers. On success *ppMock is the
** cluster, to be stopped with ksqlite_mock_stop(). */
KSQLITE_API int ksqlite_mock_start(int nBrokers, ksqlite_mock **ppMock, char **pzErr);
/* Bootstrap address ("127.0.0.1:port,..."); owned by the mock. */
KSQLITE_API const char *ksqlite_mock_bootstrap(const ksqlite_mock *m);
/* Create a topic with nPartition partitions. */
KSQLITE_API int ksqlite_mock_create_topic(ksqlite_mock *m, const char *zTopic, int nPartition,
                                          char **pzErr);
/* Stop the brokers and free m. Engines using them see the brokers go away.
** NULL is a no-op. */
KSQLITE_API void ksqlite_mock_stop(ksqlite_mock *m);

#ifdef __cplusplus
}
#endif
#endif /* KSQLITE_H */
