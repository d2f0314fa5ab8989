/*
** source.c — one consumer per stream, feeding every view of that stream.
**
** A source assigns all partitions of the stream's topic at the offsets its
** views need (the smallest of theirs), polls batches of messages and decodes
** each message once into an event: its columns, its event time, or why it is
** a dead letter (it does not decode strictly, its event time is missing, or
** it lies further than max_future ahead of the wall clock). Messages are held
** until the batch is reset, so events point into them without copying.
*/
#include "runtime.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ arena */
struct ksq_arena_chunk {
    ksq_arena_chunk *pNext; /* older chunk */
    size_t nSize;           /* bytes in data[] */
    char data[];
};

#define ARENA_CHUNK 65536

/* Copy n bytes into the arena; NULL on OOM. */
static char *arena_copy(ksq_arena *a, const char *z, size_t n)
{
    ksq_arena_chunk *c = a->pHead;
    if (!c || a->nUsed + n + 1 > c->nSize) {
        /* Reuse nothing: chunks are freed at reset, keeping the first. */
        size_t size = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
        c = sqlite3_malloc64(sizeof *c + size);
        if (!c) return NULL;
        c->pNext = a->pHead;
        c->nSize = size;
        a->pHead = c;
        a->nUsed = 0;
    }
    char *p = c->data + a->nUsed;
    memcpy(p, z, n);
    p[n] = 0;
    a->nUsed += n + 1;
    return p;
}

/* Keep the newest chunk for the next batch; free the rest. */
static void arena_reset(ksq_arena *a)
{
    ksq_arena_chunk *c = a->pHead;
    if (!c) return;
    ksq_arena_chunk *old = c->pNext;
    while (old) {
        ksq_arena_chunk *next = old->pNext;
        sqlite3_free(old);
        old = next;
    }
    c->pNext = NULL;
    a->nUsed = 0;
}

static void arena_free(ksq_arena *a)
{
    arena_reset(a);
    sqlite3_free(a->pHead);
    a->pHead = NULL;
}

/* ------------------------------------------------------------------ batches */
void ksq_batch_reset(ksq_batch *b)
{
    for (int i = 0; i < b->nMsg; i++) rd_kafka_message_destroy(b->aMsg[i]);
    b->nMsg = 0;
    b->nEv = 0;
    for (int i = 0; i < KSQ_MAX_SLICES; i++) arena_reset(&b->aArena[i]);
}

static void batch_free(ksq_batch *b)
{
    ksq_batch_reset(b);
    sqlite3_free(b->aEv);
    sqlite3_free(b->aVal);
    sqlite3_free(b->aMsg);
    sqlite3_free(b->aData);
    for (int i = 0; i < KSQ_MAX_SLICES; i++) arena_free(&b->aArena[i]);
    memset(b, 0, sizeof *b);
}

/* Make room for n events (and messages) of ncol columns each. */
static int batch_reserve(ksq_batch *b, int n, int ncol)
{
    if (n <= b->nAlloc) return SQLITE_OK;
    ksq_event *ev = sqlite3_realloc64(b->aEv, sizeof(ksq_event) * (size_t)n);
    if (!ev) return SQLITE_NOMEM;
    b->aEv = ev;
    ksq_value *val = sqlite3_realloc64(b->aVal, sizeof(ksq_value) * (size_t)n * (size_t)(ncol + 1));
    if (!val) return SQLITE_NOMEM;
    b->aVal = val;
    rd_kafka_message_t **msg = sqlite3_realloc64(b->aMsg, sizeof(rd_kafka_message_t *) * (size_t)n);
    if (!msg) return SQLITE_NOMEM;
    b->aMsg = msg;
    int *data = sqlite3_realloc64(b->aData, sizeof(int) * (size_t)n);
    if (!data) return SQLITE_NOMEM;
    b->aData = data;
    b->nAlloc = n;
    return SQLITE_OK;
}

/* ------------------------------------------------------------------ sources */
int ksq_source_part_index(const ksq_source *src, int32_t id)
{
    for (int i = 0; i < src->nPart; i++) {
        if (src->aPart[i].id == id) return i;
    }
    return -1;
}

static int decode_finish(ksq_source *src, ksq_batch *b);

