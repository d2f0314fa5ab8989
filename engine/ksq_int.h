/*
** ksq_int.h — the private header shared by the engine's modules.
**
** The path of an event through the engine, by file:
**
**   kafka_conf.c   build a librdkafka configuration from stream options
**   kafka_meta.c   partitions, watermarks and offsets-for-times of a topic
**   scan.c         read bounded offset ranges of a topic (pull queries)
**   decode.c       payload -> typed column values (decode_json.c, decode_csv.c)
**   vtab_kafka.c   the `kafka` SQLite virtual table over all of the above
**
** Support modules: time.c (timestamps and durations), options.c (key=value
** option lists), schema.c (column declarations and inference), mock.c (the
** embedded Kafka), gen_weather.c (sample data), log.c (one-line logs).
**
** Conventions: functions return an SQLite result code (SQLITE_OK on success)
** and report failures through `char **pzErr`, a message allocated with
** sqlite3_mprintf() that the caller frees with sqlite3_free(). Memory that
** crosses into SQLite is allocated with sqlite3_malloc().
*/
#ifndef KSQ_INT_H
#define KSQ_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ksq_sqlite.h" /* <sqlite3.h>; in the library, calls go to the host's SQLite */

typedef struct ksqlite ksqlite;

/* Default timeouts of bounded waits, in milliseconds. */
#define KSQ_META_TIMEOUT_MS  5000  /* metadata, watermarks, offsets-for-times */
#define KSQ_STALL_TIMEOUT_MS 15000 /* a scan that makes no progress this long fails */

/* librdkafka prefetch per consumer (see kafka_conf.c); the benchmark's floor
** consumer uses the same. */
#define KSQ_QUEUE_KBYTES   "8192"
#define KSQ_QUEUE_MESSAGES "100000"

/* Size of an error buffer for functions that cannot allocate. */
#define KSQ_ERRMAX 256

/* ------------------------------------------------------------------------
** log.c — one-line logs on stderr: "ksqlite: LEVEL: message".
*/
enum { KSQ_LOG_ERROR = 0, KSQ_LOG_WARN = 1, KSQ_LOG_INFO = 2, KSQ_LOG_DEBUG = 3 };
extern int ksq_log_level; /* messages above this level are dropped (default WARN) */
void ksq_log(int level, const char *fmt, ...);

/* For crash tests: when the environment variable KSQLITE_CRASH_AT names
** zPoint, the process dies there at once (exit 137, as if killed), so each
** step of a multi-step commit (sink rolls, compaction, topic sends) can be
** shown to recover. */
void ksq_crash_point(const char *zPoint);

/* ------------------------------------------------------------------------
** time.c — event time. All times are milliseconds since the Unix epoch (UTC).
*/
#define KSQ_TIME_TEXT_LEN 23 /* "YYYY-MM-DD HH:MM:SS.SSS" */

/* Parse text as a timestamp: ISO-8601 (date, optional time, fraction and
** zone; no zone means UTC) or a number read by ksq_time_from_double().
** Returns 0 and sets *pMs, or -1 when the text is not a timestamp. */
int ksq_time_parse(const char *z, int n, int64_t *pMs);

/* A number as a timestamp: magnitudes of at least 1e11 are epoch
** milliseconds, smaller ones epoch seconds (with fraction). -1 if out of
** the range of years 0000-9999 or not finite. */
int ksq_time_from_double(double v, int64_t *pMs);
int ksq_time_from_int(int64_t v, int64_t *pMs);

/* Format ms as "YYYY-MM-DD HH:MM:SS.SSS" into out (at least 24 bytes). */
void ksq_time_format(int64_t ms, char *out);

/* Parse a duration: "250 milliseconds", "10 seconds", "1 minute", "2 hours",
** "1 day", "1.5h", "1 hour 30 minutes", "500ms". Returns 0 and sets *pMs
** (always > 0), or -1. */
int ksq_duration_parse(const char *z, int64_t *pMs);

