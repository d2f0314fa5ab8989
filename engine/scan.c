/*
** scan.c — read fixed offset ranges of a topic once, then end.
**
** A pull query reads each partition from a start offset to the high-water
** mark seen when the query started. The scan assigns those partitions to a
** consumer, hands out messages in arrival order (in offset order within a
** partition), pauses a partition once its range is read, and ends when every
** range is done. A scan that makes no progress for KSQ_STALL_TIMEOUT_MS fails
** with the broker's last error instead of hanging.
*/
#include "ksq_int.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#define SCAN_BATCH   512 /* messages taken from librdkafka at a time */
#define SCAN_POLL_MS 5   /* wait per poll: short, to notice a stalled fetcher */

struct ksq_scan {
    rd_kafka_t *rk;                         /* the consumer (owned) */
    rd_kafka_queue_t *queue;                /* its consumer queue */
    ksq_kclient *client;                    /* last error of rk, for messages */
    char *zTopic;                           /* topic name */
    ksq_partition_range *aRange;            /* ranges to read; start advances as we read */
    int nRange;                             /* number of ranges */
    int *aDone;                             /* aDone[i]: range i is fully read */
    int nPending;                           /* ranges not yet done */
    rd_kafka_message_t *aBatch[SCAN_BATCH]; /* messages taken, not yet handed out */
    int nBatch, iBatch;                     /* size of aBatch and next index in it */
    rd_kafka_message_t *pCur;               /* message handed out last (freed on next) */
    int64_t lastProgressMs;                 /* monotonic time of the last useful event */
    int64_t lastKickMs;                     /* monotonic time of the last fetcher kick */
};

static int range_index(ksq_scan *scan, int32_t partition)
{
    for (int i = 0; i < scan->nRange; i++) {
        if (scan->aRange[i].partition == partition) return i;
    }
    return -1;
}

/* Mark range i done and stop fetching its partition. */
static void range_done(ksq_scan *scan, int i)
{
    if (scan->aDone[i]) return;
    scan->aDone[i] = 1;
    scan->nPending--;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, scan->zTopic, scan->aRange[i].partition);
    rd_kafka_pause_partitions(scan->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

int ksq_scan_open(rd_kafka_t *rk, ksq_kclient *client, const char *zTopic,
                  const ksq_partition_range *aRange, int nRange, ksq_scan **ppScan, char **pzErr)
{
    ksq_scan *scan = sqlite3_malloc(sizeof *scan);
    if (!scan) {
        rd_kafka_destroy(rk);
        return SQLITE_NOMEM;
    }
    memset(scan, 0, sizeof *scan);
    scan->rk = rk;
    scan->client = client;
    scan->zTopic = sqlite3_mprintf("%s", zTopic);
    scan->aRange = sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(nRange + 1));
    scan->aDone = sqlite3_malloc64(sizeof(int) * (size_t)(nRange + 1));
    if (!scan->zTopic || !scan->aRange || !scan->aDone) {
        ksq_scan_close(scan);
        return SQLITE_NOMEM;
    }
    memcpy(scan->aRange, aRange, sizeof(ksq_partition_range) * (size_t)nRange);
    scan->nRange = nRange;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nRange);
    for (int i = 0; i < nRange; i++) {
        scan->aDone[i] = aRange[i].start >= aRange[i].end;
        if (scan->aDone[i]) continue;
        scan->nPending++;
        rd_kafka_topic_partition_list_add(l, zTopic, aRange[i].partition)->offset = aRange[i].start;
    }
    int rc = SQLITE_OK;
    if (scan->nPending > 0) {
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
        if (err) {
            *pzErr = sqlite3_mprintf("cannot read topic '%s': %s", zTopic, rd_kafka_err2str(err));
            rc = SQLITE_ERROR;
        }
        scan->queue = rd_kafka_queue_get_consumer(rk);
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (rc) {
        ksq_scan_close(scan);
        return rc;
    }
    scan->lastProgressMs = ksq_monotonic_ms();
    *ppScan = scan;
    return SQLITE_OK;
}