int ksq_source_open(ksqlite *k, const char *zStream, const ksq_stream_def *def,
                    const int32_t *aKnown, const int64_t *aStart, int nKnown, ksq_source **ppSrc,
                    char **pzErr)
{
    ksq_source *src = sqlite3_malloc(sizeof *src);
    if (!src) return SQLITE_NOMEM;
    memset(src, 0, sizeof *src);
    src->def = *def; /* takes ownership of the definition */
    src->zStream = sqlite3_mprintf("%s", zStream);
    int32_t *aPart = NULL;
    int nPart = 0;
    int rc = src->zStream ? SQLITE_OK : SQLITE_NOMEM;
    src->workers = k->rt ? k->rt->workers : NULL;
    for (int i = 0; i < ksq_workers_count(src->workers) && i < KSQ_MAX_SLICES && !rc; i++) {
        rc = ksq_decoder_new(&src->def.schema, &src->aDec[i]);
    }
    if (!rc)
        rc = ksq_kafka_consumer_new(&src->def.opts, k->zDefaultBrokers, 1, &src->client, &src->rk,
                                    pzErr);
    if (!rc)
        rc = ksq_meta_partitions(src->rk, &src->client, src->def.zTopic, KSQ_META_TIMEOUT_MS,
                                 &aPart, &nPart, pzErr);
    if (!rc) {
        src->aPart = sqlite3_malloc64(sizeof(ksq_source_part) * (size_t)(nPart + 1));
        if (!src->aPart) rc = SQLITE_NOMEM;
    }
    if (!rc) {
        int64_t now = ksq_monotonic_ms();
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nPart);
        for (int i = 0; i < nPart; i++) {
            ksq_source_part *p = &src->aPart[i];
            memset(p, 0, sizeof *p);
            p->id = aPart[i];
            p->hwm = -1;
            p->gapAt = -1;
            p->position = RD_KAFKA_OFFSET_BEGINNING;
            p->sinceMs = now;
            for (int j = 0; j < nKnown; j++) {
                if (aKnown[j] == p->id) p->position = aStart[j];
            }
            rd_kafka_topic_partition_list_add(l, src->def.zTopic, p->id)->offset = p->position;
        }
        src->nPart = nPart;
        rd_kafka_poll_set_consumer(src->rk);
        rd_kafka_resp_err_t err = rd_kafka_assign(src->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (err) {
            *pzErr = sqlite3_mprintf("cannot read topic '%s': %s", src->def.zTopic,
                                     rd_kafka_err2str(err));
            rc = SQLITE_ERROR;
        }
        src->queue = rd_kafka_queue_get_consumer(src->rk);
    }
    sqlite3_free(aPart);
    if (rc) {
        ksq_source_close(src);
        return rc;
    }
    *ppSrc = src;
    return SQLITE_OK;
}

void ksq_source_close(ksq_source *src)
{
    if (!src) return;
    if (src->next.decoding) decode_finish(src, &src->next);
    batch_free(&src->next);
    batch_free(&src->batch);
    if (src->queue) rd_kafka_queue_destroy(src->queue);
    if (src->rk) {
        rd_kafka_consumer_close(src->rk);
        rd_kafka_destroy(src->rk);
    }
    for (int i = 0; i < KSQ_MAX_SLICES; i++) ksq_decoder_free(src->aDec[i]);
    ksq_stream_def_clear(&src->def);
    sqlite3_free(src->aPart);
    sqlite3_free(src->zStream);
    sqlite3_free(src);
}

int ksq_source_part_idle(const ksq_source *src, int i, int64_t nowMono)
{
    const ksq_source_part *p = &src->aPart[i];
    if (p->hwm < 0 || p->position < p->hwm) return 0; /* unknown, or data still to read */
    int64_t last = p->lastMsgMs > p->sinceMs ? p->lastMsgMs : p->sinceMs;
    return nowMono - last >= src->def.idleTimeoutMs;
}

int ksq_source_stalled(const ksq_source *src, int64_t nowMono)
{
    if (src->def.stallTimeoutMs <= 0) return 0;
    int64_t last = 0;
    for (int i = 0; i < src->nPart; i++) {
        const ksq_source_part *p = &src->aPart[i];
        int64_t t = p->lastMsgMs > p->sinceMs ? p->lastMsgMs : p->sinceMs;
        if (t > last) last = t;
    }
    return src->nPart > 0 && nowMono - last >= src->def.stallTimeoutMs;
}

int ksq_source_behind(const ksq_source *src, int64_t nAtLeast)
{
    int64_t lag = src->next.nEv; /* taken already, not yet processed */
    for (int i = 0; i < src->nPart; i++) {
        const ksq_source_part *p = &src->aPart[i];
        if (p->hwm >= 0 && p->position >= 0 && p->position < p->hwm) lag += p->hwm - p->position;
    }
    return lag >= nAtLeast;
}

/* Mark ev a dead letter with a message kept in the arena. */
static void dead(ksq_arena *arena, ksq_event *ev, const char *zStage, const char *zMsg)
{
    ev->zStage = zStage;
    ev->zError = arena_copy(arena, zMsg, strlen(zMsg));
    if (!ev->zError) ev->zError = "out of memory";
}

