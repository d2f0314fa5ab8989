/*
** stream.c — a stream's definition: topic, format, columns and options.
**
** Both spellings of a stream end here:
**
**   CREATE VIRTUAL TABLE weather USING kafka(topic='weather', format='json',
**       columns='city TEXT, ts TIMESTAMP, temperature REAL', timestamp='ts');
**   CREATE STREAM weather (...) WITH (topic = 'weather', ...);   -- parser/ rewrites
**
** ksq_stream_def_parse() checks every option; ksq_stream_def_resolve() infers
** the columns from a sample of the topic when none were given.
*/
#include "ksq_int.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The unquoted option keys a stream understands. */
static const char *const stream_keys[] = {
    "topic",     "brokers",      "format",        "columns",      "timestamp",
    "delimiter", "sample",       "watermark",     "idle_timeout", "max_future",
    "on_error",  "insecure_tls", "stall_timeout", "on_gap",
};

void ksq_stream_def_clear(ksq_stream_def *def)
{
    sqlite3_free(def->zTopic);
    ksq_options_clear(&def->opts);
    ksq_schema_clear(&def->schema);
    memset(def, 0, sizeof *def);
    def->schema.ts_col = -1;
}

/* Read a duration option into *pMs (unchanged when the option is absent). */
static int duration_option(const ksq_options *opts, const char *key, int64_t *pMs, char **pzErr)
{
    const char *v = ksq_options_get(opts, key);
    if (!v) return SQLITE_OK;
    /* Zero, with or without a unit ("0", "0 seconds"): no delay. */
    char *end;
    double d = strtod(v, &end);
    if (end != v && d == 0.0) {
        char *z = sqlite3_mprintf("1%s", end);
        int64_t one;
        int unit = z && (end[0] == 0 || ksq_duration_parse(z, &one) == 0);
        sqlite3_free(z);
        if (unit) {
            *pMs = 0;
            return SQLITE_OK;
        }
    }
    if (ksq_duration_parse(v, pMs)) {
        *pzErr = sqlite3_mprintf("option %s: '%s' is not a duration (e.g. '5 seconds')", key, v);
        return SQLITE_ERROR;
    }
    return SQLITE_OK;
}

int ksq_stream_def_parse(ksq_stream_def *def, int nArg, const char *const *azArg, char **pzErr)
{
    int rc = SQLITE_OK;
    memset(def, 0, sizeof *def);
    for (int i = 0; i < nArg && !rc; i++) rc = ksq_options_add_arg(&def->opts, azArg[i], pzErr);
    if (rc) {
        ksq_options_clear(&def->opts);
        return rc;
    }
    return ksq_stream_def_validate(def, pzErr);
}

