/*
** test_faultvfs.c — SQLITE_FULL and SQLITE_IOERR injected into the
** database's writes while views and a file sink run: each failing batch or
** statement fails cleanly with a clear error, the offsets never run ahead
** of the committed results, nothing committed is lost, and once the fault
** clears the same handle goes on to the result of an uninterrupted run.
**
**   test_faultvfs BROKERS TOPIC DIR
**
** Registers "faulty", a VFS over the default one that fails chosen xWrite
** calls, and opens DIR/fault.db through it with a URI
** ("file:DIR/fault.db?vfs=faulty"; ksqlite_open() takes URIs). Each round
** produces 240 events with kcat, arms a fault (the Nth write from now fails
** with SQLITE_FULL or SQLITE_IOERR_WRITE; "sticky" faults fail every write
** after it, as a full disk does, until disarmed), runs the views until they
** fail or catch up, disarms, and checks the database through a second,
** ordinary connection. Statements (CREATE / DROP MATERIALIZED VIEW) are
** failed the same way. At the end the views are drained and compared with
** DIR/ref.db, a run without faults. Run by
** tests/integration/0062-io-faults.sh, which checks the sink's files; one
** "ok" line per check, exit 1 at the first failure.
*/
#include "api_check.h"
#include "ksqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS     36
#define PER_ROUND  240
#define CITIES     8
#define T0_MS      1795262400000LL /* 2026-11-21 12:00:00 UTC */
#define CATCH_UP_S 60              /* a round that neither fails nor catches up fails the test */

static const char *g_dir; /* scratch directory */

/* ------------------------------------------------------------------ the faulty VFS */

/* What the VFS fails: the write numbered failAt (counting every xWrite
** through it), and with sticky every later one too, until disarmed. */
static struct {
    long long nWrite;  /* xWrite calls so far */
    long long failAt;  /* the first write to fail, or 0: none */
    int sticky;        /* fail every write after failAt too */
    int code;          /* SQLITE_FULL or SQLITE_IOERR_WRITE */
    long long nFailed; /* writes failed so far */
} g_fault;

static sqlite3_vfs *g_real; /* the default VFS, which does the work */

/* A file opened through the faulty VFS: the real file follows it. */
typedef struct fault_file {
    sqlite3_file base;   /* pMethods = &fault_io */
    sqlite3_file *pReal; /* the default VFS's file, right after this struct */
} fault_file;

#define REAL(f) (((fault_file *)(f))->pReal)

/* Arm a fault: the gap-th write from now fails with code (and, sticky,
** every write after it until fault_disarm()). */
static void fault_arm(long long gap, int code, int sticky)
{
    g_fault.failAt = g_fault.nWrite + gap;
    g_fault.code = code;
    g_fault.sticky = sticky;
}

static void fault_disarm(void)
{
    g_fault.failAt = 0;
}

static int f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    f->pMethods = NULL;
    return rc;
}

static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

/* xWrite: the armed fault, or the real write. */
static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    long long no = ++g_fault.nWrite;
    if (g_fault.failAt && (no == g_fault.failAt || (g_fault.sticky && no > g_fault.failAt))) {
        g_fault.nFailed++;
        return g_fault.code;
    }
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *pSize)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), pSize);
}

static int f_lock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int f_unlock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int f_check_lock(sqlite3_file *f, int *pOut)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), pOut);
}

static int f_control(sqlite3_file *f, int op, void *pArg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, pArg);
}

static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_caps(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int i, int size, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), i, size, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int deleteFlag)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), deleteFlag);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_io = {
    3,          f_close,       f_read,       f_write,   f_truncate, f_sync, f_size,
    f_lock,     f_unlock,      f_check_lock, f_control, f_sector,   f_caps, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap,  f_fetch,   f_unfetch,
};

/* xOpen: open the real file behind ours. */
static int v_open(sqlite3_vfs *vfs, const char *zName, sqlite3_file *f, int flags, int *pOutFlags)
{
    (void)vfs;
    fault_file *ff = (fault_file *)f;
    ff->pReal = (sqlite3_file *)&ff[1];
    int rc = g_real->xOpen(g_real, zName, ff->pReal, flags, pOutFlags);
    f->pMethods = rc == SQLITE_OK && ff->pReal->pMethods ? &fault_io : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *z, int syncDir)
{
    (void)vfs;
    return g_real->xDelete(g_real, z, syncDir);
}

