/*
** kafka_meta.c — what a topic holds: its partitions, the first and last
** offsets of each, and the offset at a point in time. Every call is bounded
** by a timeout and fails with a message that names the topic or brokers.
** Errors a broker gives while leaders move or a broker restarts (not
** leader, leader not available, a dropped connection, ...) are retried
** until the timeout: rd_kafka_metadata() and rd_kafka_offsets_for_times()
** return them as they are.
*/
#include "ksq_int.h"

#include <librdkafka/rdkafka.h>
#include <string.h>

#define RETRY_BACKOFF_MS 100 /* between two tries of a request that failed for now */

/* Is err one a broker gives for now (a leader moving, a broker restarting,
** a connection lost), so the same request can succeed a moment later? */
static int retriable(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE: return 1;
    default: return 0;
    }
}

/* Milliseconds left before deadline (a monotonic time), at least 0. */
static int time_left(int64_t deadline)
{
    int64_t left = deadline - ksq_monotonic_ms();
    return left > 0 ? (int)left : 0;
}

/* An error message for a failed request to the brokers. */
static char *broker_error(const ksq_kclient *client, rd_kafka_resp_err_t err, int timeout_ms)
{
    const char *cause =
        client && client->zLastError[0] ? client->zLastError : rd_kafka_err2str(err);
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
        err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        return sqlite3_mprintf("cannot reach Kafka brokers at %s within %d s: %s",
                               client ? client->zBrokers : "?", (timeout_ms + 999) / 1000, cause);
    }
    return sqlite3_mprintf("Kafka request failed: %s", cause);
}