int ksq_stream_def_validate(ksq_stream_def *def, char **pzErr)
{
    int rc = SQLITE_OK;
    def->schema.ts_col = -1;
    def->nSample = 100;
    def->watermarkMs = 0;
    def->idleTimeoutMs = 30000;
    def->maxFutureMs = 24 * 3600 * 1000LL;
    def->stallTimeoutMs = 5 * 60 * 1000LL;
    for (int i = 0; i < def->opts.n && !rc; i++) {
        const ksq_option *o = &def->opts.a[i];
        if (o->quoted) continue;
        int known = 0;
        for (size_t j = 0; j < sizeof stream_keys / sizeof stream_keys[0]; j++) {
            known |= strcmp(o->key, stream_keys[j]) == 0;
        }
        if (!known) {
            *pzErr = sqlite3_mprintf("unknown option %s (stream options: topic, brokers, format, "
                                     "columns, timestamp, watermark, idle_timeout, max_future, "
                                     "stall_timeout, on_error, on_gap, delimiter, sample; quote "
                                     "librdkafka properties "
                                     "like 'fetch.min.bytes')",
                                     o->key);
            rc = SQLITE_ERROR;
        }
    }
    if (rc) goto fail;
    rc = ksq_kafka_conf_check(&def->opts, pzErr);
    if (rc) goto fail;

    const char *v = ksq_options_get(&def->opts, "topic");
    if (!v || !v[0]) {
        *pzErr = sqlite3_mprintf("missing option topic (e.g. topic = 'weather')");
        rc = SQLITE_ERROR;
        goto fail;
    }
    def->zTopic = sqlite3_mprintf("%s", v);
    if (!def->zTopic) goto nomem;

    v = ksq_options_get(&def->opts, "format");
    def->schema.format = KSQ_FORMAT_JSON;
    if (v && strcasecmp(v, "csv") == 0) {
        def->schema.format = KSQ_FORMAT_CSV;
    } else if (v && strcasecmp(v, "json") != 0) {
        *pzErr = sqlite3_mprintf("unknown format '%s' (use 'json' or 'csv')", v);
        rc = SQLITE_ERROR;
        goto fail;
    }
    v = ksq_options_get(&def->opts, "delimiter");
    if (v) {
        if (strlen(v) != 1 && strcmp(v, "\\t") != 0) {
            *pzErr = sqlite3_mprintf("option delimiter must be one character");
            rc = SQLITE_ERROR;
            goto fail;
        }
        def->delimiter = strcmp(v, "\\t") == 0 ? '\t' : v[0];
    }
    v = ksq_options_get(&def->opts, "sample");
    if (v) {
        def->nSample = atoi(v);
        if (def->nSample < 1 || def->nSample > 100000) {
            *pzErr = sqlite3_mprintf("option sample must be between 1 and 100000");
            rc = SQLITE_ERROR;
            goto fail;
        }
    }
    v = ksq_options_get(&def->opts, "on_error");
    if (v && strcasecmp(v, "null") != 0 && strcasecmp(v, "dead_letter") != 0) {
        *pzErr = sqlite3_mprintf("option on_error must be 'dead_letter' or 'null'");
        rc = SQLITE_ERROR;
        goto fail;
    }
    def->onErrorNull = v && strcasecmp(v, "null") == 0;
    v = ksq_options_get(&def->opts, "on_gap");
    if (v && strcasecmp(v, "stop") != 0 && strcasecmp(v, "skip") != 0) {
        *pzErr = sqlite3_mprintf("option on_gap must be 'stop' or 'skip'");
        rc = SQLITE_ERROR;
        goto fail;
    }
    def->onGapSkip = v && strcasecmp(v, "skip") == 0;
    rc = duration_option(&def->opts, "watermark", &def->watermarkMs, pzErr);
    if (!rc) rc = duration_option(&def->opts, "idle_timeout", &def->idleTimeoutMs, pzErr);
    if (!rc) rc = duration_option(&def->opts, "max_future", &def->maxFutureMs, pzErr);
    if (!rc) rc = duration_option(&def->opts, "stall_timeout", &def->stallTimeoutMs, pzErr);
    if (rc) goto fail;

    v = ksq_options_get(&def->opts, "columns");
    if (v) {
        rc = ksq_schema_parse(&def->schema, v, pzErr);
        if (rc) goto fail;
        def->schema.format = def->schema.format ? def->schema.format : KSQ_FORMAT_JSON;
        rc = ksq_stream_def_finish_schema(def, pzErr);
        if (rc) goto fail;
    }
    return SQLITE_OK;
nomem:
    rc = SQLITE_NOMEM;
fail:
    ksq_stream_def_clear(def);
    return rc;
}

int ksq_stream_def_finish_schema(ksq_stream_def *def, char **pzErr)
{
    ksq_format format = KSQ_FORMAT_JSON;
    const char *v = ksq_options_get(&def->opts, "format");
    if (v && strcasecmp(v, "csv") == 0) format = KSQ_FORMAT_CSV;
    def->schema.format = format;
    def->schema.csv_delim = def->delimiter ? def->delimiter : ',';
    if (def->schema.ncol >= 63) {
        *pzErr = sqlite3_mprintf("a stream may have at most 62 columns");
        return SQLITE_ERROR;
    }
    v = ksq_options_get(&def->opts, "timestamp");
    if (v) return ksq_schema_set_timestamp(&def->schema, v, pzErr);
    return SQLITE_OK;
}

