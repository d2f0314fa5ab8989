/*
** test_api.c — the C API's rules (ksqlite.h), against a mock cluster:
** opening and closing (also in cycles), errors as codes, messages and
** offsets, a connection the host owns (left clean by ksqlite_close(), its
** views resumed by the next engine), ksqlite_stop() before a run, from
** another thread and from a signal handler, what callbacks may call.
**
**   test_api BROKERS TOPIC DIR
**
** Run by tests/integration/0050-api.sh (also under ASan + UBSan, which
** checks for leaks and uses after free), which starts the cluster and
** creates TOPIC with 3 partitions; DIR is a scratch directory. Events are
** produced with kcat (produce()). Prints one "ok" line per check; exits 1
** at the first failure.
*/
#include "api_check.h"
#include "ksqlite.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *g_dir; /* scratch directory */

/* Produce events v in [from, to): {"city":"c<v%3>","ts":<ms>,"v":v} into
** partition v % 3, one a second of event time from 2026-11-21 12:00:00. */
static void produce(int from, int to)
{
    for (int part = 0; part < 3; part++) {
        char path[] = "/tmp/ksq-api-XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            perror("mkstemp");
            exit(1);
        }
        for (int v = from; v < to; v++) {
            if (v % 3 != part) continue;
            fprintf(f, "{\"city\":\"c%d\",\"ts\":%lld,\"v\":%d}\n", part,
                    1795262400000LL + v * 1000LL, v);
        }
        fclose(f);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "kcat -P -b '%s' -t '%s' -p %d -l '%s' 2>/dev/null", g_brokers,
                 g_topic, part, path);
        int rc = system(cmd);
        unlink(path);
        if (rc != 0) {
            fprintf(stderr, "kcat failed: %s\n", cmd);
            exit(1);
        }
    }
}