static int v_access(sqlite3_vfs *vfs, const char *z, int flags, int *pOut)
{
    (void)vfs;
    return g_real->xAccess(g_real, z, flags, pOut);
}

static int v_full(sqlite3_vfs *vfs, const char *z, int n, char *zOut)
{
    (void)vfs;
    return g_real->xFullPathname(g_real, z, n, zOut);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *z)
{
    (void)vfs;
    return g_real->xDlOpen(g_real, z);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *z)
{
    (void)vfs;
    g_real->xDlError(g_real, n, z);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *p, const char *z))(void)
{
    (void)vfs;
    return g_real->xDlSym(g_real, p, z);
}

static void v_dlclose(sqlite3_vfs *vfs, void *p)
{
    (void)vfs;
    g_real->xDlClose(g_real, p);
}

static int v_random(sqlite3_vfs *vfs, int n, char *z)
{
    (void)vfs;
    return g_real->xRandomness(g_real, n, z);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return g_real->xSleep(g_real, us);
}

static int v_time(sqlite3_vfs *vfs, double *p)
{
    (void)vfs;
    return g_real->xCurrentTime(g_real, p);
}

static int v_lasterr(sqlite3_vfs *vfs, int n, char *z)
{
    (void)vfs;
    return g_real->xGetLastError(g_real, n, z);
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *p)
{
    (void)vfs;
    return g_real->xCurrentTimeInt64(g_real, p);
}

static sqlite3_vfs g_faulty = {
    2,        0,         1024,     NULL,      "faulty", NULL,      v_open,   v_delete,
    v_access, v_full,    v_dlopen, v_dlerror, v_dlsym,  v_dlclose, v_random, v_sleep,
    v_time,   v_lasterr, v_time64, NULL,      NULL,     NULL,
};

/* Register the faulty VFS over the default one (not as the default). */
static void fault_register(void)
{
    g_real = sqlite3_vfs_find(NULL);
    g_faulty.szOsFile = (int)sizeof(fault_file) + g_real->szOsFile;
    g_faulty.mxPathname = g_real->mxPathname;
    if (sqlite3_vfs_register(&g_faulty, 0) != SQLITE_OK) {
        fprintf(stderr, "cannot register the faulty VFS\n");
        exit(1);
    }
}

/* ------------------------------------------------------------------ the pipeline */

/* Produce events v in [from, to): {"city":"c<v%8>","ts":...,"v":v}, keyed
** by city (so each city stays in one partition, in order), 250 ms of event
** time apart. */
static void produce(int from, int to)
{
    char path[] = "/tmp/ksq-faultvfs-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        perror("mkstemp");
        exit(1);
    }
    for (int v = from; v < to; v++)
        fprintf(f, "c%d\t{\"city\":\"c%d\",\"ts\":%lld,\"v\":%d}\n", v % CITIES, v % CITIES,
                T0_MS + v * 250LL, v);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "kcat -P -b '%s' -t '%s' -K '\t' -l '%s' 2>/dev/null", g_brokers,
             g_topic, path);
    int rc = system(cmd);
    unlink(path);
    if (rc != 0) {
        fprintf(stderr, "kcat failed: %s\n", cmd);
        exit(1);
    }
}

static const char *const g_views[] = {"v_total", "v_tumble", "v_hop", "v_session", "v_filter"};
#define N_VIEWS ((int)(sizeof g_views / sizeof g_views[0]))