/* Read up to def->nSample payloads from the start of the topic. */
static int read_sample(ksq_stream_def *def, const char *zDefaultBrokers,
                       volatile sig_atomic_t *pInterrupt, char ***pazPayload, int **panPayload,
                       int *pnSample, char **pzErr)
{
    ksq_kclient client;
    rd_kafka_t *rk = NULL;
    int32_t *aPart = NULL;
    int nPart = 0;
    ksq_partition_range *aRange = NULL;
    ksq_scan *scan = NULL;
    int rc = ksq_kafka_consumer_new(&def->opts, zDefaultBrokers, 0, &client, &rk, pzErr);
    if (!rc)
        rc = ksq_meta_partitions(rk, &client, def->zTopic, KSQ_META_TIMEOUT_MS, &aPart, &nPart,
                                 pzErr);
    if (!rc) {
        aRange = sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(nPart + 1));
        if (!aRange) rc = SQLITE_NOMEM;
    }
    for (int i = 0; i < nPart && !rc; i++) aRange[i].partition = aPart[i];
    if (!rc) rc = ksq_meta_watermarks(rk, def->zTopic, aRange, nPart, KSQ_META_TIMEOUT_MS, pzErr);
    /* Take the sample evenly from the partitions' beginnings. */
    int per = nPart ? (def->nSample + nPart - 1) / nPart : 0;
    for (int i = 0; i < nPart && !rc; i++) {
        if (aRange[i].end - aRange[i].start > per) aRange[i].end = aRange[i].start + per;
    }
    char **az = sqlite3_malloc64(sizeof(char *) * (size_t)(def->nSample + 1));
    int *an = sqlite3_malloc64(sizeof(int) * (size_t)(def->nSample + 1));
    int n = 0;
    if (!az || !an) rc = SQLITE_NOMEM;
    if (!rc) {
        rc = ksq_scan_open(rk, &client, def->zTopic, aRange, nPart, &scan, pzErr);
        rk = NULL; /* owned by the scan now */
    }
    while (!rc && n < def->nSample) {
        const rd_kafka_message_t *m;
        int r = ksq_scan_next(scan, &m, pInterrupt, pzErr);
        if (r == SQLITE_DONE) break;
        if (r != SQLITE_ROW) {
            rc = r;
            break;
        }
        az[n] = sqlite3_mprintf("%.*s", (int)m->len, m->payload ? (const char *)m->payload : "");
        an[n] = (int)m->len;
        if (!az[n]) rc = SQLITE_NOMEM;
        n++;
    }
    ksq_scan_close(scan);
    if (rk) rd_kafka_destroy(rk);
    sqlite3_free(aPart);
    sqlite3_free(aRange);
    if (rc == SQLITE_OK && n == 0) {
        *pzErr = sqlite3_mprintf("cannot infer the columns of topic '%s': it is empty; give "
                                 "columns = '...'",
                                 def->zTopic);
        rc = SQLITE_ERROR;
    }
    if (rc) {
        for (int i = 0; i < n; i++) sqlite3_free(az ? az[i] : NULL);
        sqlite3_free(az);
        sqlite3_free(an);
        return rc;
    }
    *pazPayload = az;
    *panPayload = an;
    *pnSample = n;
    return SQLITE_OK;
}

int ksq_stream_def_resolve(ksq_stream_def *def, const char *zDefaultBrokers,
                           volatile sig_atomic_t *pInterrupt, char **pzErr)
{
    if (def->schema.ncol > 0) return SQLITE_OK;
    char **az = NULL;
    int *an = NULL, n = 0;
    int rc = read_sample(def, zDefaultBrokers, pInterrupt, &az, &an, &n, pzErr);
    if (rc) return rc;
    rc = ksq_schema_infer(&def->schema, def->schema.format, def->delimiter, n,
                          (const char *const *)az, an, pzErr);
    if (!rc) rc = ksq_stream_def_finish_schema(def, pzErr);
    for (int i = 0; i < n; i++) sqlite3_free(az[i]);
    sqlite3_free(az);
    sqlite3_free(an);
    return rc;
}