/* Wall clock and monotonic clock in milliseconds. */
int64_t ksq_now_ms(void);
int64_t ksq_monotonic_ms(void);
int64_t ksq_monotonic_us(void);
/* Sleep for ms milliseconds (less if a signal arrives). */
void ksq_sleep_ms(int64_t ms);

/* ------------------------------------------------------------------------
** options.c — `key = value` lists, as in a vtab's arguments or a WITH clause.
*/
typedef struct ksq_option {
    char *key;   /* lower-cased for ksqlite keys, verbatim for librdkafka keys */
    char *value; /* unquoted value, `${NAME}` references not yet expanded */
    int quoted;  /* the key was written quoted: a librdkafka property */
} ksq_option;

typedef struct ksq_options {
    int n;         /* number of options */
    ksq_option *a; /* the options, in the order given */
} ksq_options;

/* Parse one "key = value" argument (as SQLite passes a vtab argument) and
** append it to opts. Values may be 'single', "double" quoted or bare. */
int ksq_options_add_arg(ksq_options *opts, const char *zArg, char **pzErr);
/* Append a key and an already unquoted value. */
int ksq_options_add(ksq_options *opts, const char *key, const char *value, int quoted);
/* Value of a ksqlite key (case-insensitive), or NULL. */
const char *ksq_options_get(const ksq_options *opts, const char *key);
void ksq_options_clear(ksq_options *opts);

/* Expand `${NAME}` references from the environment. Returns a string from
** sqlite3_malloc, or NULL with *pzErr set (an unset variable is an error;
** the message names the variable, never a value). */
char *ksq_options_expand(const char *zValue, const char *zKey, char **pzErr);

/* Does this librdkafka property hold a secret (password, key, token)? */
int ksq_option_is_secret(const char *key);

/* ------------------------------------------------------------------------
** schema.c — the columns a stream decodes from each message.
*/
typedef enum ksq_type {
    KSQ_TEXT = 1,
    KSQ_INTEGER,
    KSQ_REAL,
    KSQ_BOOLEAN,
    KSQ_TIMESTAMP,
    KSQ_JSON /* the JSON text of any value, objects and arrays included */
} ksq_type;

typedef enum ksq_format { KSQ_FORMAT_JSON = 1, KSQ_FORMAT_CSV } ksq_format;

typedef struct ksq_column {
    char *name; /* SQL name */
    ksq_type type;
    char *path;  /* JSON: dotted path ("main.temp"); CSV: unused */
    char **segs; /* JSON: path split at dots */
    int nseg;    /* number of segments in segs */
    int field;   /* CSV: 0-based field position */
} ksq_column;

typedef struct ksq_schema {
    ksq_format format;
    int ncol;         /* number of payload columns */
    ksq_column *cols; /* the payload columns, in declaration order */
    int ts_col;       /* index of the event-time column, or -1 (Kafka timestamp) */
    char csv_delim;   /* CSV field delimiter */
} ksq_schema;

/* Parse "city TEXT, ts TIMESTAMP, temp REAL PATH 'main.temp'" into schema.
** Column types: TEXT, INTEGER (INT, BIGINT), REAL (DOUBLE, FLOAT), BOOLEAN,
** TIMESTAMP, JSON. */
int ksq_schema_parse(ksq_schema *schema, const char *zColumns, char **pzErr);
/* Set the event-time column by name (it becomes TIMESTAMP if untyped). */
int ksq_schema_set_timestamp(ksq_schema *schema, const char *zName, char **pzErr);
/* The declaration of the payload columns, as ksq_schema_parse() reads it. */
char *ksq_schema_text(const ksq_schema *schema);
void ksq_schema_clear(ksq_schema *schema);
const char *ksq_type_name(ksq_type t);