/* Decide what to do with one message or event from librdkafka. Returns 1 if
** it is a row to hand out, 0 to skip it, or an error code. */
static int scan_accept(ksq_scan *scan, rd_kafka_message_t *m, char **pzErr)
{
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* End of the log: everything up to our snapshot's end is read. */
            int i = range_index(scan, m->partition);
            if (i >= 0) range_done(scan, i);
            scan->lastProgressMs = ksq_monotonic_ms();
            return 0;
        }
        if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
            m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            *pzErr = sqlite3_mprintf("topic '%s' disappeared while it was read", scan->zTopic);
            return SQLITE_ERROR;
        }
        /* Transient errors (connection lost, leader moved): librdkafka retries. */
        snprintf(scan->client->zLastError, sizeof scan->client->zLastError, "%s",
                 rd_kafka_message_errstr(m));
        return 0;
    }
    int i = range_index(scan, m->partition);
    if (i < 0 || scan->aDone[i]) return 0;
    ksq_partition_range *r = &scan->aRange[i];
    if (m->offset >= r->end) {
        range_done(scan, i);
        return 0;
    }
    if (m->offset < r->start) return 0;
    r->start = m->offset + 1;
    if (r->start >= r->end) range_done(scan, i);
    scan->lastProgressMs = ksq_monotonic_ms();
    return 1;
}

/* Nothing came though ranges are pending: wake a stalled fetcher. */
static void scan_kick(ksq_scan *scan)
{
    int32_t aLag[256];
    int nLag = 0;
    int64_t now = ksq_monotonic_ms();
    if (now - scan->lastKickMs < 20) return;
    for (int i = 0; i < scan->nRange && nLag < 256; i++) {
        if (!scan->aDone[i]) aLag[nLag++] = scan->aRange[i].partition;
    }
    scan->lastKickMs = now;
    ksq_meta_kick(scan->rk, scan->zTopic, aLag, nLag);
}

int ksq_scan_next(ksq_scan *scan, const rd_kafka_message_t **ppMsg,
                  volatile sig_atomic_t *pInterrupt, char **pzErr)
{
    if (scan->pCur) {
        rd_kafka_message_destroy(scan->pCur);
        scan->pCur = NULL;
    }
    for (;;) {
        while (scan->iBatch < scan->nBatch) {
            rd_kafka_message_t *m = scan->aBatch[scan->iBatch++];
            int r = scan_accept(scan, m, pzErr);
            if (r == 1) {
                scan->pCur = m;
                *ppMsg = m;
                return SQLITE_ROW;
            }
            rd_kafka_message_destroy(m);
            if (r != 0) return r;
        }
        if (scan->nPending == 0) return SQLITE_DONE;
        if (pInterrupt && *pInterrupt) {
            *pzErr = sqlite3_mprintf("interrupted");
            return SQLITE_INTERRUPT;
        }
        ssize_t n =
            rd_kafka_consume_batch_queue(scan->queue, SCAN_POLL_MS, scan->aBatch, SCAN_BATCH);
        scan->nBatch = n < 0 ? 0 : (int)n;
        scan->iBatch = 0;
        if (scan->nBatch == 0) scan_kick(scan);
        if (scan->nBatch == 0 && ksq_monotonic_ms() - scan->lastProgressMs > KSQ_STALL_TIMEOUT_MS) {
            int i = 0;
            while (i < scan->nRange && scan->aDone[i]) i++;
            *pzErr = sqlite3_mprintf("no progress reading topic '%s' partition %d at offset %lld "
                                     "for %d s: %s",
                                     scan->zTopic, (int)scan->aRange[i].partition,
                                     (long long)scan->aRange[i].start, KSQ_STALL_TIMEOUT_MS / 1000,
                                     scan->client->zLastError[0] ? scan->client->zLastError
                                                                 : "no data from the broker");
            return SQLITE_ERROR;
        }
    }
}

void ksq_scan_close(ksq_scan *scan)
{
    if (!scan) return;
    if (scan->pCur) rd_kafka_message_destroy(scan->pCur);
    while (scan->iBatch < scan->nBatch) rd_kafka_message_destroy(scan->aBatch[scan->iBatch++]);
    if (scan->queue) rd_kafka_queue_destroy(scan->queue);
    if (scan->rk) {
        rd_kafka_consumer_close(scan->rk);
        rd_kafka_destroy(scan->rk);
    }
    sqlite3_free(scan->zTopic);
    sqlite3_free(scan->aRange);
    sqlite3_free(scan->aDone);
    sqlite3_free(scan);
}
