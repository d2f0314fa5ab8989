/*
** test_ext_host.c — the loadable extension in a host that has SQLite built
** in, as Go's go-sqlite3 and many language runtimes do.
**
**   test_ext_host LIBKSQLITE BROKERS TOPIC NMSG
**
** This program links SQLite statically (libsqlite3.a) and loads the
** extension with sqlite3_load_extension(). libksqlite.so is linked with the
** shared libsqlite3, so loading it brings a second SQLite into the process.
** The extension must work through the host's SQLite (the routines its entry
** point is given), never that second copy: the host gives its SQLite an
** allocator that tags every block, and checks that it is never handed a
** block it did not allocate, that every block the engine took is given
** back when the connections close, and that the second SQLite allocated
** nothing at all. Along the way: the kafka table, a view through the SQL
** functions, errors, the engine following the connection's life (a close
** refused because of the host's own statement, then a real one), loading
** through SQL's load_extension(), twice on a connection, on two
** connections at once.
**
** Run by tests/integration/0052-extension.sh, which starts the cluster and
** produces NMSG messages (JSON with city and ts) to TOPIC. Prints one "ok"
** line per check; exits 1 at the first failure.
*/
#include <sqlite3.h>

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_checks;

#define CHECK(what, cond)                                                                          \
    do {                                                                                           \
        g_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: %s (%s:%d)\n", what, __FILE__, __LINE__);                       \
            exit(1);                                                                               \
        }                                                                                          \
        printf("ok %d - %s\n", g_checks, what);                                                    \
    } while (0)

/* ------------------------------------------------------------------ a tagging allocator */
#define TAG 0x6b73716c69746521ULL

typedef struct block_header {
    uint64_t tag;  /* TAG while the block is live */
    uint64_t size; /* bytes asked for */
} block_header;

static atomic_long g_nLive;    /* blocks allocated and not freed */
static atomic_long g_nForeign; /* blocks handed to us that we did not allocate */

/* The header of p, or NULL (counted) if p is not ours. */
static block_header *header_of(void *p)
{
    block_header *h = (block_header *)p - 1;
    if (h->tag != TAG) {
        atomic_fetch_add(&g_nForeign, 1);
        return NULL;
    }
    return h;
}

static void *t_malloc(int n)
{
    block_header *h = malloc(sizeof *h + (size_t)n);
    if (!h) return NULL;
    h->tag = TAG;
    h->size = (uint64_t)n;
    atomic_fetch_add(&g_nLive, 1);
    return h + 1;
}

static void t_free(void *p)
{
    block_header *h = p ? header_of(p) : NULL;
    if (!h) return;
    h->tag = 0;
    atomic_fetch_sub(&g_nLive, 1);
    free(h);
}

static void *t_realloc(void *p, int n)
{
    block_header *h = header_of(p);
    if (!h) return NULL;
    block_header *h2 = realloc(h, sizeof *h2 + (size_t)n);
    if (!h2) return NULL;
    h2->size = (uint64_t)n;
    return h2 + 1;
}

static int t_size(void *p)
{
    block_header *h = header_of(p);
    return h ? (int)h->size : 0;
}

static int t_roundup(int n)
{
    return (n + 7) & ~7;
}

static int t_init(void *p)
{
    (void)p;
    return SQLITE_OK;
}

static void t_shutdown(void *p)
{
    (void)p;
}

static const sqlite3_mem_methods tagged = {t_malloc,  t_free, t_realloc,  t_size,
                                           t_roundup, t_init, t_shutdown, NULL};

/* ------------------------------------------------------------------ helpers */

/* The text of the first column of the first row of zSql, or NULL; on
** error, *pzErr (if not NULL) gets sqlite3_errmsg(). The result is
** static storage, valid until the next call. */
static const char *query(sqlite3 *db, const char *zSql, char *zErr, size_t nErr)
{
    static char out[4096];
    sqlite3_stmt *st = NULL;
    const char *res = NULL;
    if (zErr) zErr[0] = 0;
    int rc = sqlite3_prepare_v2(db, zSql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *z = sqlite3_column_text(st, 0);
        snprintf(out, sizeof out, "%s", z ? (const char *)z : "(null)");
        res = out;
    } else if (rc != SQLITE_DONE && zErr) {
        snprintf(zErr, nErr, "%s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return res;
}

static long long query_int(sqlite3 *db, const char *zSql)
{
    char zErr[512];
    const char *z = query(db, zSql, zErr, sizeof zErr);
    if (!z) {
        fprintf(stderr, "  %s: %s\n", zSql, zErr);
        return -1;
    }
    return atoll(z);
}

static sqlite3 *open_with_extension(const char *zLib)
{
    sqlite3 *db = NULL;
    char *zErr = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return NULL;
    sqlite3_enable_load_extension(db, 1);
    if (sqlite3_load_extension(db, zLib, NULL, &zErr) != SQLITE_OK) {
        fprintf(stderr, "  load_extension: %s\n", zErr ? zErr : "?");
        sqlite3_free(zErr);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_ext_host LIBKSQLITE BROKERS TOPIC NMSG\n");
        return 2;
    }
    const char *zLib = argv[1], *zBrokers = argv[2], *zTopic = argv[3];
    long long nMsg = atoll(argv[4]);
    char sql[1024], zErr[512];

    CHECK("the host's SQLite takes a tagging allocator",
          sqlite3_config(SQLITE_CONFIG_MALLOC, &tagged) == SQLITE_OK &&
              sqlite3_initialize() == SQLITE_OK);
    sqlite3_int64 baseline = sqlite3_memory_used();

    sqlite3 *db = open_with_extension(zLib);
    CHECK("sqlite3_load_extension() loads the library", db != NULL);
    void *hShared = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_NOLOAD);
    CHECK("and with it a second SQLite, the shared libsqlite3", hShared != NULL);
    sqlite3_int64 (*shared_memory_used)(void) =
        (sqlite3_int64(*)(void))dlsym(hShared, "sqlite3_memory_used");
    CHECK("which is not the host's",
          shared_memory_used != NULL && (void *)shared_memory_used != (void *)sqlite3_memory_used);

    snprintf(sql, sizeof sql, "SELECT ksqlite_brokers('%s')", zBrokers);
    CHECK("ksqlite_brokers() sets the default brokers",
          strcmp(query(db, sql, NULL, 0), zBrokers) == 0);
    snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE t USING kafka(topic = '%s')", zTopic);
    CHECK("a kafka table", sqlite3_exec(db, sql, 0, 0, NULL) == SQLITE_OK);
    CHECK("counts the topic's messages", query_int(db, "SELECT count(*) FROM t") == nMsg);

    snprintf(sql, sizeof sql,
             "SELECT ksqlite_exec('CREATE STREAM s (city TEXT, ts TIMESTAMP) WITH (topic = "
             "''%s'', timestamp = ''ts'', watermark = ''0 seconds'');"
             "CREATE MATERIALIZED VIEW m AS SELECT city, count(*) AS n, window_start FROM s "
             "GROUP BY city, TUMBLE(ts, ''10 seconds'')')",
             zTopic);
    CHECK("ksqlite_exec() creates a stream and a view", query(db, sql, zErr, sizeof zErr) != NULL);
    CHECK("ksqlite_run_to_end(1) processes every message",
          query_int(db, "SELECT ksqlite_run_to_end(1)") == nMsg);
    CHECK("and the view counts them all", query_int(db, "SELECT sum(n) FROM m") == nMsg);
    CHECK("ksqlite_status shows the view, caught up",
          query_int(db, "SELECT views FROM ksqlite_status WHERE lag = 0") == 1);

    CHECK("bad SQL in ksqlite_exec() fails with the message",
          query(db, "SELECT ksqlite_exec('SELECT nosuch FROM m')", zErr, sizeof zErr) == NULL &&
              strstr(zErr, "no such column: nosuch"));
    CHECK("and ksqlite_error_offset() points at it",
          query_int(db, "SELECT ksqlite_error_offset()") == 7);
    CHECK("a nested call is refused",
          query(db, "SELECT ksqlite_exec('SELECT ksqlite_run(0)')", zErr, sizeof zErr) == NULL &&
              strstr(zErr, "cannot be called from inside a callback"));

    CHECK("the second SQLite allocated nothing: the engine uses the host's",
          shared_memory_used() == 0);
    CHECK("and the host's SQLite was never given a block it did not allocate",
          atomic_load(&g_nForeign) == 0);

    /* The connection's life: a close refused because of the host's own
    ** statement suspends the engine; its next call resumes the view. */
    sqlite3_stmt *pHeld = NULL;
    sqlite3_prepare_v2(db, "SELECT 1", -1, &pHeld, NULL);
    CHECK("sqlite3_close() with a statement of the host's open is refused",
          sqlite3_close(db) == SQLITE_BUSY);
    CHECK("then the engine resumes its view on the next call",
          query_int(db, "SELECT ksqlite_run(0)") == 0 &&
              query_int(db, "SELECT views FROM ksqlite_status") == 1);
    sqlite3_finalize(pHeld);
    CHECK("sqlite3_close() succeeds: the engine let go of its statements",
          sqlite3_close(db) == SQLITE_OK);

    /* Loading through SQL, inside a running statement. */
    sqlite3 *db2 = NULL;
    sqlite3_open(":memory:", &db2);
    sqlite3_enable_load_extension(db2, 1);
    snprintf(sql, sizeof sql, "SELECT load_extension('%s')", zLib);
    CHECK("SELECT load_extension() loads it too",
          query(db2, sql, zErr, sizeof zErr) != NULL &&
              strcmp(query(db2, "SELECT ksqlite_version()", NULL, 0), "0.1.0") == 0);
    CHECK("loading it twice on a connection is refused with a message",
          query(db2, sql, zErr, sizeof zErr) == NULL &&
              strstr(zErr, "already has a ksqlite engine"));
    sqlite3 *db3 = open_with_extension(zLib);
    snprintf(sql, sizeof sql, "SELECT ksqlite_brokers('%s')", zBrokers);
    query(db3, sql, NULL, 0);
    snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE t3 USING kafka(topic = '%s')", zTopic);
    CHECK("another connection gets its own engine",
          db3 && sqlite3_exec(db3, sql, 0, 0, NULL) == SQLITE_OK &&
              query_int(db3, "SELECT count(*) FROM t3") == nMsg &&
              query(db2, "SELECT ksqlite_brokers()", NULL, 0) &&
              strcmp(query(db2, "SELECT ksqlite_brokers()", NULL, 0), "(null)") == 0);
    CHECK("sqlite3_close_v2() and sqlite3_close() close them",
          sqlite3_close_v2(db2) == SQLITE_OK && sqlite3_close(db3) == SQLITE_OK);

    CHECK("every block the engine took from the host's SQLite was given back",
          sqlite3_memory_used() == baseline);
    CHECK("none of them foreign, and the second SQLite still unused",
          atomic_load(&g_nForeign) == 0 && shared_memory_used() == 0);
    dlclose(hShared);
    sqlite3_shutdown();
    printf("# %d checks passed\n", g_checks);
    return 0;
}
