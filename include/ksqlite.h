/*
** ksqlite.h — the public interface of ksqlite, an embedded SQL stream engine.
**
** ksqlite registers Kafka topics as SQLite virtual tables and runs SQL over
** them. A minimal program:
**
**   ksqlite *k;
**   if (ksqlite_open("pipeline.db", &k) != KSQLITE_OK) { ... }
**   ksqlite_set_brokers(k, "localhost:9092");
**   ksqlite_exec(k, "CREATE VIRTUAL TABLE w USING kafka(topic='weather');"
**                   "SELECT count(*) FROM w;", print_row, NULL, &zErr);
**   ksqlite_close(k);
**
** Ownership: strings returned through `char **pzErr` are the caller's, to be
** freed with ksqlite_free(). Other returned strings belong to the object they
** came from and live as long as it. Threads: a ksqlite handle is used by one
** thread at a time; ksqlite_interrupt() alone may be called from any thread
** or a signal handler.
**
** Result codes are SQLite's (KSQLITE_OK == SQLITE_OK, ...).
*/
#ifndef KSQLITE_H
#define KSQLITE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <sqlite3.h>

#define KSQLITE_VERSION "0.1.0"

#define KSQLITE_OK        SQLITE_OK
#define KSQLITE_ERROR     SQLITE_ERROR
#define KSQLITE_NOMEM     SQLITE_NOMEM
#define KSQLITE_INTERRUPT SQLITE_INTERRUPT

/* ------------------------------------------------------------------------
** Opening and closing
*/
typedef struct ksqlite ksqlite;

/* Open (or create) the database at zPath (":memory:" or NULL for an
** in-memory one) and register the `kafka` module. File databases use WAL so
** other readers see results while the engine writes. Default brokers come
** from the KSQLITE_BROKERS environment variable. On failure *ppK is NULL and
** the error is in *pzErr (may be NULL if not wanted). */
int ksqlite_open(const char *zPath, ksqlite **ppK, char **pzErr);

/* Attach to a database the host owns: registers the `kafka` module on db.
** ksqlite_close() will not close db. */
int ksqlite_attach(sqlite3 *db, ksqlite **ppK, char **pzErr);

/* Close the engine (and its database, if ksqlite_open() opened it). */
void ksqlite_close(ksqlite *k);

/* The database handle; owned by k. */
sqlite3 *ksqlite_db(ksqlite *k);

/* Set the default bootstrap servers for streams without `brokers`; the
** string is copied. NULL clears it. */
int ksqlite_set_brokers(ksqlite *k, const char *zBrokers);
const char *ksqlite_brokers(ksqlite *k);

/* ------------------------------------------------------------------------
** Running statements
*/

/* Called once per result row; pStmt is positioned on the row (read it with
** sqlite3_column_*()). Return non-zero to stop. After the last row of each
** statement that returned rows, it is called once more with pStmt NULL. */
typedef int (*ksqlite_row_fn)(void *pArg, sqlite3_stmt *pStmt);

/* Run every statement in zSql in order, calling xRow (if not NULL) for each
** result row. Stops at the first error: returns its code and sets *pzErr.
** ksqlite_error_offset() then gives the byte offset in zSql where the
** failing statement went wrong.
**
** A push query, `SELECT ... FROM stream EMIT CHANGES` or `SELECT ... FROM
** view EMIT CHANGES`, reads what arrives from the moment it starts: xRow
** gets each row as its batch commits (pStmt positioned on it; one
** xRow(pArg, NULL) after each batch's rows), and the continuous views keep
** running meanwhile. It ends when xRow returns non-zero or on
** ksqlite_interrupt() (then ksqlite_exec() returns KSQLITE_INTERRUPT). */
int ksqlite_exec(ksqlite *k, const char *zSql, ksqlite_row_fn xRow, void *pArg, char **pzErr);

/* Byte offset into the last ksqlite_exec()'s zSql of its error, or -1. */
int ksqlite_error_offset(ksqlite *k);

/* Ask the running statement to stop soon with KSQLITE_INTERRUPT. Safe from
** any thread and from a signal handler. */
void ksqlite_interrupt(ksqlite *k);