/* Infer columns from sample payloads: JSON keys (nested objects flattened to
** a_b with path 'a.b') or CSV fields (a first record of names is a header).
** Numbers become INTEGER or REAL, ISO text TIMESTAMP, booleans BOOLEAN. */
int ksq_schema_infer(ksq_schema *schema, ksq_format format, char delim, int nSample,
                     const char *const *azPayload, const int *anPayload, char **pzErr);

/* ------------------------------------------------------------------------
** decode.c — one payload into typed column values.
*/
typedef struct ksq_value {
    int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
    int n;    /* bytes of text */
    union {
        sqlite3_int64 i; /* SQLITE_INTEGER (TIMESTAMP: epoch ms) */
        double r;        /* SQLITE_FLOAT */
        const char *z;   /* SQLITE_TEXT, owned by the decoder */
    } u;
} ksq_value;

typedef struct ksq_decoder ksq_decoder;

/* A decoder for one schema; not thread-safe, one per reader. */
int ksq_decoder_new(const ksq_schema *schema, ksq_decoder **ppDec);
void ksq_decoder_free(ksq_decoder *dec);

/* Decode the columns whose bit is set in mask (bit i = column i; bit 63
** covers columns 63 and above) into aOut[0..ncol-1]; other columns are left
** NULL. Text values stay valid until the next call. Returns SQLITE_OK, or
** SQLITE_MISMATCH when the payload or a column is bad: the bad columns are
** NULL and ksq_decoder_error() says what is wrong. The event-time column,
** when it is in mask, must be present and valid. */
int ksq_decode(ksq_decoder *dec, const void *payload, size_t len, uint64_t mask, ksq_value *aOut);
const char *ksq_decoder_error(const ksq_decoder *dec);

/* Convert a text field to a column type (shared by the CSV decoder and
** tests). Returns 0 on success, -1 with a message in zErr on mismatch. */
int ksq_convert_text(ksq_type type, const char *z, int n, ksq_value *pOut, char *zErr, size_t nErr);

/* decode_json.c / decode_csv.c: per-format backends used by decode.c. */
typedef struct ksq_json_state ksq_json_state;
int ksq_json_decode(ksq_json_state **ppState, const ksq_schema *schema, const void *payload,
                    size_t len, uint64_t mask, ksq_value *aOut, char *zErr, size_t nErr);
void ksq_json_state_free(ksq_json_state *st);

typedef struct ksq_csv_state ksq_csv_state;
int ksq_csv_decode(ksq_csv_state **ppState, const ksq_schema *schema, const void *payload,
                   size_t len, uint64_t mask, ksq_value *aOut, char *zErr, size_t nErr);
void ksq_csv_state_free(ksq_csv_state *st);
/* Split one CSV record into fields (for inference): the callback gets each
** field; returns the number of fields or -1 on a malformed record. */
int ksq_csv_split(const void *payload, size_t len, char delim,
                  void (*xField)(void *arg, const char *z, size_t n, int isNull), void *arg);

/* ------------------------------------------------------------------------
** kafka_conf.c — librdkafka configuration from options.
*/
struct rd_kafka_conf_s;
struct rd_kafka_s;

/* The client state every handle we create carries (as its opaque): the
** last error librdkafka reported, for messages that name the real cause. */
typedef struct ksq_kclient {
    char zLastError[KSQ_ERRMAX]; /* last error_cb message, "" if none */
    char zBrokers[KSQ_ERRMAX];   /* bootstrap servers, for messages */
} ksq_kclient;

/* Build a configuration: bootstrap servers (option `brokers`, else
** zDefaultBrokers), every quoted option (with ${NAME} expanded), and the
** defaults ksqlite relies on. Refuses options that load or run code and
** silent TLS verification bypasses. The conf's opaque is pClient. */
int ksq_kafka_conf_new(const ksq_options *opts, const char *zDefaultBrokers, ksq_kclient *pClient,
                       struct rd_kafka_conf_s **ppConf, char **pzErr);
