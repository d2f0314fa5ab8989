/*
** gen_producer.c — write generated weather events to a Kafka topic, paced
** or as fast as possible, in the caller's thread or a background one.
**
** Messages are keyed by city and, by default, placed in partition
** city % partitions so that partitions fill evenly (the mock cluster keeps at
** most 5 MiB per partition). lz4 compression stretches that limit about
** fivefold.
*/
#include "ksq_int.h"
#include "gen_weather.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Delivery report: count what the broker acknowledged (each message's
** opaque is the counter; the client's opaque is its ksq_kclient, where the
** error callback writes). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (!m->err && m->_private) (*(int64_t *)m->_private)++;
}

int ksq_gen_produce(const ksq_gen_config *cfg, ksq_gen_produce_opts *opts, char **pzErr)
{
    char err[512];
    ksq_kclient client;
    ksq_options none = {0};
    rd_kafka_conf_t *conf;
    int rc = ksq_kafka_conf_new(&none, opts->zBrokers, &client, &conf, pzErr);
    if (rc) return rc;
    rd_kafka_conf_set(conf, "linger.ms", opts->rate > 0 && opts->rate < 1000 ? "5" : "50", err,
                      sizeof err);
    rd_kafka_conf_set(conf, "batch.num.messages", "10000", err, sizeof err);
    rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof err);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "200000", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    opts->nProduced = 0;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        *pzErr = sqlite3_mprintf("cannot create a Kafka producer: %s", err);
        return SQLITE_ERROR;
    }
    int32_t *aPart = NULL;
    int nPart = 0;
    rc = ksq_meta_partitions(rk, &client, opts->zTopic, KSQ_META_TIMEOUT_MS, &aPart, &nPart, pzErr);
    sqlite3_free(aPart);
    ksq_gen *g = rc ? NULL : ksq_gen_new(cfg);
    if (!rc && !g) rc = SQLITE_NOMEM;
    int64_t t0 = ksq_monotonic_ms();
    for (int64_t i = 0; !rc && (opts->count == 0 || i < opts->count); i++) {
        if (opts->pStop && *opts->pStop) break;
        if (opts->rate > 0) {
            int64_t due = t0 + (int64_t)((double)i * 1000.0 / opts->rate);
            int64_t now = ksq_monotonic_ms();
            if (due > now) {
                rd_kafka_poll(rk, 0);
                ksq_sleep_ms(due - now);
            }
        }
        ksq_gen_event ev;
        ksq_gen_next(g, &ev);
        int32_t part = opts->byKeyHash || nPart == 0 ? RD_KAFKA_PARTITION_UA : ev.city % nPart;
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(opts->zTopic), RD_KAFKA_V_PARTITION(part),
                RD_KAFKA_V_KEY(ev.key, (size_t)ev.nKey), RD_KAFKA_V_VALUE(ev.payload, (size_t)ev.n),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&opts->nProduced),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (e) {
                *pzErr = sqlite3_mprintf("cannot produce to '%s': %s", opts->zTopic,
                                         rd_kafka_err2str(e));
                rc = SQLITE_ERROR;
            }
            break;
        }
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    /* Wait for every delivery, bounded so a dead broker cannot hang us. */
    for (int waited = 0; rd_kafka_outq_len(rk) > 0 && waited < 60000; waited += 100) {
        if (opts->pStop && *opts->pStop && waited > 2000) break;
        rd_kafka_flush(rk, 100);
    }
    if (!rc && rd_kafka_outq_len(rk) > 0) {
        *pzErr =
            sqlite3_mprintf("%d events were not delivered to '%s': %s", rd_kafka_outq_len(rk),
                            opts->zTopic, client.zLastError[0] ? client.zLastError : "timeout");
        rc = SQLITE_ERROR;
    }
    ksq_gen_free(g);
    rd_kafka_destroy(rk);
    return rc;
}

struct ksq_gen_thread {
    pthread_t tid;              /* the producing thread */
    ksq_gen_config cfg;         /* copy of the generator config */
    ksq_gen_produce_opts opts;  /* copy of the options; pStop points at stop */
    volatile sig_atomic_t stop; /* set by ksq_gen_thread_stop() */
};

static void *gen_thread_main(void *arg)
{
    ksq_gen_thread *t = arg;
    char *zErr = NULL;
    if (ksq_gen_produce(&t->cfg, &t->opts, &zErr) != SQLITE_OK) {
        ksq_log(KSQ_LOG_WARN, "sample data generator stopped: %s", zErr ? zErr : "error");
    }
    sqlite3_free(zErr);
    return NULL;
}

int ksq_gen_thread_start(const ksq_gen_config *cfg, const ksq_gen_produce_opts *opts,
                         ksq_gen_thread **ppThread)
{
    ksq_gen_thread *t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->opts = *opts;
    t->opts.pStop = &t->stop;
    if (pthread_create(&t->tid, NULL, gen_thread_main, t) != 0) {
        sqlite3_free(t);
        return SQLITE_ERROR;
    }
    *ppThread = t;
    return SQLITE_OK;
}

void ksq_gen_thread_stop(ksq_gen_thread *t)
{
    if (!t) return;
    t->stop = 1;
    pthread_join(t->tid, NULL);
    sqlite3_free(t);
}