/* The pipeline, with the sink's files under DIR/zOut. */
static char *pipeline_sql(const char *zOut)
{
    return sqlite3_mprintf(
        "CREATE STREAM IF NOT EXISTS s (city TEXT, ts TIMESTAMP, v INTEGER) WITH (topic = '%q', "
        "brokers = '%q', timestamp = 'ts', idle_timeout = '1 hour');\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS v_total AS SELECT city, count(*) AS n, sum(v) AS "
        "sv FROM s GROUP BY city;\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS v_tumble AS SELECT city, window_start, count(*) AS "
        "n, sum(v) AS sv FROM s GROUP BY city, TUMBLE(ts, '10 seconds');\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS v_hop AS SELECT window_start, count(*) AS n, "
        "max(v) AS mv FROM s GROUP BY HOP(ts, '20 seconds', '5 seconds');\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS v_session AS SELECT city, window_start, "
        "window_end, count(*) AS n FROM s WHERE v %% 5 <> 0 GROUP BY city, SESSION(ts, '3 "
        "seconds');\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS v_filter AS SELECT city, ts, v FROM s WHERE v %% 7 "
        "= 0;\n"
        "CREATE SINK IF NOT EXISTS v_files FROM v_filter INTO FILES '%q/%q' FORMAT CSV PARTITION "
        "BY (city) WITH (roll_rows = 20, roll_interval = '1 hour');\n",
        g_topic, g_brokers, g_dir, zOut);
}