/* Check the options alone (no environment expansion): for CREATE time. */
int ksq_kafka_conf_check(const ksq_options *opts, char **pzErr);
/* Create a consumer handle from options; the client must outlive it. With
** strict, an offset the topic no longer holds is reported to the reader
** (RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) instead of reset to the earliest. */
int ksq_kafka_consumer_new(const ksq_options *opts, const char *zDefaultBrokers, int strict,
                           ksq_kclient *pClient, struct rd_kafka_s **ppRk, char **pzErr);

/* ------------------------------------------------------------------------
** kafka_meta.c — what a topic holds.
*/
typedef struct ksq_partition_range {
    int32_t partition; /* partition id */
    int64_t start;     /* first offset to read */
    int64_t end;       /* one past the last offset to read */
} ksq_partition_range;

/* Partition ids of topic. Fails with a message naming the topic when it does
** not exist, or the brokers when they cannot be reached in timeout_ms. */
int ksq_meta_partitions(struct rd_kafka_s *rk, const ksq_kclient *client, const char *zTopic,
                        int timeout_ms, int32_t **paPart, int *pnPart, char **pzErr);
/* Wake the fetchers of a consumer that starves while its partitions still
** have data: librdkafka 2.0 re-checks a full prefetch queue only when a
** broker thread wakes, up to a second later; the answer to a ListOffsets
** request wakes it now. aPart are partitions with data still to read. */
void ksq_meta_kick(struct rd_kafka_s *rk, const char *zTopic, const int32_t *aPart, int nPart);
/* Fill start (low watermark) and end (high watermark) of each range. */
int ksq_meta_watermarks(struct rd_kafka_s *rk, const char *zTopic, ksq_partition_range *a, int n,
                        int timeout_ms, char **pzErr);
/* For each range, move start to the first offset whose timestamp is >= ts
** (end if none). Brokers without a time index leave start unchanged. */
int ksq_meta_offsets_for_time(struct rd_kafka_s *rk, const char *zTopic, ksq_partition_range *a,
                              int n, int64_t ts, int timeout_ms, char **pzErr);

/* ------------------------------------------------------------------------
** scan.c — read offset ranges of a topic once, then end.
*/
typedef struct ksq_scan ksq_scan;
struct rd_kafka_message_s;

/* Start reading [start,end) of each range (ranges with start >= end are
** done already). Takes ownership of rk. */
int ksq_scan_open(struct rd_kafka_s *rk, ksq_kclient *client, const char *zTopic,
                  const ksq_partition_range *aRange, int nRange, ksq_scan **ppScan, char **pzErr);
/* Advance to the next message: returns SQLITE_ROW with *ppMsg set (valid
** until the next call), SQLITE_DONE at the end of every range, or an error
** (a stall longer than the stall timeout, or *pInterrupt set). */
int ksq_scan_next(ksq_scan *scan, const struct rd_kafka_message_s **ppMsg,
                  volatile sig_atomic_t *pInterrupt, char **pzErr);
void ksq_scan_close(ksq_scan *scan);

/* ------------------------------------------------------------------------
** stream.c — a stream's definition, from vtab arguments or a WITH clause.
*/
typedef struct ksq_stream_def {
    char *zTopic;           /* Kafka topic */
    ksq_options opts;       /* every option as given (secrets unexpanded) */
    ksq_schema schema;      /* payload columns; ncol == 0 until resolved */
    char delimiter;         /* CSV delimiter, 0 for ',' */
    int nSample;            /* messages sampled to infer columns */
    int onErrorNull;        /* on_error = 'null': keep bad rows with NULLs */
    int onGapSkip;          /* on_gap = 'skip': go on past offsets retention removed */
    int64_t watermarkMs;    /* watermark delay */
    int64_t idleTimeoutMs;  /* a partition idle this long stops holding the watermark */
    int64_t maxFutureMs;    /* event times this far past the wall clock are dead letters */
    int64_t stallTimeoutMs; /* no message for this long: the input has stalled (0: never) */
} ksq_stream_def;

