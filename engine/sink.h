/*
** sink.h — sinks: where a view's rows go besides its table.
**
**   sink.c          the sink's life: CREATE / DROP / SHOW / COMPACT SINK, EXPORT,
**                   loading and recovery, and each batch's rows into its buffer
**   sink_format.c   a row as a CSV or JSON line, and its Hive partition path
**   sink_files.c    buffered rows into files: write hidden, record, publish by
**                   rename; recovery of what a crash left; compaction; EXPORT
**   sink_topic.c    buffered rows into a Kafka topic (an outbox)
**
** Every row a view emits reaches its sinks exactly once: inside the batch's
** transaction the rows are appended to the sink's buffer table
** ("ksq_k_<sink>"), with the view's results and offsets. Files are written
** from the buffer when a partition rolls: the file is written hidden, a
** transaction records it in the manifest (ksq_sink_files) and removes its
** rows from the buffer, and only then is it renamed into view. On restart,
** recorded files that were not renamed are renamed, and hidden files that
** were never recorded are removed (their rows are still in the buffer).
*/
#ifndef KSQ_SINK_H
#define KSQ_SINK_H

#include "runtime.h"

/* Longest escaped partition value in a path before it is cut and hashed
** (file names are at most 255 bytes). */
#define KSQ_HIVE_MAX_VALUE 200

typedef enum ksq_sink_kind { KSQ_SINK_FILES = 1, KSQ_SINK_TOPIC } ksq_sink_kind;
typedef enum ksq_sink_format { KSQ_SINK_CSV = 1, KSQ_SINK_JSON } ksq_sink_format;

typedef struct ksq_sink {
    char *zName;               /* the sink */
    char *zView;               /* the view whose rows it takes */
    char *zStream;             /* that view's stream: its batches feed the sink */
    ksq_sink_kind kind;        /* files or a topic */
    ksq_sink_format format;    /* CSV or JSON (JSONL for files) */
    char *zTarget;             /* the root directory, or the topic */
    char *zHeader;             /* CSV files: the header line, or NULL */
    int64_t rollBytes;         /* roll a partition at this many buffered bytes */
    int64_t rollRows;          /* ... or rows (0: no limit) */
    int64_t rollMs;            /* ... or when its oldest buffered row is this old */
    ksq_tap *tap;              /* the view's tap (tap.c) */
    sqlite3_stmt *pMaxId;      /* SELECT max(id) of the buffer */
    sqlite3_stmt *pCapture;    /* tapped rows -> buffer */
    sqlite3_stmt *pParts;      /* the new rows' per-partition figures -> ksq_sink_parts */
    int failed;                /* stopped by an error (SHOW SINKS says which) */
    char *zError;              /* the last error (failed, or a roll that will be retried) */
    int64_t lastTryMono;       /* monotonic ms of the last roll or send attempt that failed */
    struct ksq_producer *prod; /* topic sinks: the producer (sink_topic.c) */
    ksq_options opts;          /* topic sinks: brokers and librdkafka properties */
} ksq_sink;

/* sink.c */
int ksq_sink_exec(ksqlite *k, ksq_stmt *st, const char *zSql, int nSql,
                  int (*xRow)(void *, sqlite3_stmt *), void *pArg, char **pzErr, int *pErrOff);
/* Load the sinks in the catalog and recover what a crash left (on open). */
int ksq_sinks_resume(ksqlite *k, char **pzErr);
/* Inside a batch's transaction, after its views: the tapped rows of the
** views of zStream into their sinks' buffers. */
int ksq_sinks_capture(ksqlite *k, const char *zStream, char **pzErr);
/* After a commit, or on a timer: roll the partitions that are due, send
** what topic sinks hold. Errors are kept on the sink and retried. */
void ksq_sinks_work(ksqlite *k, const char *zStream);
/* Publish every buffered row now (graceful stop, --exit-at-end). */
int ksq_sinks_flush(ksqlite *k, char **pzErr);
void ksq_sinks_free(ksqlite *k);
/* The sink a view feeds (for DROP MATERIALIZED VIEW): its name, or NULL. */
const char *ksq_sink_of_view(ksqlite *k, const char *zView);

/* sink_format.c */
int ksq_sink_functions_register(sqlite3 *db);
/* Append z[0..n) Hive-escaped to out (NULL or empty: the default
** partition). Returns 1 when the value was cut and hashed. */
int ksq_hive_escape(sqlite3_str *out, const unsigned char *z, int n);
/* Undo ksq_hive_escape (not the cut): out gets at most n bytes; returns
** its length. */
int ksq_hive_unescape(const char *z, int n, char *out);
/* Append one CSV field (RFC 4180: quoted when needed; NULL is empty). With
** formulaGuard, text starting with = + - @ tab or CR gets a leading '. */
void ksq_csv_field(sqlite3_str *s, sqlite3_value *v, int formulaGuard);
/* The same for text z[0..n). */
void ksq_csv_text(sqlite3_str *s, const char *z, int n, int formulaGuard);
/* Append the current row of st as a JSON object (column name: value). */
void ksq_json_row(sqlite3_str *s, sqlite3_stmt *st);

/* sink_files.c */
/* Roll sink s's partitions: all of them (all), or those due now. */
int ksq_files_roll(ksqlite *k, ksq_sink *s, int all, char **pzErr);
/* Finish or undo what a crash left in sink s's directory. */
int ksq_files_recover(ksqlite *k, ksq_sink *s, char **pzErr);
/* Merge each partition's files into one (COMPACT SINK). */
int ksq_files_compact(ksqlite *k, ksq_sink *s, int64_t *pnMerged, char **pzErr);
/* Write table or view zFrom to file zPath (EXPORT), atomically. */
int ksq_files_export(ksqlite *k, const char *zFrom, const char *zPath, ksq_sink_format format,
                     int64_t *pnRows, char **pzErr);
/* Create directory zPath and its parents (mkdir -p). */
int ksq_mkdirs(const char *zPath, char **pzErr);

/* sink_topic.c */
/* Send what sink s's buffer holds; with wait, until it is all delivered. */
int ksq_topic_send(ksqlite *k, ksq_sink *s, int wait, char **pzErr);
void ksq_topic_close(ksq_sink *s);

#endif /* KSQ_SINK_H */