/* Decode one message into event number iEv, with a slice's decoder and arena. */
static int decode_message(ksq_source *src, ksq_batch *b, const rd_kafka_message_t *m, int iEv,
                          ksq_decoder *dec, ksq_arena *arena, int64_t nowWall)
{
    ksq_event *ev = &b->aEv[iEv];
    const ksq_stream_def *def = &src->def;
    const ksq_schema *schema = &def->schema;
    memset(ev, 0, sizeof *ev);
    ev->partition = m->partition;
    ev->offset = m->offset;
    ev->kafkaTs = rd_kafka_message_timestamp(m, NULL);
    ev->key = m->key;
    ev->nKey = (int)m->key_len;
    ev->payload = m->payload;
    ev->nPayload = (int)m->len;
    ev->aVal = &b->aVal[(size_t)iEv * (size_t)(schema->ncol + 1)];
    int rc = ksq_decode(dec, m->payload, m->len, ~0ULL, ev->aVal);
    if (rc == SQLITE_NOMEM) return rc;
    int ts = schema->ts_col;
    int haveTime = ts >= 0 ? ev->aVal[ts].type == SQLITE_INTEGER : ev->kafkaTs >= 0;
    if (rc != SQLITE_OK && (!def->onErrorNull || !haveTime)) {
        dead(arena, ev, "decode", ksq_decoder_error(dec));
        return SQLITE_OK;
    }
    if (!haveTime) {
        dead(arena, ev, "event time", "the message has no event time");
        return SQLITE_OK;
    }
    ev->eventMs = ts >= 0 ? ev->aVal[ts].u.i : ev->kafkaTs;
    if (def->maxFutureMs > 0 && ev->eventMs > nowWall + def->maxFutureMs) {
        char t[KSQ_TIME_TEXT_LEN + 1], msg[160];
        ksq_time_format(ev->eventMs, t);
        snprintf(msg, sizeof msg, "event time %s is more than max_future ahead of the wall clock",
                 t);
        dead(arena, ev, "event time", msg);
        return SQLITE_OK;
    }
    /* Text values point into the decoder; keep them in the batch. */
    for (int c = 0; c < schema->ncol; c++) {
        ksq_value *v = &ev->aVal[c];
        if (v->type != SQLITE_TEXT) continue;
        const char *z = arena_copy(arena, v->u.z, (size_t)v->n);
        if (!z) return SQLITE_NOMEM;
        v->u.z = z;
    }
    return SQLITE_OK;
}

/* Nothing came though some partition has data still to read: the fetcher is
** stalled on a full queue; wake it (at most every 20 ms). */
static void kick_if_starving(ksq_source *src)
{
    int32_t aLag[256];
    int nLag = 0;
    int64_t now = ksq_monotonic_ms();
    if (now - src->lastKickMs < 20) return;
    for (int i = 0; i < src->nPart && nLag < 256; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(src->rk, src->def.zTopic, src->aPart[i].id, &lo, &hi) !=
            0)
            continue;
        if (hi > src->aPart[i].position && src->aPart[i].position >= 0)
            aLag[nLag++] = src->aPart[i].id;
    }
    if (nLag > 0) {
        src->lastKickMs = now;
        ksq_meta_kick(src->rk, src->def.zTopic, aLag, nLag);
    }
}

/* Chunk iChunk of batch b's decode, on thread iThread (its decoder and
** arena). */
static void decode_chunk(void *pArg, int iChunk, int iThread)
{
    ksq_batch *b = pArg;
    ksq_source *src = b->src;
    int n = b->nEv;
    int from = (int)((int64_t)n * iChunk / b->nChunk);
    int to = (int)((int64_t)n * (iChunk + 1) / b->nChunk);
    int rc = SQLITE_OK;
    for (int j = from; j < to && !rc; j++) {
        rc = decode_message(src, b, b->aMsg[b->aData[j]], j, src->aDec[iThread],
                            &b->aArena[iThread], b->nowWall);
    }
    if (rc) b->aRc[iThread] = rc;
}