/* The first column of the first row of zSql as an integer, -1 on error. */
static long long query_int(sqlite3 *db, const char *zSql)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(db, zSql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The error message zSql fails with on db, "" if it runs. */
static const char *query_error(sqlite3 *db, const char *zSql)
{
    static char msg[512];
    sqlite3_stmt *st = NULL;
    msg[0] = 0;
    int rc = sqlite3_prepare_v2(db, zSql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return msg;
}

static void exec_ok(ksqlite *k, const char *zSql)
{
    char *zErr = NULL;
    if (ksqlite_exec(k, zSql, NULL, NULL, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "FAIL: %s\n  %s\n", zSql, zErr ? zErr : "?");
        exit(1);
    }
}

static char *path_in_dir(const char *zName)
{
    return sqlite3_mprintf("%s/%s", g_dir, zName);
}

/* CREATE STREAM s and the views f (a filter: even v) and w (10-second
** windows per city). */
static void create_pipeline(ksqlite *k)
{
    char *zSql = sqlite3_mprintf(
        "CREATE STREAM s (city TEXT, ts TIMESTAMP, v INTEGER) WITH (topic = %Q, timestamp = 'ts', "
        "watermark = '0 seconds');"
        "CREATE MATERIALIZED VIEW f AS SELECT city, v FROM s WHERE v %% 2 = 0;"
        "CREATE MATERIALIZED VIEW w AS SELECT city, count(*) AS n, window_start FROM s "
        "GROUP BY city, TUMBLE(ts, '10 seconds');",
        g_topic);
    exec_ok(k, zSql);
    sqlite3_free(zSql);
}

/* ------------------------------------------------------------------ version, open, close */
static void test_open_close(void)
{
    CHECK("ksqlite_version() is the header's",
          strcmp(ksqlite_version(), KSQLITE_VERSION) == 0 &&
              ksqlite_version_number() == KSQLITE_VERSION_NUMBER);

    int ok = 1;
    for (int i = 0; i < 20 && ok; i++) {
        ksqlite *k = NULL;
        ok = ksqlite_open(i % 2 ? ":memory:" : NULL, &k, NULL) == KSQLITE_OK && k;
        if (ok) {
            ok = ksqlite_exec(k, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);", NULL, NULL,
                              NULL) == KSQLITE_OK &&
                 query_int(ksqlite_db(k), "SELECT sum(x) FROM t") == 3;
            ksqlite_close(k);
        }
    }
    CHECK("20 open, exec, close cycles", ok);

    ksqlite *k = (ksqlite *)&ok; /* not NULL: the call must clear it */
    char *zErr = NULL;
    int rc = ksqlite_open("/nonexistent-dir/x.db", &k, &zErr);
    CHECK("opening an impossible path fails with a message and no handle",
          rc != KSQLITE_OK && k == NULL && zErr && strstr(zErr, "cannot open database"));
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("ksqlite_attach(NULL) is a misuse",
          ksqlite_attach(NULL, &k, &zErr) == KSQLITE_MISUSE && k == NULL && zErr);
    ksqlite_free(zErr);
    ksqlite_close(NULL);
    ksqlite_stop(NULL);
    ksqlite_interrupt(NULL);
    ksqlite_free(NULL);
    CHECK("close, stop, interrupt and free take NULL", 1);
}

/* ------------------------------------------------------------------ errors */
static void test_errors(void)
{
    ksqlite *k;
    char *zErr = NULL;
    CHECK("open", ksqlite_open(NULL, &k, NULL) == KSQLITE_OK);
    int rc = ksqlite_exec(k, "SELECT 1; SELEC 2;", NULL, NULL, &zErr);
    CHECK("bad SQL: KSQLITE_ERROR with SQLite's message",
          rc == KSQLITE_ERROR && zErr && strstr(zErr, "syntax error"));
    CHECK("the same message in ksqlite_errmsg()", strcmp(ksqlite_errmsg(k), zErr) == 0);
    CHECK("ksqlite_error_offset() points at the bad statement", ksqlite_error_offset(k) == 10);
    ksqlite_free(zErr);
    zErr = NULL;

    const char *zView = "SELECT 1;\nCREATE MATERIALIZED VIEW v AS SELECT x FROM nosuch;";
    rc = ksqlite_exec(k, zView, NULL, NULL, &zErr);
    CHECK("a view over a missing stream fails with a message",
          rc != KSQLITE_OK && zErr && strstr(zErr, "a continuous view reads a stream"));
    CHECK("and the offset of the table it names",
          ksqlite_error_offset(k) == (int)(strstr(zView, "nosuch") - zView));
    ksqlite_free(zErr);
    zErr = NULL;

    CHECK("a success resets them", ksqlite_exec(k, "SELECT 1;", NULL, NULL, NULL) == KSQLITE_OK &&
                                       strcmp(ksqlite_errmsg(k), "not an error") == 0 &&
                                       ksqlite_error_offset(k) == -1);
    rc = ksqlite_on_emit(k, "nosuch", NULL, NULL, NULL);
    CHECK("removing a callback that is not there is fine", rc == KSQLITE_OK);
    rc = ksqlite_on_emit(k, NULL, NULL, NULL, &zErr);
    CHECK("ksqlite_on_emit() without a view is a misuse", rc == KSQLITE_MISUSE && zErr);
    ksqlite_free(zErr);
    ksqlite_close(k);
}

/* ------------------------------------------------------------------ a host's connection */
static void test_host_db(void)
{
    char *zPath = path_in_dir("host.db");
    sqlite3 *db;
    ksqlite *k, *k2;
    char *zErr = NULL;
    CHECK("the host opens its database", sqlite3_open(zPath, &db) == SQLITE_OK);
    CHECK("ksqlite_attach() starts an engine on it",
          ksqlite_attach(db, &k, NULL) == KSQLITE_OK && ksqlite_db(k) == db);
    CHECK("a second engine on the connection is refused",
          ksqlite_attach(db, &k2, &zErr) == KSQLITE_MISUSE && k2 == NULL && zErr &&
              strstr(zErr, "already has a ksqlite engine"));
    ksqlite_free(zErr);
    zErr = NULL;
    ksqlite_set_brokers(k, g_brokers);
    produce(0, 300);
    create_pipeline(k);
    CHECK("its views run to the end", ksqlite_run_to_end(k, 0, &zErr) == KSQLITE_OK);
    CHECK("the host reads them between calls", query_int(db, "SELECT count(*) FROM f") == 150);
    ksqlite_close(k);

    CHECK("after ksqlite_close() the connection is open, the views' tables there",
          query_int(db, "SELECT count(*) FROM f") == 150 &&
              query_int(db, "SELECT count(*) FROM w") > 0);
    CHECK("the kafka module is gone: the stream's table says so",
          strstr(query_error(db, "SELECT count(*) FROM s"), "no such module: kafka") != NULL);
    CHECK("so is the engine's function",
          strstr(query_error(db, "SELECT ksq_view_info('f', 'status')"), "no such function") !=
              NULL);
    CHECK("and its temp tables",
          query_int(db, "SELECT count(*) FROM temp.sqlite_schema WHERE name LIKE 'ksq%'") == 0);
    CHECK("the aggregates stay", query_int(db, "SELECT stddev(v) IS NOT NULL FROM f") == 1);
    CHECK("and nothing is left prepared: sqlite3_close() succeeds", sqlite3_close(db) == SQLITE_OK);

    /* The next engine on the database resumes the views where they stopped. */
    CHECK("the host opens it again", sqlite3_open(zPath, &db) == SQLITE_OK);
    CHECK("a new engine resumes both views",
          ksqlite_attach(db, &k, NULL) == KSQLITE_OK && ksqlite_view_count(k) == 2);
    ksqlite_set_brokers(k, g_brokers);
    produce(300, 600);
    CHECK("they read on", ksqlite_run_to_end(k, 0, &zErr) == KSQLITE_OK);
    CHECK("from their offsets: every event once",
          query_int(db, "SELECT count(*) FROM f") == 300 &&
              query_int(db, "SELECT sum(v) FROM f") == 89700 &&
              query_int(db, "SELECT sum(n) FROM w") == 590);
    ksqlite_close(k);
    CHECK("closed again cleanly", sqlite3_close(db) == SQLITE_OK);
    sqlite3_free(zPath);
}

/* ------------------------------------------------------------------ stop */
static ksqlite *g_k; /* for the signal handler */

static void on_usr1(int sig)
{
    (void)sig;
    ksqlite_stop(g_k);
}

/* Produce, wait (on its own connection) until f has `want` rows, then
** stop the engine from this thread. */
typedef struct stopper_arg {
    ksqlite *k;
    const char *zPath; /* the engine's database */
    int from, to;      /* events to produce */
    long long want;    /* rows of f to wait for */
    long long seen;    /* rows of f seen last */
} stopper_arg;

static void *stop_when_done(void *pArg)
{
    stopper_arg *a = pArg;
    sqlite3 *db;
    sleep_ms(300); /* let the serve loop start (earlier is fine too: the stop is kept) */
    produce(a->from, a->to);
    sqlite3_open_v2(a->zPath, &db, SQLITE_OPEN_READONLY, NULL);
    for (int i = 0; i < 300 && a->seen < a->want; i++) {
        a->seen = query_int(db, "SELECT count(*) FROM f");
        if (a->seen < a->want) sleep_ms(100);
    }
    sqlite3_close(db);
    ksqlite_stop(a->k);
    return NULL;
}

static void *signal_main(void *pArg)
{
    sleep_ms(300);
    pthread_kill(*(pthread_t *)pArg, SIGUSR1);
    return NULL;
}

static void test_stop(void)
{
    char *zPath = path_in_dir("stop.db");
    ksqlite *k;
    char *zErr = NULL;
    CHECK("open a file database", ksqlite_open(zPath, &k, NULL) == KSQLITE_OK);
    ksqlite_set_brokers(k, g_brokers);
    create_pipeline(k);
    sqlite3 *db = ksqlite_db(k);

    ksqlite_stop(k);
    CHECK("a stop before ksqlite_run_to_end() makes it return before reading",
          ksqlite_run_to_end(k, 0, NULL) == KSQLITE_OK &&
              query_int(db, "SELECT count(*) FROM f") == 0);
    CHECK("it was honoured once: the next run reads everything",
          ksqlite_run_to_end(k, 0, NULL) == KSQLITE_OK &&
              query_int(db, "SELECT count(*) FROM f") == 300);

    ksqlite_stop(k);
    long long t0 = now_ms();
    int rc = ksqlite_run(k, 8000);
    CHECK("a stop before ksqlite_run() makes it return well before its budget",
          rc == KSQLITE_OK && now_ms() - t0 < 6000);
    ksqlite_stop(k);
    CHECK("a stop before ksqlite_serve() makes it return", ksqlite_serve(k, NULL) == KSQLITE_OK);

    stopper_arg a = {k, zPath, 600, 630, 315, 0};
    pthread_t th;
    pthread_create(&th, NULL, stop_when_done, &a);
    rc = ksqlite_serve(k, &zErr);
    pthread_join(th, NULL);
    CHECK("ksqlite_stop() from another thread ends ksqlite_serve()", rc == KSQLITE_OK);
    CHECK("which had kept the view up to date",
          a.seen == 315 && query_int(db, "SELECT count(*) FROM f") == 315);

    g_k = k;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self();
    pthread_create(&th, NULL, signal_main, &self);
    rc = ksqlite_serve(k, &zErr);
    pthread_join(th, NULL);
    CHECK("ksqlite_stop() from a signal handler ends ksqlite_serve()", rc == KSQLITE_OK);
    signal(SIGUSR1, SIG_DFL);

    sqlite3_exec(db, "BEGIN", 0, 0, NULL);
    rc = ksqlite_serve(k, &zErr);
    CHECK("ksqlite_serve() inside the host's transaction is refused with a message",
          rc == KSQLITE_MISUSE && zErr && strstr(zErr, "transaction is open"));
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("ksqlite_run() waits instead", ksqlite_run(k, 50) == KSQLITE_OK);
    sqlite3_exec(db, "COMMIT", 0, 0, NULL);
    ksqlite_close(k);

    CHECK("reopen without brokers", ksqlite_open(zPath, &k, NULL) == KSQLITE_OK);
    rc = ksqlite_run(k, 0);
    CHECK("ksqlite_run() fails with the code and, in ksqlite_errmsg(), the message",
          rc == KSQLITE_ERROR && strstr(ksqlite_errmsg(k), "no Kafka brokers"));
    ksqlite_close(k);

    int ok = 1;
    for (int i = 0; i < 5 && ok; i++) {
        ok = ksqlite_open(zPath, &k, NULL) == KSQLITE_OK && ksqlite_view_count(k) == 2 &&
             ksqlite_set_brokers(k, g_brokers) == KSQLITE_OK && ksqlite_run(k, 0) == KSQLITE_OK;
        if (ok) ksqlite_close(k);
    }
    CHECK("5 cycles of opening the database (resuming its views), a run, closing", ok);
    sqlite3_free(zPath);
}

/* ------------------------------------------------------------------ callbacks */
typedef struct cb_state {
    ksqlite *k;
    int nRow;     /* rows seen */
    int execRc;   /* what ksqlite_exec() returned inside the callback */
    int onEmitRc; /* what ksqlite_on_emit() returned inside it */
    int sqlRc;    /* an INSERT of the host's own on the connection */
} cb_state;

static int on_row(void *pArg, const char *zView, sqlite3_stmt *pRow)
{
    cb_state *s = pArg;
    (void)zView;
    s->nRow++;
    s->execRc = ksqlite_exec(s->k, "SELECT 1", NULL, NULL, NULL);
    s->onEmitRc = ksqlite_on_emit(s->k, "f", NULL, NULL, NULL);
    ksqlite_close(s->k); /* ignored */
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(ksqlite_db(s->k), "INSERT INTO seen VALUES (?1)", -1, &ins, NULL);
    sqlite3_bind_int(ins, 1, sqlite3_column_int(pRow, 1));
    s->sqlRc = sqlite3_step(ins);
    sqlite3_finalize(ins);
    if (s->nRow == 10) ksqlite_stop(s->k);
    return 0;
}

static void test_callbacks(void)
{
    char *zPath = path_in_dir("stop.db");
    ksqlite *k;
    CHECK("reopen", ksqlite_open(zPath, &k, NULL) == KSQLITE_OK);
    ksqlite_set_brokers(k, g_brokers);
    exec_ok(k, "CREATE TABLE seen(v INTEGER);");
    cb_state s;
    memset(&s, 0, sizeof s);
    s.k = k;
    CHECK("an emit callback", ksqlite_on_emit(k, "f", on_row, &s, NULL) == KSQLITE_OK);
    produce(630, 660);
    int rc = ksqlite_serve(k, NULL);
    CHECK("ksqlite_stop() from the callback ends ksqlite_serve()",
          rc == KSQLITE_OK && s.nRow >= 10);
    CHECK("ksqlite_exec() and ksqlite_on_emit() from a callback are refused",
          s.execRc == KSQLITE_MISUSE && s.onEmitRc == KSQLITE_MISUSE);
    CHECK("the callback's own SQL on the connection works",
          s.sqlRc == SQLITE_DONE &&
              query_int(ksqlite_db(k), "SELECT count(*) FROM seen") == s.nRow);
    CHECK("ksqlite_close() from the callback was ignored: the handle works",
          ksqlite_exec(k, "SELECT 1;", NULL, NULL, NULL) == KSQLITE_OK &&
              ksqlite_view_count(k) == 2);
    ksqlite_close(k);
    sqlite3_free(zPath);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_api BROKERS TOPIC DIR\n");
        return 2;
    }
    g_brokers = argv[1];
    g_topic = argv[2];
    g_dir = argv[3];
    test_open_close();
    test_errors();
    test_host_db();
    test_stop();
    test_callbacks();
    printf("# %d checks passed\n", g_checks);
    return 0;
}
