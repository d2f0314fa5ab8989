/*
** floor_consumer.c — the floor every ksqlite benchmark is measured against:
** a minimal librdkafka + jansson consumer that reads a topic from the start
** to its high-water marks and decodes every event (all nine weather fields).
**
**   floor_consumer [--simdjson] BROKERS TOPIC [PROPERTY VALUE ...]
**   -> prints "events=1000000 seconds=7.81 events_per_s=128040"
**
** It does what a hand-written consumer would do and nothing more: no SQL, no
** state, no commits. Anything ksqlite adds is measured as a ratio to it.
** Extra arguments are librdkafka properties; the benchmark gives it the same
** prefetch settings ksqlite uses. Like ksqlite, it wakes librdkafka 2.0's
** fetcher when it starves on a stalled, full prefetch queue (a watermark
** query), so it is the best such a consumer can do.
**
** With --simdjson it decodes with the parser ksqlite itself uses (through
** the engine's engine/json_dom.h), the floor of a consumer that also picked
** the faster parser.
*/
#include "json_dom.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Decode one event with jansson: the number of fields found; numbers are
** added to *pSum. */
static int decode_jansson(const rd_kafka_message_t *m, const char *const *azField, int nField,
                          double *pSum)
{
    int n = 0;
    json_t *doc = json_loadb(m->payload, m->len, 0, NULL);
    if (!doc) return 0;
    for (int f = 0; f < nField; f++) {
        json_t *v = json_object_get(doc, azField[f]);
        if (!v) continue;
        n++;
        if (json_is_number(v)) *pSum += json_number_value(v);
    }
    json_decref(doc);
    return n;
}

/* The same with simdjson (d is the reused parser). */
static int decode_simdjson(ksq_json_dom *d, const rd_kafka_message_t *m, const char *const *azField,
                           int nField, double *pSum)
{
    int n = 0;
    const char *zWhy;
    if (ksq_json_dom_parse(d, m->payload, m->len, &zWhy) != KSQ_JSON_DOM_OK) return 0;
    for (int f = 0; f < nField; f++) {
        ksq_json_val v;
        if (!ksq_json_dom_find(d, &azField[f], 1, &v)) continue;
        n++;
        if (v.kind == KSQ_JV_INT) *pSum += (double)v.i;
        if (v.kind == KSQ_JV_REAL) *pSum += v.r;
    }
    return n;
}

int main(int argc, char **argv)
{
    ksq_json_dom *dom = NULL;
    if (argc > 1 && strcmp(argv[1], "--simdjson") == 0) {
        dom = ksq_json_dom_new();
        argv++, argc--;
    }
    if (argc < 3 || argc % 2 == 0) {
        fprintf(stderr, "usage: floor_consumer [--simdjson] BROKERS TOPIC [PROPERTY VALUE ...]\n");
        return 1;
    }
    static const char *const fields[] = {"city",        "country",   "region",   "continent",  "ts",
                                         "temperature", "windspeed", "humidity", "weathercode"};
    char err[512];
    double t0 = now();
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "floor", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    for (int i = 3; i + 1 < argc; i += 2) {
        if (rd_kafka_conf_set(conf, argv[i], argv[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "floor_consumer: %s\n", err);
            return 1;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) return 1;
    const rd_kafka_metadata_t *md;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000)) return 1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
    int nPart = 0;
    int64_t *hi = calloc(4096, sizeof(int64_t));
    char *done = calloc(4096, 1);
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, argv[2]) != 0) continue;
        for (int p = 0; p < md->topics[i].partition_cnt; p++) {
            int32_t id = md->topics[i].partitions[p].id;
            int64_t lo;
            rd_kafka_query_watermark_offsets(rk, argv[2], id, &lo, &hi[id], 5000);
            if (hi[id] > lo) {
                rd_kafka_topic_partition_list_add(l, argv[2], id)->offset = lo;
                nPart++;
            }
        }
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long long events = 0, fieldsSeen = 0;
    double sum = 0;
    while (nPart > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 5);
        if (!m) {
            int64_t lo, high;
            rd_kafka_query_watermark_offsets(rk, argv[2], 0, &lo, &high, 1000);
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!done[m->partition]) done[m->partition] = 1, nPart--;
        } else if (!m->err) {
            int nField = (int)(sizeof fields / sizeof fields[0]);
            fieldsSeen += dom ? decode_simdjson(dom, m, fields, nField, &sum)
                              : decode_jansson(m, fields, nField, &sum);
            events++;
            if (m->offset + 1 >= hi[m->partition] && !done[m->partition])
                done[m->partition] = 1, nPart--;
        }
        rd_kafka_message_destroy(m);
    }
    double secs = now() - t0;
    printf("events=%lld seconds=%.3f events_per_s=%.0f fields=%lld checksum=%.1f\n", events, secs,
           (double)events / secs, fieldsSeen, sum);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(hi);
    free(done);
    ksq_json_dom_free(dom);
    return 0;
}
