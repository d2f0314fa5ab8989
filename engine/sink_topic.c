/*
** sink_topic.c — a topic sink: buffered rows into a Kafka topic.
**
**   CREATE SINK alert_topic FROM weather_alerts INTO TOPIC 'alerts' FORMAT JSON KEY city;
**
** The sink's buffer is an outbox: a batch's rows enter it in the batch's
** transaction (exactly once), and after the commit they are produced in
** order by an idempotent producer (enable.idempotence: no duplicates or
** reordering while the producer lives); a row leaves the outbox only once
** the broker has acknowledged it. A crash between the acknowledgement and
** the outbox's commit sends those rows again on restart: delivery is at
** least once. Every message carries the headers ksqlite-sink (the sink's
** name) and ksqlite-seq (the row's outbox id, fixed when its batch
** committed), so a consumer can drop the repeats exactly: (sink, seq) is
** unique per row. (Transactions with read_committed consumers would make it
** exactly once on a real cluster; librdkafka's mock cluster cannot show
** read_committed, so ksqlite does not claim it.)
*/
#include "sink.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#define CHUNK          5000  /* rows in flight at a time */
#define FLUSH_MS       30000 /* how long a flush waits for everything to be acknowledged */
#define ACK_TIMEOUT_MS 30000 /* a chunk unacknowledged this long is sent again */

typedef struct ksq_producer {
    rd_kafka_t *rk;            /* the producer */
    ksq_kclient client;        /* its last error, for messages */
    int64_t nInFlight;         /* rows of the chunk in flight (0: none) */
    int64_t lastId;            /* the chunk's last outbox id */
    int64_t nAcked, nFailed;   /* its delivery reports so far */
    int64_t sinceMs;           /* monotonic time it was produced */
    char zFailure[KSQ_ERRMAX]; /* the first delivery error */
} ksq_producer;

/* Delivery report: the message's opaque is the producer it counts for. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    ksq_producer *prod = m->_private;
    if (!prod) return;
    if (m->err) {
        if (prod->nFailed++ == 0)
            snprintf(prod->zFailure, sizeof prod->zFailure, "%s", rd_kafka_err2str(m->err));
    } else {
        prod->nAcked++;
    }
}

/* The producer's options: the sink's, and where it says nothing, the
** brokers and client properties (security, ...) of the view's stream: by
** default a sink writes to the cluster its view reads. */
static int producer_options(ksqlite *k, ksq_sink *s, ksq_options *out, char **pzErr)
{
    ksq_stream_def def;
    int rc = SQLITE_OK;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < s->opts.n && !rc; i++)
        rc = ksq_options_add(out, s->opts.a[i].key, s->opts.a[i].value, s->opts.a[i].quoted);
    if (rc || ksq_catalog_stream(k, s->zStream, &def, pzErr) != SQLITE_OK) return rc;
    for (int i = 0; i < def.opts.n && !rc; i++) {
        const ksq_option *o = &def.opts.a[i];
        int take = o->quoted || !strcmp(o->key, "brokers") || !strcmp(o->key, "insecure_tls");
        for (int j = 0; take && j < out->n; j++) take = strcmp(out->a[j].key, o->key) != 0;
        if (take) rc = ksq_options_add(out, o->key, o->value, o->quoted);
    }
    ksq_stream_def_clear(&def);
    return rc;
}

/* Create sink s's producer. */
static int producer_open(ksqlite *k, ksq_sink *s, char **pzErr)
{
    ksq_producer *p = sqlite3_malloc(sizeof *p);
    if (!p) return SQLITE_NOMEM;
    memset(p, 0, sizeof *p);
    rd_kafka_conf_t *conf;
    char err[512];
    ksq_options opts;
    int rc = producer_options(k, s, &opts, pzErr);
    if (!rc) rc = ksq_kafka_conf_new(&opts, k->zDefaultBrokers, &p->client, &conf, pzErr);
    ksq_options_clear(&opts);
    if (rc) {
        sqlite3_free(p);
        return rc;
    }
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set(conf, "message.timeout.ms", "30000", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        sqlite3_free(p);
        *pzErr = sqlite3_mprintf("cannot create a Kafka producer: %s", err);
        return SQLITE_ERROR;
    }
    s->prod = p;
    return SQLITE_OK;
}

void ksq_topic_close(ksq_sink *s)
{
    if (!s->prod) return;
    rd_kafka_flush(s->prod->rk, 2000);
    rd_kafka_destroy(s->prod->rk);
    sqlite3_free(s->prod);
    s->prod = NULL;
}

