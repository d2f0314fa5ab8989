/*
** ksqlite.c — the engine handle: open a database, register the `kafka`
** module, run statements, close. This is the public API of ksqlite.h.
*/
#include "ksq_int.h"
#include "ksqlite.h"

#include <stdlib.h>
#include <string.h>

const char *ksqlite_version(void)
{
    return KSQLITE_VERSION;
}

void ksqlite_free(void *p)
{
    sqlite3_free(p);
}

static void set_err(char **pzErr, char *zMsg)
{
    if (pzErr) {
        *pzErr = zMsg;
    } else {
        sqlite3_free(zMsg);
    }
}

/* Create the handle around db and register what the engine provides. */
static int engine_init(sqlite3 *db, int ownsDb, ksqlite **ppK, char **pzErr)
{
    ksqlite *k = sqlite3_malloc(sizeof *k);
    if (!k) return SQLITE_NOMEM;
    memset(k, 0, sizeof *k);
    k->db = db;
    k->owns_db = ownsDb;
    k->error_offset = -1;
    const char *env = getenv("KSQLITE_BROKERS");
    if (env && env[0] && ksqlite_set_brokers(k, env) != SQLITE_OK) {
        sqlite3_free(k);
        return SQLITE_NOMEM;
    }
    int rc = ksq_vtab_register(db, k);
    if (rc) {
        set_err(pzErr, sqlite3_mprintf("cannot register the kafka module: %s", sqlite3_errmsg(db)));
        sqlite3_free(k->zDefaultBrokers);
        sqlite3_free(k);
        return rc;
    }
    *ppK = k;
    return SQLITE_OK;
}

int ksqlite_open(const char *zPath, ksqlite **ppK, char **pzErr)
{
    sqlite3 *db = NULL;
    *ppK = NULL;
    if (!zPath || !zPath[0]) zPath = ":memory:";
    int rc = sqlite3_open_v2(zPath, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc) {
        set_err(pzErr, sqlite3_mprintf("cannot open database %s: %s", zPath,
                                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 0);
    /* WAL lets other clients read results while views commit; NORMAL
    ** synchronous survives process crashes. */
    if (strcmp(zPath, ":memory:") != 0) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", 0, 0, 0);
        if (rc) {
            set_err(pzErr,
                    sqlite3_mprintf("cannot open database %s: %s", zPath, sqlite3_errmsg(db)));
            sqlite3_close(db);
            return rc;
        }
    }
    rc = engine_init(db, 1, ppK, pzErr);
    if (rc) sqlite3_close(db);
    return rc;
}

int ksqlite_attach(sqlite3 *db, ksqlite **ppK, char **pzErr)
{
    *ppK = NULL;
    return engine_init(db, 0, ppK, pzErr);
}

void ksqlite_close(ksqlite *k)
{
    if (!k) return;
    if (k->owns_db) sqlite3_close(k->db);
    sqlite3_free(k->zDefaultBrokers);
    sqlite3_free(k);
}

sqlite3 *ksqlite_db(ksqlite *k)
{
    return k->db;
}

int ksqlite_set_brokers(ksqlite *k, const char *zBrokers)
{
    char *z = NULL;
    if (zBrokers) {
        z = sqlite3_mprintf("%s", zBrokers);
        if (!z) return SQLITE_NOMEM;
    }
    sqlite3_free(k->zDefaultBrokers);
    k->zDefaultBrokers = z;
    return SQLITE_OK;
}

const char *ksqlite_brokers(ksqlite *k)
{
    return k->zDefaultBrokers;
}

void ksqlite_interrupt(ksqlite *k)
{
    k->interrupted = 1;
    sqlite3_interrupt(k->db);
}

int ksqlite_error_offset(ksqlite *k)
{
    return k->error_offset;
}

int ksqlite_exec(ksqlite *k, const char *zSql, ksqlite_row_fn xRow, void *pArg, char **pzErr)
{
    const char *zTail = zSql;
    int rc = SQLITE_OK;
    k->interrupted = 0;
    k->error_offset = -1;
    while (zTail && *zTail && rc == SQLITE_OK) {
        sqlite3_stmt *stmt = NULL;
        const char *zStart = zTail;
        rc = sqlite3_prepare_v2(k->db, zStart, -1, &stmt, &zTail);
        if (rc) {
            int off = sqlite3_error_offset(k->db);
            k->error_offset = (int)(zStart - zSql) + (off >= 0 ? off : 0);
            set_err(pzErr, sqlite3_mprintf("%s", sqlite3_errmsg(k->db)));
            break;
        }
        if (!stmt) continue; /* whitespace or a comment */
        int nRow = 0;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            nRow++;
            if (xRow && xRow(pArg, stmt)) {
                rc = k->interrupted ? SQLITE_INTERRUPT : SQLITE_DONE;
                break;
            }
        }
        if (nRow > 0 && xRow) xRow(pArg, NULL); /* end of this result set */
        if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        } else {
            if (k->interrupted) rc = SQLITE_INTERRUPT;
            k->error_offset = (int)(zStart - zSql);
            while (k->error_offset < (int)(zTail - zSql) &&
                   (zSql[k->error_offset] == ' ' || zSql[k->error_offset] == '\n' ||
                    zSql[k->error_offset] == '\t'))
                k->error_offset++;
            set_err(pzErr, sqlite3_mprintf("%s", rc == SQLITE_INTERRUPT ? "interrupted"
                                                                        : sqlite3_errmsg(k->db)));
        }
        sqlite3_finalize(stmt);
    }
    k->interrupted = 0;
    return rc;
}