/* ------------------------------------------------------------------------
** Continuous views
**
** Views created with CREATE MATERIALIZED VIEW (or found in the database at
** open) are kept up to date by these calls, in the calling thread.
*/

/* Process the views' streams for up to timeoutMs milliseconds (or until
** ksqlite_stop()). Each batch commits results, state and offsets together. */
int ksqlite_run(ksqlite *k, int timeoutMs);

/* Read every stream up to the high-water marks seen when called, then
** return. With drain, end of input is end of stream: every open window is
** emitted. */
int ksqlite_run_to_end(ksqlite *k, int drain, char **pzErr);

/* Run the views until ksqlite_stop(): the loop of a service. Before it
** returns, the windows that can close are emitted and committed. */
int ksqlite_serve(ksqlite *k, char **pzErr);

/* Rows a view emits: appended rows of a filter view, one row per closed
** window (EMIT FINAL), the new version of each changed row (EMIT CHANGES).
** xEmit is called after the batch that produced the rows commits, once per
** row with pRow positioned on it (read it with sqlite3_column_*(); the
** columns are the view's), in the thread that runs the views. Return
** non-zero from xEmit to skip the batch's remaining rows. One callback per
** view: a second call replaces the first; xEmit NULL removes it. zView must
** name a materialized view. */
typedef int (*ksqlite_emit_fn)(void *pArg, const char *zView, sqlite3_stmt *pRow);
int ksqlite_on_emit(ksqlite *k, const char *zView, ksqlite_emit_fn xEmit, void *pArg, char **pzErr);

/* Progress of what is running, for status lines: a pull query's scan (while
** one runs) or the continuous views. Safe to call from the thread that runs
** statements and views, e.g. from a progress handler or an emit callback. */
typedef struct ksqlite_status {
    int scanning;            /* a pull query's scan is running */
    sqlite3_int64 nRead;     /* messages read: by the scan, or by the views this run */
    sqlite3_int64 nTotal;    /* the scan: messages in its ranges; views: read + lag */
    sqlite3_int64 lag;       /* messages still to read up to the high-water marks, -1 unknown */
    double eventsPerSec;     /* read rate over the last seconds */
    sqlite3_int64 watermark; /* views: the smallest watermark (epoch ms), -1 if none */
} ksqlite_status;
void ksqlite_get_status(ksqlite *k, ksqlite_status *pStatus);

/* Ask ksqlite_run() / ksqlite_run_to_end() to return after the current
** batch commits. Safe from any thread and from a signal handler. */
void ksqlite_stop(ksqlite *k);

/* Number of views running (not failed). */
int ksqlite_view_count(ksqlite *k);

/* Number of CREATE MATERIALIZED VIEW statements run through k (IF NOT
** EXISTS ones included): a script that defines views is a service. */
int ksqlite_views_created(ksqlite *k);

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
** ksqlite_close(). */
int ksqlite_metrics_listen(ksqlite *k, const char *zAddr, int *pPort, char **pzErr);

/* The metrics in Prometheus' text format, now; free with ksqlite_free(). Call
** from the thread that runs the views. NULL on OOM. */
char *ksqlite_metrics_text(ksqlite *k);

/* Free a string returned by ksqlite. */
void ksqlite_free(void *p);

const char *ksqlite_version(void);

/* ------------------------------------------------------------------------
** The embedded Kafka (librdkafka's mock cluster), for demos and tests.
*/
typedef struct ksqlite_mock ksqlite_mock;

/* Start nBrokers mock brokers on loopback. */
int ksqlite_mock_start(int nBrokers, ksqlite_mock **ppMock, char **pzErr);
/* Bootstrap address ("127.0.0.1:port"); owned by the mock. */
const char *ksqlite_mock_bootstrap(const ksqlite_mock *m);
/* Create a topic with nPartition partitions. */
int ksqlite_mock_create_topic(ksqlite_mock *m, const char *zTopic, int nPartition, char **pzErr);
/* Stop the brokers and free m. */
void ksqlite_mock_stop(ksqlite_mock *m);

#ifdef __cplusplus
}
#endif
#endif /* KSQLITE_H */