/* Take up to maxEvents messages into b (reset first), waiting at most
** timeoutMs for the first: data messages become events (decoded later);
** the rest update the partitions' state. */
static void take_messages(ksq_source *src, ksq_batch *b, int maxEvents, int timeoutMs)
{
    ksq_batch_reset(b);
    int64_t nowMono = ksq_monotonic_ms();
    int64_t deadline = nowMono + timeoutMs;
    int wait = timeoutMs < 5 ? timeoutMs : 5;
    while (b->nEv < maxEvents) {
        ssize_t n = rd_kafka_consume_batch_queue(src->queue, wait, b->aMsg + b->nMsg,
                                                 (size_t)(maxEvents - b->nMsg));
        if (n <= 0) {
            if (b->nEv > 0) break;
            kick_if_starving(src);
            int64_t left = deadline - ksq_monotonic_ms();
            if (left <= 0) break;
            wait = left < 5 ? (int)left : 5;
            continue;
        }
        nowMono = ksq_monotonic_ms();
        for (ssize_t j = 0; j < n; j++) {
            rd_kafka_message_t *m = b->aMsg[b->nMsg + j];
            int pi = ksq_source_part_index(src, m->partition);
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && pi >= 0) {
                    /* Retention removed what a view has still to read: the
                    ** runtime decides (on_gap); the partition is stopped. */
                    src->aPart[pi].gapAt = m->offset >= 0 ? m->offset : src->aPart[pi].position;
                    ksq_log(KSQ_LOG_INFO, "stream %s: partition %d: %s", src->zStream, m->partition,
                            rd_kafka_message_errstr(m));
                } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    snprintf(src->client.zLastError, sizeof src->client.zLastError, "%s",
                             rd_kafka_message_errstr(m));
                    ksq_log(KSQ_LOG_WARN, "stream %s: %s", src->zStream, src->client.zLastError);
                } else if (pi >= 0) {
                    src->aPart[pi].position = m->offset;
                }
                continue;
            }
            if (pi >= 0) {
                src->aPart[pi].position = m->offset + 1;
                src->aPart[pi].lastMsgMs = nowMono;
                src->aPart[pi].nEvents++;
                src->aPart[pi].nBytes += (int64_t)m->len;
            }
            b->aData[b->nEv++] = b->nMsg + (int)j;
            src->nEvents++;
            src->nBytes += (int64_t)m->len;
        }
        b->nMsg += (int)n;
        /* Take what is already there without waiting again. */
        wait = 0;
        if (b->nEv > 0 && n < 64) break;
    }
    /* Cached high-water marks: no request is made. */
    for (int i = 0; i < src->nPart; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(src->rk, src->def.zTopic, src->aPart[i].id, &lo, &hi) ==
                0 &&
            hi >= 0) {
            src->aPart[i].hwm = hi;
            if (src->aPart[i].position < 0 && hi == lo)
                src->aPart[i].position = hi; /* empty partition */
        }
    }
}

/* Start decoding b's events: on every core in chunks when it is worth it
** (the helpers start now; the caller joins in ksq_workers_join()). */
static void decode_start(ksq_source *src, ksq_batch *b)
{
    b->src = src;
    b->nowWall = ksq_now_ms();
    memset(b->aRc, 0, sizeof b->aRc);
    b->nChunk = b->nEv >= 512 && src->workers ? 8 : 1;
    b->decoding = b->nEv > 0;
    if (b->decoding && b->nChunk > 1) ksq_workers_start(src->workers, decode_chunk, b, b->nChunk);
}

/* Finish decoding b (helping with what is left), count its dead letters. */
static int decode_finish(ksq_source *src, ksq_batch *b)
{
    if (!b->decoding) return SQLITE_OK;
    if (b->nChunk > 1) {
        ksq_workers_join(src->workers);
    } else {
        decode_chunk(b, 0, 0);
    }
    b->decoding = 0;
    int rc = SQLITE_OK;
    for (int i = 0; i < KSQ_MAX_SLICES; i++) {
        if (b->aRc[i]) rc = b->aRc[i];
    }
    for (int i = 0; i < b->nEv; i++) {
        if (!b->aEv[i].zError) continue;
        src->nDead++;
        int pi = ksq_source_part_index(src, b->aEv[i].partition);
        if (pi >= 0) src->aPart[pi].nDead++;
    }
    return rc;
}

int ksq_source_poll(ksq_source *src, int maxEvents, int timeoutMs, char **pzErr)
{
    (void)pzErr;
    int rc = batch_reserve(&src->batch, maxEvents, src->def.schema.ncol);
    if (!rc) rc = batch_reserve(&src->next, maxEvents, src->def.schema.ncol);
    if (rc) return rc;
    if (src->next.decoding || src->next.nEv > 0) {
        /* The batch prefetched while the last one was processed. */
        rc = decode_finish(src, &src->next);
        ksq_batch tmp = src->batch;
        src->batch = src->next;
        src->next = tmp;
        ksq_batch_reset(&src->next);
        return rc;
    }
    take_messages(src, &src->batch, maxEvents, timeoutMs);
    decode_start(src, &src->batch);
    return decode_finish(src, &src->batch);
}

void ksq_source_prefetch(ksq_source *src, int maxEvents)
{
    if (src->next.decoding || src->next.nEv > 0 || !src->workers) return;
    if (batch_reserve(&src->next, maxEvents, src->def.schema.ncol)) return;
    take_messages(src, &src->next, maxEvents, 0);
    decode_start(src, &src->next);
}
