/*
** latency.c — how long results take to become visible, at a steady rate.
**
**   latency BROKERS TOPIC [RATE [SECONDS]]
**   -> {"rate": 20000, "produced": 300000, "close_ms": {"p50": ..., "p99": ..., "max": ...,
**       "n": ...}, "visible_ms": {...}}
**
** A producer thread writes RATE weather-like events a second into TOPIC,
** each stamped with the wall clock, for SECONDS (default 15). Meanwhile the
** engine (the public API, a database file in WAL mode) runs two views over
** the stream, whose watermark delay is 0:
**
**   close    TUMBLE(1 second) by city, EMIT FINAL: a window closes when the
**            first event at or after its end arrives, so the window-close
**            latency is the time from its end to the moment its row is
**            committed and readable (the emit callback runs after the commit);
**   visible  the same windows with EMIT CHANGES and max(ts): the time from an
**            event's timestamp to the commit of a row that includes it.
**
** Both include the way through Kafka (producer linger, the broker, the
** consumer's fetch), as a user would see it. The first 3 seconds are a
** warm-up and are not counted.
*/
#define _GNU_SOURCE
#include "ksqlite.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_MS   3000
#define MAX_SAMPLES 2000000

static double wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

typedef struct samples {
    double *a;
    int n;
} samples;

static void add(samples *s, double v)
{
    if (s->n < MAX_SAMPLES) s->a[s->n++] = v;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void report(const char *name, samples *s, int last)
{
    qsort(s->a, (size_t)s->n, sizeof(double), cmp);
    double p50 = s->n ? s->a[(int)(0.50 * (s->n - 1))] : -1;
    double p99 = s->n ? s->a[(int)(0.99 * (s->n - 1))] : -1;
    double max = s->n ? s->a[s->n - 1] : -1;
    printf("\"%s\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f, \"n\": %d}%s", name, p50, p99,
           max, s->n, last ? "" : ", ");
}

/* "YYYY-MM-DD HH:MM:SS.SSS" (UTC) as epoch milliseconds. */
static double parse_time(const char *z)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    if (!z || sscanf(z, "%d-%d-%d %d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1000.0 + ms;
}

typedef struct run {
    const char *zBrokers, *zTopic;
    int rate, seconds;
    volatile int done;
    long produced;
    double start; /* wall ms when producing started */
    samples close, visible;
} run;

/* The producer: RATE events a second, stamped with the wall clock. */
static void *produce(void *arg)
{
    run *r = arg;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", r->zBrokers, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "2", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        exit(1);
    }
    static const char *const cities[] = {"Berlin", "Paris",  "Rome",  "Madrid", "Oslo",
                                         "Vienna", "Lisbon", "Tokyo", "Lima",   "Cairo"};
    long i = 0;
    r->start = wall_ms();
    double end = r->start + r->seconds * 1000.0;
    char buf[256];
    for (;;) {
        double now = wall_ms();
        if (now >= end) break;
        long due = (long)((now - r->start) * r->rate / 1000.0);
        for (; i < due; i++) {
            const char *city = cities[i % 10];
            int n =
                snprintf(buf, sizeof buf,
                         "{\"city\":\"%s\",\"ts\":%.0f,\"temperature\":%.1f,\"windspeed\":%.1f}",
                         city, wall_ms(), (double)(i % 300) / 10.0, (double)(i % 700) / 10.0);
            while (rd_kafka_producev(
                       rk, RD_KAFKA_V_TOPIC(r->zTopic), RD_KAFKA_V_KEY(city, strlen(city)),
                       RD_KAFKA_V_VALUE(buf, (size_t)n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                       RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 1);
        }
        rd_kafka_poll(rk, 0);
        usleep(1000);
    }
    rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);
    r->produced = i;
    r->done = 1;
    return NULL;
}

static int on_close(void *arg, const char *zView, sqlite3_stmt *row)
{
    (void)zView;
    run *r = arg;
    double now = wall_ms(), end = parse_time((const char *)sqlite3_column_text(row, 1));
    if (end - 1000 >= r->start + WARMUP_MS) add(&r->close, now - end);
    return 0;
}

static int on_visible(void *arg, const char *zView, sqlite3_stmt *row)
{
    (void)zView;
    run *r = arg;
    double now = wall_ms(), ts = parse_time((const char *)sqlite3_column_text(row, 1));
    if (ts >= r->start + WARMUP_MS) add(&r->visible, now - ts);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: latency BROKERS TOPIC [RATE [SECONDS]]\n");
        return 2;
    }
    run r;
    memset(&r, 0, sizeof r);
    r.zBrokers = argv[1];
    r.zTopic = argv[2];
    r.rate = argc > 3 ? atoi(argv[3]) : 20000;
    r.seconds = argc > 4 ? atoi(argv[4]) : 15;
    r.close.a = malloc(sizeof(double) * MAX_SAMPLES);
    r.visible.a = malloc(sizeof(double) * MAX_SAMPLES);
    char db[64];
    snprintf(db, sizeof db, "/tmp/ksq-latency-%d.db", (int)getpid());
    ksqlite *k;
    char *zErr = NULL;
    if (ksqlite_open(db, &k, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "open: %s\n", zErr);
        return 1;
    }
    ksqlite_set_brokers(k, r.zBrokers);
    char sql[1024];
    snprintf(
        sql, sizeof sql,
        "CREATE STREAM s (city TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL) WITH "
        "(topic = '%s', timestamp = 'ts', watermark = '0 seconds');"
        "CREATE MATERIALIZED VIEW closed AS SELECT city, window_end, count(*) AS n, "
        "avg(temperature) AS t, max(windspeed) AS w FROM s GROUP BY city, TUMBLE(ts, '1 second');"
        "CREATE MATERIALIZED VIEW changes AS SELECT city, max(ts) AS last_ts, count(*) AS n FROM s "
        "GROUP BY city, TUMBLE(ts, '1 second') EMIT CHANGES;",
        r.zTopic);
    if (ksqlite_exec(k, sql, NULL, NULL, &zErr) != KSQLITE_OK ||
        ksqlite_on_emit(k, "closed", on_close, &r, &zErr) != KSQLITE_OK ||
        ksqlite_on_emit(k, "changes", on_visible, &r, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "setup: %s\n", zErr);
        return 1;
    }
    /* Start at the end of the topic: run until then, then produce. */
    if (ksqlite_run_to_end(k, 0, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "run: %s (the topic must exist: ksqlite-broker --topic %s)\n", zErr,
                r.zTopic);
        return 1;
    }
    pthread_t th;
    pthread_create(&th, NULL, produce, &r);
    int rc = KSQLITE_OK;
    while (!r.done && rc == KSQLITE_OK) rc = ksqlite_run(k, 100);
    if (rc == KSQLITE_OK) rc = ksqlite_run(k, 1500); /* what is still on its way */
    pthread_join(th, NULL);
    if (rc != KSQLITE_OK) {
        fprintf(stderr, "run: %s\n", ksqlite_errmsg(k));
        return 1;
    }
    printf("{\"rate\": %d, \"produced\": %ld, ", r.rate, r.produced);
    report("close_ms", &r.close, 0);
    report("visible_ms", &r.visible, 1);
    printf("}\n");
    ksqlite_close(k);
    unlink(db);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db);
    unlink(wal);
    return 0;
}