/* Produce the next chunk of up to CHUNK outbox rows: it is in flight. */
static int produce_chunk(ksqlite *k, ksq_sink *s, char **pzErr)
{
    ksq_producer *p = s->prod;
    sqlite3_stmt *st;
    char *z = sqlite3_mprintf("SELECT id, part, line FROM main.\"ksq_k_%w\" ORDER BY id LIMIT %d",
                              s->zName, CHUNK);
    int rc = z ? sqlite3_prepare_v2(k->db, z, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(z);
    if (rc) return rc;
    p->nAcked = p->nFailed = p->nInFlight = 0;
    p->zFailure[0] = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", (long long)id);
        const char *key = (const char *)sqlite3_column_text(st, 1);
        int nKey = sqlite3_column_bytes(st, 1);
        const char *val = (const char *)sqlite3_column_text(st, 2);
        int nVal = sqlite3_column_bytes(st, 2);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                p->rk, RD_KAFKA_V_TOPIC(s->zTarget), RD_KAFKA_V_KEY(key, key ? (size_t)nKey : 0),
                RD_KAFKA_V_VALUE((void *)val, (size_t)nVal),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADER("ksqlite-sink", s->zName, -1),
                RD_KAFKA_V_HEADER("ksqlite-seq", seq, -1), RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(p->rk, 10);
                continue;
            }
            if (e) {
                *pzErr =
                    sqlite3_mprintf("cannot produce to '%s': %s", s->zTarget, rd_kafka_err2str(e));
                rc = SQLITE_ERROR;
            }
            break;
        }
        if (!rc) {
            p->nInFlight++;
            p->lastId = id;
        }
    }
    sqlite3_finalize(st);
    p->sinceMs = ksq_monotonic_ms();
    return rc;
}

/* Give up the chunk in flight: its rows stay in the outbox and go again
** (the seq header lets consumers drop what did arrive). */
static void abandon_chunk(ksq_producer *p)
{
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    /* Serve the purged messages' reports now, so none counts for the next chunk. */
    for (int i = 0; i < 200 && rd_kafka_outq_len(p->rk) > 0; i++) rd_kafka_poll(p->rk, 10);
    p->nInFlight = 0;
}

/* One step of sending without blocking: serve delivery reports; when the
** chunk in flight is all acknowledged its rows leave the outbox; when none
** is in flight, produce the next. *pBusy says whether rows are in flight. */
static int send_step(ksqlite *k, ksq_sink *s, int *pBusy, char **pzErr)
{
    ksq_producer *p = s->prod;
    int rc = SQLITE_OK;
    *pBusy = 0;
    rd_kafka_poll(p->rk, 0);
    if (p->nInFlight > 0) {
        if (p->nFailed > 0) {
            *pzErr = sqlite3_mprintf("cannot deliver to '%s': %s (%lld of %lld rows; they are "
                                     "sent again)",
                                     s->zTarget, p->zFailure, (long long)p->nFailed,
                                     (long long)p->nInFlight);
            abandon_chunk(p);
            return SQLITE_ERROR;
        }
        if (p->nAcked < p->nInFlight) {
            if (ksq_monotonic_ms() - p->sinceMs > ACK_TIMEOUT_MS) {
                *pzErr = sqlite3_mprintf("no acknowledgement from the brokers at %s for %lld rows "
                                         "in %d s%s%s (they are sent again)",
                                         p->client.zBrokers, (long long)(p->nInFlight - p->nAcked),
                                         ACK_TIMEOUT_MS / 1000, p->client.zLastError[0] ? ": " : "",
                                         p->client.zLastError);
                abandon_chunk(p);
                return SQLITE_ERROR;
            }
            *pBusy = 1;
            return SQLITE_OK;
        }
        /* All acknowledged: they leave the outbox. */
        ksq_crash_point("topic-acked");
        char *z = sqlite3_mprintf(
            "BEGIN IMMEDIATE; DELETE FROM main.\"ksq_k_%w\" WHERE id <= %lld; UPDATE ksq_sinks SET "
            "sent = sent + %lld WHERE name = %Q; COMMIT;",
            s->zName, (long long)p->lastId, (long long)p->nInFlight, s->zName);
        rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        sqlite3_free(z);
        if (rc) {
            if (rc != SQLITE_NOMEM)
                *pzErr = sqlite3_mprintf("cannot record what was sent: %s", sqlite3_errmsg(k->db));
            sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
            return rc; /* the chunk stays acknowledged; recording is tried again */
        }
        p->nInFlight = 0;
    }
    rc = produce_chunk(k, s, pzErr);
    if (rc) {
        abandon_chunk(p);
        return rc;
    }
    *pBusy = p->nInFlight > 0;
    return SQLITE_OK;
}

int ksq_topic_send(ksqlite *k, ksq_sink *s, int wait, char **pzErr)
{
    if (!sqlite3_get_autocommit(k->db)) return SQLITE_OK; /* the user holds a transaction */
    int rc = s->prod ? SQLITE_OK : producer_open(k, s, pzErr);
    int busy = 1;
    int64_t deadline = ksq_monotonic_ms() + FLUSH_MS;
    while (!rc && busy) {
        rc = send_step(k, s, &busy, pzErr);
        if (!wait || !busy) break;
        if (ksq_monotonic_ms() > deadline) {
            *pzErr = sqlite3_mprintf("sink %s: rows still unacknowledged after %d s", s->zName,
                                     FLUSH_MS / 1000);
            rc = SQLITE_ERROR;
            break;
        }
        rd_kafka_poll(s->prod->rk, 20);
    }
    return rc;
}
