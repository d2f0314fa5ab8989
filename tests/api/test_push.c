/*
** test_push.c — push queries, emit callbacks, the service loop and status,
** through the public API (ksqlite.h), against a mock cluster.
**
**   test_push BROKERS TOPIC
**
** Run by tests/integration/0014-push-emit.sh, which starts the cluster and
** creates TOPIC with 3 partitions. Events are produced by kcat from here
** (produce()), first 300 of them, later more while push queries run. Prints one "ok"
** line per check; exits 1 at the first failure.
*/
#include "api_check.h"
#include "ksqlite.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Produce events v in [from, to) with kcat: one a second of event time
** from 2026-11-21 12:00:00 UTC (1795262400000), city c<v % 3> in partition
** v % 3, so the watermark is the smallest of the three cities' last times. */
static void produce(int from, int to)
{
    for (int part = 0; part < 3; part++) {
        char path[] = "/tmp/ksq-push-XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            perror("mkstemp");
            exit(1);
        }
        for (int v = from; v < to; v++) {
            if (v % 3 != part) continue;
            fprintf(f, "c%d\t{\"city\":\"c%d\",\"ts\":%lld,\"v\":%d}\n", part, part,
                    1795262400000LL + v * 1000LL, v);
        }
        fclose(f);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "kcat -P -b '%s' -t '%s' -p %d -K '\t' -l '%s' 2>/dev/null",
                 g_brokers, g_topic, part, path);
        int rc = system(cmd);
        unlink(path);
        if (rc != 0) {
            fprintf(stderr, "kcat failed: %s\n", cmd);
            exit(1);
        }
    }
}