/* Parse and check vtab-style arguments ("key = value"). Columns are parsed
** when given; otherwise schema.ncol is 0 until ksq_stream_def_resolve(). */
int ksq_stream_def_parse(ksq_stream_def *def, int nArg, const char *const *azArg, char **pzErr);
/* Check the options already in def->opts and fill the other fields (as
** ksq_stream_def_parse does after reading its arguments). On failure def is
** cleared. */
int ksq_stream_def_validate(ksq_stream_def *def, char **pzErr);
/* Infer the columns from a sample of the topic when none were given. */
int ksq_stream_def_resolve(ksq_stream_def *def, const char *zDefaultBrokers,
                           volatile sig_atomic_t *pInterrupt, char **pzErr);
/* Apply format, delimiter and timestamp options to a freshly set schema. */
int ksq_stream_def_finish_schema(ksq_stream_def *def, char **pzErr);
void ksq_stream_def_clear(ksq_stream_def *def);

/* ------------------------------------------------------------------------
** mock.c — the embedded Kafka (public API: ksqlite_mock_* in ksqlite.h).
*/
struct ksqlite_mock;
/* The rd_kafka_mock_cluster_t of a mock, for fault injection (tools/broker.c);
** owned by the mock. */
void *ksq_mock_cluster(struct ksqlite_mock *m);

/* ------------------------------------------------------------------------
** vtab_kafka.c — the `kafka` virtual table module.
*/
int ksq_vtab_register(sqlite3 *db, ksqlite *k);

/* ------------------------------------------------------------------------
** ksqlite.c — the engine handle, as seen by the modules.
*/
struct ksq_runtime;
struct ksq_metrics_server;

struct ksqlite {
    sqlite3 *db;                        /* the database */
    struct ksq_runtime *rt;             /* continuous views (runtime.c), or NULL */
    int owns_db;                        /* close db in ksqlite_close() */
    char *zDefaultBrokers;              /* --brokers / KSQLITE_BROKERS, or NULL */
    volatile sig_atomic_t interrupted;  /* set by ksqlite_interrupt() */
    int error_offset;                   /* byte offset of the last exec error, or -1 */
    int nViewsCreated;                  /* CREATE MATERIALIZED VIEW statements run */
    int nPush;                          /* push queries started (names their transient views) */
    struct ksq_metrics_server *metrics; /* the HTTP metrics endpoint, or NULL (metrics_http.c) */
    int errCode;                        /* result of the last API call (ksqlite_errmsg()) */
    char *zErrMsg;                      /* its message, or NULL for sqlite3_errstr(errCode) */
    int nDepth;                         /* API calls running on k: > 0 inside their callbacks */
    struct ksq_scan_progress {          /* pull queries' scans, for ksqlite_get_status() */
        int nActive;                    /* scans open */
        int64_t nRead, nTotal;          /* messages read, and in their ranges */
        int64_t startMs;                /* monotonic time the first of them started */
    } scan;
};

/* For extension.c, which ties an engine to the connection it is loaded
** into. Errors go to *pzErr as well as to ksqlite_errmsg().
**
** ksqlite_run() and ksqlite_run_to_end(), also giving the events processed. */
int ksq_engine_run(ksqlite *k, int timeoutMs, int *pnEvents, char **pzErr);
int ksq_engine_run_to_end(ksqlite *k, int drain, int *pnEvents, char **pzErr);
/* The connection is closing: finalize every statement and stop the Kafka
** consumers (the views stay in the database), running no SQL. */
void ksq_engine_suspend(ksqlite *k);
/* The close did not happen: load the views again. */
int ksq_engine_resume(ksqlite *k, char **pzErr);
/* The connection is gone: free k, running no SQL. */
void ksq_engine_destroy(ksqlite *k);

#endif /* KSQ_INT_H */