int ksq_meta_partitions(rd_kafka_t *rk, const ksq_kclient *client, const char *zTopic,
                        int timeout_ms, int32_t **paPart, int *pnPart, char **pzErr)
{
    const rd_kafka_metadata_t *md = NULL;
    const rd_kafka_metadata_topic_t *t = NULL;
    int64_t deadline = ksq_monotonic_ms() + timeout_ms;
    for (;;) {
        /* All topics: asking for one topic by name would auto-create it on
        ** some brokers (the mock cluster among them). */
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, time_left(deadline));
        t = NULL;
        for (int i = 0; !err && i < md->topic_cnt; i++) {
            if (strcmp(md->topics[i].topic, zTopic) == 0) t = &md->topics[i];
        }
        /* A topic whose leaders are being elected is asked about again. */
        rd_kafka_resp_err_t again = err ? err : t ? t->err : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!retriable(again) || time_left(deadline) <= RETRY_BACKOFF_MS) {
            if (err) {
                if (md) rd_kafka_metadata_destroy(md);
                *pzErr = broker_error(client, err, timeout_ms);
                return SQLITE_ERROR;
            }
            break;
        }
        if (md) rd_kafka_metadata_destroy(md);
        md = NULL;
        ksq_sleep_ms(RETRY_BACKOFF_MS);
    }
    int rc = SQLITE_OK;
    if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        *pzErr = sqlite3_mprintf("topic '%s' does not exist on the Kafka brokers at %s", zTopic,
                                 client ? client->zBrokers : "?");
        rc = SQLITE_ERROR;
    } else if (t->err) {
        *pzErr = sqlite3_mprintf("topic '%s': %s", zTopic, rd_kafka_err2str(t->err));
        rc = SQLITE_ERROR;
    } else {
        int32_t *a = sqlite3_malloc64(sizeof(int32_t) * (size_t)(t->partition_cnt + 1));
        if (!a) {
            rc = SQLITE_NOMEM;
        } else {
            /* Partition ids in ascending order. */
            for (int i = 0; i < t->partition_cnt; i++) {
                int32_t id = t->partitions[i].id;
                int j = i;
                while (j > 0 && a[j - 1] > id) a[j] = a[j - 1], j--;
                a[j] = id;
            }
            *paPart = a;
            *pnPart = t->partition_cnt;
        }
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

/* Run ListOffsets for every range with the given timestamp (or -1 latest,
** -2 earliest); the results go to aOut. */
static int list_offsets(rd_kafka_t *rk, const char *zTopic, const ksq_partition_range *a, int n,
                        int64_t ts, int timeout_ms, int64_t *aOut, char **pzErr)
{
    if (n == 0) return SQLITE_OK;
    int64_t deadline = ksq_monotonic_ms() + timeout_ms;
    rd_kafka_resp_err_t err;
    for (;;) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
            rd_kafka_topic_partition_list_add(l, zTopic, a[i].partition)->offset = ts;
        err = rd_kafka_offsets_for_times(rk, l, time_left(deadline));
        for (int i = 0; i < n && !err; i++) {
            if (l->elems[i].err) err = l->elems[i].err;
            aOut[i] = l->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
        if (!retriable(err) || time_left(deadline) <= RETRY_BACKOFF_MS) break;
        ksq_sleep_ms(RETRY_BACKOFF_MS);
    }
    if (err) {
        const ksq_kclient *client = rd_kafka_opaque(rk);
        *pzErr = broker_error(client, err, timeout_ms);
        return SQLITE_ERROR;
    }
    return SQLITE_OK;
}

int ksq_meta_watermarks(rd_kafka_t *rk, const char *zTopic, ksq_partition_range *a, int n,
                        int timeout_ms, char **pzErr)
{
    int64_t *lo = sqlite3_malloc64(sizeof(int64_t) * 2 * (size_t)(n + 1));
    if (!lo) return SQLITE_NOMEM;
    int64_t *hi = lo + n + 1;
    int rc = list_offsets(rk, zTopic, a, n, -2, timeout_ms, lo, pzErr);
    if (!rc) rc = list_offsets(rk, zTopic, a, n, -1, timeout_ms, hi, pzErr);
    for (int i = 0; i < n && !rc; i++) {
        a[i].start = lo[i] < 0 ? 0 : lo[i];
        a[i].end = hi[i] < a[i].start ? a[i].start : hi[i];
    }
    sqlite3_free(lo);
    return rc;
}

int ksq_meta_offsets_for_time(rd_kafka_t *rk, const char *zTopic, ksq_partition_range *a, int n,
                              int64_t ts, int timeout_ms, char **pzErr)
{
    int64_t *off = sqlite3_malloc64(sizeof(int64_t) * (size_t)(n + 1));
    if (!off) return SQLITE_NOMEM;
    int rc = list_offsets(rk, zTopic, a, n, ts < 0 ? 0 : ts, timeout_ms, off, pzErr);
    int nUnknown = 0;
    for (int i = 0; i < n && !rc; i++) nUnknown += off[i] < 0 && a[i].start < a[i].end;
    /* -1 means "no message at or after ts" from a real broker, but brokers
    ** without a time index (librdkafka's mock) answer -1 to every timestamp.
    ** Timestamp 0 tells them apart: every message is at or after it. */
    int noTimeIndex = 0;
    if (!rc && nUnknown > 0) {
        int64_t *probe = sqlite3_malloc64(sizeof(int64_t) * (size_t)(n + 1));
        if (!probe) {
            rc = SQLITE_NOMEM;
        } else {
            rc = list_offsets(rk, zTopic, a, n, 0, timeout_ms, probe, pzErr);
            for (int i = 0; i < n && !rc; i++) noTimeIndex |= probe[i] < 0 && a[i].start < a[i].end;
            sqlite3_free(probe);
        }
        if (noTimeIndex) {
            ksq_log(KSQ_LOG_DEBUG,
                    "topic %s: the broker cannot look up offsets by time; "
                    "reading from the start and filtering",
                    zTopic);
        }
    }
    for (int i = 0; i < n && !rc && !noTimeIndex; i++) {
        /* -1: no message at or after ts, so nothing in this partition. */
        int64_t o = off[i] < 0 ? a[i].end : off[i];
        if (o > a[i].start) a[i].start = o < a[i].end ? o : a[i].end;
    }
    sqlite3_free(off);
    return rc;
}

void ksq_meta_kick(rd_kafka_t *rk, const char *zTopic, const int32_t *aPart, int nPart)
{
    if (nPart <= 0) return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nPart);
    for (int i = 0; i < nPart; i++)
        rd_kafka_topic_partition_list_add(l, zTopic, aPart[i])->offset = -1;
    /* One ListOffsets request per leader; the answers wake their threads. */
    rd_kafka_offsets_for_times(rk, l, 1000);
    rd_kafka_topic_partition_list_destroy(l);
}