static sqlite3_int64 count_rows(ksqlite *k, const char *zSql)
{
    sqlite3_stmt *st;
    sqlite3_int64 n = -1;
    if (sqlite3_prepare_v2(ksqlite_db(k), zSql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec_ok(ksqlite *k, const char *zSql)
{
    char *zErr = NULL;
    if (ksqlite_exec(k, zSql, NULL, NULL, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "FAIL: %s\n  %s\n", zSql, zErr ? zErr : "?");
        exit(1);
    }
}

/* ------------------------------------------------------------------ emit callbacks */
typedef struct collected {
    int nRow;           /* rows received */
    long long sumV;     /* sum of column 1 (v or n) */
    int nCol;           /* columns of the last row */
    char zFirstCol[32]; /* name of column 0 */
    char zView[32];     /* the view named by the callback */
} collected;

static int on_emit(void *pArg, const char *zView, sqlite3_stmt *pRow)
{
    collected *c = pArg;
    c->nRow++;
    c->sumV += sqlite3_column_int64(pRow, 1);
    c->nCol = sqlite3_column_count(pRow);
    snprintf(c->zFirstCol, sizeof c->zFirstCol, "%s", sqlite3_column_name(pRow, 0));
    snprintf(c->zView, sizeof c->zView, "%s", zView);
    return 0;
}

/* ------------------------------------------------------------------ push queries */
typedef struct push_state {
    ksqlite *k;
    int nRow;       /* rows received */
    int nEnd;       /* end-of-batch calls (NULL rows) */
    long long sumV; /* sum of column 1 */
    int minV;       /* smallest column 1 */
    int want;       /* interrupt once this many rows came */
    int stopAfter;  /* or return non-zero from the row function at this many */
    int from, to;   /* events the producer thread sends */
} push_state;

static int push_row(void *pArg, sqlite3_stmt *pRow)
{
    push_state *p = pArg;
    if (!pRow) {
        p->nEnd++;
        return 0;
    }
    int v = sqlite3_column_int(pRow, 1);
    p->nRow++;
    p->sumV += v;
    if (p->nRow == 1 || v < p->minV) p->minV = v;
    return p->stopAfter && p->nRow >= p->stopAfter;
}

/* Produce once the push query runs, then interrupt it when the rows are in
** (or after 30 s). */
static void *push_producer(void *pArg)
{
    push_state *p = pArg;
    sleep_ms(1500);
    produce(p->from, p->to);
    for (int i = 0; i < 300 && p->nRow < p->want; i++) sleep_ms(100);
    if (!p->stopAfter) {
        sleep_ms(300); /* anything more that would arrive wrongly */
        ksqlite_interrupt(p->k);
    }
    return NULL;
}

static void *stopper(void *pArg)
{
    sleep_ms(1500);
    ksqlite_stop((ksqlite *)pArg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_push BROKERS TOPIC\n");
        return 2;
    }
    g_brokers = argv[1];
    g_topic = argv[2];
    ksqlite *k;
    char *zErr = NULL;
    if (ksqlite_open(":memory:", &k, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "open: %s\n", zErr);
        return 1;
    }
    ksqlite_set_brokers(k, g_brokers);
    produce(0, 300);
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE STREAM s (city TEXT, ts TIMESTAMP, v INTEGER) WITH (topic = '%s', "
             "timestamp = 'ts', watermark = '0 seconds');",
             g_topic);
    exec_ok(k, sql);
    exec_ok(k, "CREATE MATERIALIZED VIEW f AS SELECT city, v FROM s WHERE v % 2 = 0;");
    exec_ok(k, "CREATE MATERIALIZED VIEW w AS SELECT city, count(*) AS n, window_start FROM s "
               "GROUP BY city, TUMBLE(ts, '10 seconds');");

    /* Emit callbacks see exactly the rows the views store. */
    int rc;
    collected cf, cw;
    memset(&cf, 0, sizeof cf);
    memset(&cw, 0, sizeof cw);
    rc = ksqlite_on_emit(k, "f", on_emit, &cf, &zErr);
    if (rc) fprintf(stderr, "%s\n", zErr);
    CHECK("ksqlite_on_emit on a filter view", rc == 0);
    CHECK("ksqlite_on_emit on a windowed view", ksqlite_on_emit(k, "w", on_emit, &cw, NULL) == 0);
    CHECK("ksqlite_on_emit on a missing view fails with a message",
          ksqlite_on_emit(k, "nosuch", on_emit, &cf, &zErr) != 0 && zErr &&
              strstr(zErr, "no such materialized view: nosuch"));
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("run to the end", ksqlite_run_to_end(k, 0, &zErr) == KSQLITE_OK);
    CHECK("the filter view's rows all came through the callback: 150 rows, v summing to 22350",
          cf.nRow == 150 && cf.sumV == 22350 && count_rows(k, "SELECT count(*) FROM f") == 150);
    CHECK("with the view's columns and name",
          cf.nCol == 2 && strcmp(cf.zFirstCol, "city") == 0 && strcmp(cf.zView, "f") == 0);
    /* The watermark is min(297, 298, 299) s: windows up to [280, 290)
    ** closed, 29 per city, holding the events v < 290. */
    CHECK("the windowed view's closed windows came through the callback: 87 rows",
          cw.nRow == 87 && count_rows(k, "SELECT count(*) FROM w") == 87);
    CHECK("their counts sum to the events in them", cw.sumV == 290);

    ksqlite_status st;
    ksqlite_get_status(k, &st);
    CHECK("status: the views read 300 events and have no lag",
          !st.scanning && st.nRead == 300 && st.lag == 0 && st.nTotal == 300);
    CHECK("status: the watermark is the smallest partition's last event time",
          st.watermark == 1795262400000LL + 297000);

    /* The same figures in the ksq_metrics table and the Prometheus text. */
    CHECK("ksq_metrics: each view took 300 events",
          count_rows(k, "SELECT sum(value) FROM ksq_metrics WHERE metric = "
                        "'ksqlite_view_events_total'") == 600);
    CHECK("ksq_metrics: no lag on any of the 3 partitions",
          count_rows(k, "SELECT count(*) FROM ksq_metrics WHERE metric = "
                        "'ksqlite_stream_partition_lag' AND value = 0 AND stream = 's'") == 3);
    CHECK("ksq_metrics: the windowed view's emitted rows",
          count_rows(k, "SELECT value FROM ksq_metrics WHERE metric = "
                        "'ksqlite_view_rows_emitted_total' AND view = 'w'") == 87);
    char *zText = ksqlite_metrics_text(k);
    CHECK("ksqlite_metrics_text: the Prometheus exposition of them",
          zText && strstr(zText, "# TYPE ksqlite_view_events_total counter\n") &&
              strstr(zText, "ksqlite_view_events_total{stream=\"s\",view=\"w\"} 300\n"));
    ksqlite_free(zText);

    /* A push query over the stream sees only what arrives after it starts. */
    push_state ps;
    memset(&ps, 0, sizeof ps);
    ps.k = k;
    ps.from = 300;
    ps.to = 360;
    ps.want = 30; /* the even v among 300..359 */
    pthread_t th;
    pthread_create(&th, NULL, push_producer, &ps);
    rc = ksqlite_exec(k, "SELECT city, v FROM s WHERE v % 2 = 0 EMIT CHANGES;", push_row, &ps,
                      &zErr);
    pthread_join(th, NULL);
    CHECK("a push query ends with KSQLITE_INTERRUPT on ksqlite_interrupt()",
          rc == KSQLITE_INTERRUPT);
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("it got exactly the new matching rows: 30, v from 300, summing to 9870",
          ps.nRow == 30 && ps.minV == 300 && ps.sumV == 9870);
    CHECK("each batch's rows end with a NULL row", ps.nEnd >= 1 && ps.nEnd <= ps.nRow);
    CHECK("the views kept running meanwhile", count_rows(k, "SELECT count(*) FROM f") == 180);
    CHECK("and their callbacks too", cf.nRow == 180);
    CHECK("the push query left nothing behind in the temp schema",
          count_rows(k, "SELECT count(*) FROM temp.sqlite_schema WHERE name LIKE '%ksq_push%'") ==
              0);

    /* A push query over a materialized view runs on the rows it emits: the
    ** new events move the watermark from 357 s to 417 s, closing the
    ** windows [350, 360) .. [400, 410), 18 rows; in each window one city
    ** has 4 events, the others 3. */
    sqlite3_int64 before = count_rows(k, "SELECT count(*) FROM w");
    memset(&ps, 0, sizeof ps);
    ps.k = k;
    ps.from = 360;
    ps.to = 420;
    ps.want = 6;
    pthread_create(&th, NULL, push_producer, &ps);
    rc = ksqlite_exec(k, "SELECT city, n FROM w AS x WHERE x.n = 4 EMIT CHANGES;", push_row, &ps,
                      &zErr);
    pthread_join(th, NULL);
    ksqlite_free(zErr);
    zErr = NULL;
    sqlite3_int64 after = count_rows(k, "SELECT count(*) FROM w");
    CHECK("a push query over a view ends on interrupt", rc == KSQLITE_INTERRUPT);
    CHECK("the view emitted 18 new rows", after - before == 18);
    CHECK("the push query got those that match: 6, with n = 4", ps.nRow == 6 && ps.sumV == 24);

    /* The row function can end a push query. */
    memset(&ps, 0, sizeof ps);
    ps.k = k;
    ps.from = 420;
    ps.to = 450;
    ps.want = 5;
    ps.stopAfter = 5;
    pthread_create(&th, NULL, push_producer, &ps);
    rc = ksqlite_exec(k, "SELECT city, v FROM s EMIT CHANGES;", push_row, &ps, &zErr);
    pthread_join(th, NULL);
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("a row function returning non-zero ends the push query",
          rc == KSQLITE_OK && ps.nRow == 5);

    /* Errors. */
    rc = ksqlite_exec(k, "SELECT * FROM nosuch EMIT CHANGES;", push_row, &ps, &zErr);
    CHECK("a push query over something else fails with a message",
          rc == KSQLITE_ERROR && zErr && strstr(zErr, "a push query reads a stream or a "));
    ksqlite_free(zErr);
    zErr = NULL;
    rc = ksqlite_exec(k, "SELECT nosuchcol FROM s EMIT CHANGES;", push_row, &ps, &zErr);
    CHECK("a push query with a bad column fails with a message",
          rc != KSQLITE_OK && zErr && strstr(zErr, "no such column: nosuchcol"));
    CHECK("pointing at the column", ksqlite_error_offset(k) == 7);
    ksqlite_free(zErr);
    zErr = NULL;

    /* The service loop runs until ksqlite_stop() from another thread. */
    pthread_create(&th, NULL, stopper, k);
    rc = ksqlite_serve(k, &zErr);
    pthread_join(th, NULL);
    CHECK("ksqlite_serve returns KSQLITE_OK after ksqlite_stop()", rc == KSQLITE_OK);
    CHECK("having read everything", count_rows(k, "SELECT count(*) FROM f") == 225);

    CHECK("removing a callback", ksqlite_on_emit(k, "f", NULL, NULL, NULL) == 0 &&
                                     ksqlite_on_emit(k, "w", NULL, NULL, NULL) == 0);
    CHECK("removes its capture", count_rows(k, "SELECT count(*) FROM temp.sqlite_schema WHERE "
                                               "name LIKE 'ksq_t%'") == 0);
    ksqlite_close(k);
    printf("# %d checks passed\n", g_checks);
    return 0;
}