/* One integer from a query on db (-1 if it fails). */
static long long query_int(sqlite3 *db, const char *zSql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, zSql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The database as another process sees it: intact, every view's offsets
** matching the events it counted, the sink's rows in files or buffered
** exactly once. Returns the events v_total has committed. */
static long long check_consistent(const char *zWhen)
{
    sqlite3 *db;
    char path[1024], what[256];
    snprintf(path, sizeof path, "%s/fault.db", g_dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "FAIL: cannot open %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "BEGIN", 0, 0, NULL); /* one snapshot for every query */
    sqlite3_stmt *st;
    const char *zOk = "?";
    char ok[64] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        snprintf(ok, sizeof ok, "%s", (const char *)sqlite3_column_text(st, 0));
        zOk = ok;
    }
    sqlite3_finalize(st);
    snprintf(what, sizeof what, "%s: integrity_check ok", zWhen);
    CHECK(what, strcmp(zOk, "ok") == 0);
    /* Offsets run exactly as far as the results: an event is one offset. */
    int same = 1;
    for (int i = 0; i < N_VIEWS; i++) {
        char *q = sqlite3_mprintf(
            "SELECT coalesce((SELECT events FROM ksq_view_state WHERE view = '%s'), 0) - "
            "coalesce((SELECT sum(next_offset) FROM ksq_progress WHERE view = '%s'), 0)",
            g_views[i], g_views[i]);
        long long d = query_int(db, q);
        sqlite3_free(q);
        if (d != 0) {
            fprintf(stderr, "%s: view %s counted %lld events more than its offsets\n", zWhen,
                    g_views[i], d);
            same = 0;
        }
    }
    long long total = query_int(db, "SELECT coalesce(sum(n), 0) FROM v_total");
    long long offsets =
        query_int(db, "SELECT coalesce(sum(next_offset), 0) FROM ksq_progress WHERE view = "
                      "'v_total'");
    snprintf(what, sizeof what,
             "%s: offsets match the committed results (v_total %lld events, offsets %lld)", zWhen,
             total, offsets);
    CHECK(what, same && total == offsets);
    long long inFiles = query_int(db, "SELECT coalesce(sum(rows), 0) FROM ksq_sink_files WHERE "
                                      "sink = 'v_files' AND state IN ('pending', 'published')");
    long long buffered = query_int(db, "SELECT count(*) FROM ksq_k_v_files");
    long long rows = query_int(db, "SELECT count(*) FROM v_filter");
    snprintf(what, sizeof what, "%s: sink rows once (%lld in files + %lld buffered = %lld)", zWhen,
             inFiles, buffered, rows);
    CHECK(what, inFiles + buffered == rows);
    sqlite3_exec(db, "COMMIT", 0, 0, NULL);
    sqlite3_close(db);
    return total;
}

/* Run the views of round r until they fail or have counted every event
** produced so far; exits if neither happens in CATCH_UP_S seconds. */
static int run_round(ksqlite *k, int r)
{
    long long deadline = now_ms() + CATCH_UP_S * 1000;
    for (;;) {
        int rc = ksqlite_run(k, 100);
        if (rc != KSQLITE_OK) return rc;
        if (query_int(ksqlite_db(k), "SELECT min(events) FROM ksq_view_state") ==
            (long long)(r + 1) * PER_ROUND)
            return KSQLITE_OK;
        if (now_ms() > deadline) {
            fprintf(stderr, "FAIL: round %d neither failed nor caught up in %d s\n", r, CATCH_UP_S);
            exit(1);
        }
    }
}

/* Is zMsg a clear message for a full disk or an I/O error? */
static int io_message(const char *zMsg)
{
    return zMsg && (strstr(zMsg, "database or disk is full") || strstr(zMsg, "disk I/O error"));
}

/* A statement under a fault fails cleanly and leaves the catalog as it
** was; without the fault it succeeds. */
static void statement_faults(ksqlite *k)
{
    const char *zCreate = "CREATE MATERIALIZED VIEW v_extra AS SELECT city, count(*) AS n FROM s "
                          "GROUP BY city";
    char *zErr = NULL;
    for (int code = 0; code < 2; code++) {
        fault_arm(1, code ? SQLITE_IOERR_WRITE : SQLITE_FULL, 1);
        int rc = ksqlite_exec(k, zCreate, NULL, NULL, &zErr);
        fault_disarm();
        char what[256];
        snprintf(what, sizeof what, "CREATE MATERIALIZED VIEW under %s fails: %s",
                 code ? "SQLITE_IOERR" : "SQLITE_FULL", zErr ? zErr : "(no message)");
        CHECK(what, rc != KSQLITE_OK && io_message(zErr));
        ksqlite_free(zErr);
        zErr = NULL;
        sqlite3 *db = ksqlite_db(k);
        CHECK("... and leaves no trace (no catalog entry, no table, the view not running)",
              query_int(db, "SELECT count(*) FROM ksq_views WHERE name = 'v_extra'") == 0 &&
                  query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'v_extra'") == 0 &&
                  ksqlite_view_count(k) == N_VIEWS);
    }
    CHECK("without the fault the same CREATE succeeds",
          ksqlite_exec(k, zCreate, NULL, NULL, NULL) == KSQLITE_OK &&
              ksqlite_view_count(k) == N_VIEWS + 1);
    fault_arm(1, SQLITE_FULL, 1);
    int rc = ksqlite_exec(k, "DROP MATERIALIZED VIEW v_extra", NULL, NULL, &zErr);
    fault_disarm();
    CHECK("DROP MATERIALIZED VIEW under SQLITE_FULL fails with a clear error",
          rc != KSQLITE_OK && io_message(zErr));
    ksqlite_free(zErr);
    zErr = NULL;
    CHECK("... and the view is still there",
          query_int(ksqlite_db(k), "SELECT count(*) FROM ksq_views WHERE name = 'v_extra'") == 1);
    CHECK("without the fault the DROP succeeds",
          ksqlite_exec(k, "DROP MATERIALIZED VIEW v_extra", NULL, NULL, NULL) == KSQLITE_OK &&
              ksqlite_view_count(k) == N_VIEWS);
}

/* Do the tables of view zView hold the same rows in main and "ref"? */
static int same_rows(sqlite3 *db, const char *zView)
{
    char *q = sqlite3_mprintf(
        "SELECT (SELECT count(*) FROM main.\"%w\") = (SELECT count(*) FROM ref.\"%w\") AND NOT "
        "EXISTS (SELECT * FROM main.\"%w\" EXCEPT SELECT * FROM ref.\"%w\") AND NOT EXISTS "
        "(SELECT * FROM ref.\"%w\" EXCEPT SELECT * FROM main.\"%w\")",
        zView, zView, zView, zView, zView, zView);
    long long r = query_int(db, q);
    sqlite3_free(q);
    return r == 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_faultvfs BROKERS TOPIC DIR\n");
        return 2;
    }
    g_brokers = argv[1];
    g_topic = argv[2];
    g_dir = argv[3];
    fault_register();

    char uri[1024], *zErr = NULL;
    snprintf(uri, sizeof uri, "file:%s/fault.db?vfs=faulty", g_dir);
    ksqlite *k;
    CHECK("ksqlite_open() opens a URI with vfs=faulty", ksqlite_open(uri, &k, &zErr) == KSQLITE_OK);
    char *zPipeline = pipeline_sql("files");
    produce(0, PER_ROUND);
    int prc = ksqlite_exec(k, zPipeline, NULL, NULL, &zErr);
    if (prc) fprintf(stderr, "%s\n", zErr ? zErr : "?");
    CHECK("the pipeline is created", prc == KSQLITE_OK);
    statement_faults(k);

    int nFailedRuns = 0, nFull = 0, nIoerr = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (r > 0) produce(r * PER_ROUND, (r + 1) * PER_ROUND);
        int armed = r % 6 != 5; /* every sixth round runs clean */
        int code = r % 2 ? SQLITE_IOERR_WRITE : SQLITE_FULL;
        /* Mostly early (the batch's commit), every third round later (sink rolls). */
        long long gap = r % 3 ? 1 + (r * 13) % 29 : 1 + (r * 37) % 157;
        if (armed) fault_arm(gap, code, r % 4 < 2);
        long long failedBefore = g_fault.nFailed;
        int rc = run_round(k, r);
        fault_disarm();
        if (rc != KSQLITE_OK) {
            nFailedRuns++;
            nFull += (rc & 0xff) == SQLITE_FULL;
            nIoerr += (rc & 0xff) == SQLITE_IOERR;
            char what[512];
            snprintf(what, sizeof what, "round %d: the run fails with a clear error (%d: %s)", r,
                     rc, ksqlite_errmsg(k));
            CHECK(what, ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR) &&
                            io_message(ksqlite_errmsg(k)) && g_fault.nFailed > failedBefore);
        }
        char when[64];
        snprintf(when, sizeof when, "round %d%s", r, rc ? " (failed)" : "");
        check_consistent(when);
        if (rc != KSQLITE_OK) {
            /* The fault is gone: the same handle goes on (as a service retries). */
            snprintf(when, sizeof when, "round %d, run again", r);
            CHECK(when, run_round(k, r) == KSQLITE_OK);
            check_consistent(when);
        }
    }
    printf("# writes %lld, failed %lld; runs failed: %d (%d SQLITE_FULL, %d SQLITE_IOERR)\n",
           g_fault.nWrite, g_fault.nFailed, nFailedRuns, nFull, nIoerr);
    CHECK("faults made runs fail with both codes", nFull > 0 && nIoerr > 0);
    CHECK("after the faults the run goes to the end",
          ksqlite_run_to_end(k, 1, &zErr) == KSQLITE_OK);
    long long total = check_consistent("at the end");
    CHECK("every event counted once", total == (long long)ROUNDS * PER_ROUND);
    ksqlite_close(k);

    /* The uninterrupted run over the same topic. */
    char path[1024];
    snprintf(path, sizeof path, "%s/ref.db", g_dir);
    char *zRef = pipeline_sql("ref_files");
    CHECK("the reference run", ksqlite_open(path, &k, &zErr) == KSQLITE_OK &&
                                   ksqlite_exec(k, zRef, NULL, NULL, &zErr) == KSQLITE_OK &&
                                   ksqlite_run_to_end(k, 1, &zErr) == KSQLITE_OK);
    ksqlite_close(k);
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/fault.db", g_dir);
    sqlite3_open(path, &db);
    char *zAttach = sqlite3_mprintf("ATTACH '%q/ref.db' AS ref", g_dir);
    sqlite3_exec(db, zAttach, 0, 0, NULL);
    sqlite3_free(zAttach);
    for (int i = 0; i < N_VIEWS; i++) {
        char what[256], *q = sqlite3_mprintf("SELECT count(*) FROM ref.%s", g_views[i]);
        snprintf(what, sizeof what, "%s equals the uninterrupted run (%lld rows)", g_views[i],
                 query_int(db, q));
        sqlite3_free(q);
        CHECK(what, same_rows(db, g_views[i]));
    }
    sqlite3_close(db);
    sqlite3_free(zPipeline);
    sqlite3_free(zRef);
    if (zErr) fprintf(stderr, "%s\n", zErr);
    ksqlite_free(zErr);
    printf("# %d checks passed\n", g_checks);
    return 0;
}
