/*
** sink_files.c — a file sink's buffered lines into Hive-partitioned files,
** exactly once; COMPACT SINK; EXPORT.
**
** Layout under the sink's root:
**
**   out/alerts/country=DE/city=Berlin/date=2026-11-21/hour=13/part-00000042.csv
**
** A roll takes the buffered lines of some partitions and, for each, writes
** ".part-<id>.<ext>.inprogress" in the partition's directory (hidden from
** readers, which skip names starting with '.' or '_'), fsyncs it, then in
** one transaction records the files in ksq_sink_files as 'pending' and
** deletes their lines from the buffer; then renames each to
** "part-<id>.<ext>", fsyncs the directories and marks the files 'published'.
** A crash before the commit leaves hidden files that recovery removes (their
** lines are still buffered); after it, recovery renames the pending ones.
**
** COMPACT writes one file with a partition's lines in a hidden sibling
** directory (".ksq-compact.<leaf>"), records it ('compacting') with the old
** files ('compacted'), and swaps the two directories in one rename
** (renameat2 RENAME_EXCHANGE), so a reader sees the old files or the new one,
** never both or neither. Where the swap cannot be done (another file in the
** partition, a file system without it) the new file is renamed in and the
** old ones unlinked.
*/
#define _GNU_SOURCE
#include "sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPACT_PREFIX ".ksq-compact."

/* ------------------------------------------------------------------ paths and files */

int ksq_mkdirs(const char *zPath, char **pzErr)
{
    char *z = sqlite3_mprintf("%s", zPath);
    if (!z) return SQLITE_NOMEM;
    int rc = SQLITE_OK;
    for (char *p = z + 1;; p++) {
        if (*p != '/' && *p != 0) continue;
        char c = *p;
        *p = 0;
        if (mkdir(z, 0755) != 0 && errno != EEXIST) {
            *pzErr = sqlite3_mprintf("cannot create directory %s: %s", z, strerror(errno));
            rc = SQLITE_CANTOPEN;
            break;
        }
        *p = c;
        if (!c) break;
    }
    sqlite3_free(z);
    return rc;
}

static const char *ext_of(const ksq_sink *s)
{
    return s->format == KSQ_SINK_CSV ? "csv" : "jsonl";
}

/* The directory of partition zPart ("" is the root itself). */
static char *part_dir(const ksq_sink *s, const char *zPart)
{
    return zPart[0] ? sqlite3_mprintf("%s/%s", s->zTarget, zPart)
                    : sqlite3_mprintf("%s", s->zTarget);
}

/* The path of file id of partition zPart, relative to the sink's root. */
static char *file_path(const ksq_sink *s, const char *zPart, int64_t id)
{
    return zPart[0] ? sqlite3_mprintf("%s/part-%08lld.%s", zPart, (long long)id, ext_of(s))
                    : sqlite3_mprintf("part-%08lld.%s", (long long)id, ext_of(s));
}

/* fsync a directory, so the renames in it survive a power loss. */
static void sync_dir(const char *zDir)
{
    int fd = open(zDir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Write n bytes, or fail with errno set. */
static int write_all(FILE *f, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* Flush, fsync and close f; non-zero (errno set) if any of it failed. */
static int close_synced(FILE *f)
{
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    errno = saved;
    return bad;
}

static int64_t next_file_id(ksqlite *k)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (sqlite3_prepare_v2(k->db,
                           "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
                           "'ksq_sink_files'), 0), coalesce((SELECT max(id) FROM ksq_sink_files), "
                           "0))",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id + 1;
}

/* ------------------------------------------------------------------ publishing */

/* Rename the sink's pending files into view and mark them published. A
** pending file whose hidden copy is gone but whose final name exists was
** renamed before a crash. */
static int finish_pending(ksqlite *k, ksq_sink *s, char **pzErr)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        k->db, "SELECT id, part FROM ksq_sink_files WHERE sink = ?1 AND state = 'pending'", -1, &st,
        NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, s->zName, -1, SQLITE_STATIC);
    int nDone = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        char *zDir = part_dir(s, (const char *)sqlite3_column_text(st, 1));
        char *zHidden =
            sqlite3_mprintf("%s/.part-%08lld.%s.inprogress", zDir, (long long)id, ext_of(s));
        char *zFinal = sqlite3_mprintf("%s/part-%08lld.%s", zDir, (long long)id, ext_of(s));
        if (!zDir || !zHidden || !zFinal) {
            rc = SQLITE_NOMEM;
        } else if (access(zFinal, F_OK) != 0) {
            if (rename(zHidden, zFinal) != 0) {
                *pzErr = sqlite3_mprintf("cannot publish %s: %s", zFinal, strerror(errno));
                rc = SQLITE_IOERR;
            } else {
                sync_dir(zDir);
            }
        }
        nDone += !rc;
        sqlite3_free(zDir);
        sqlite3_free(zHidden);
        sqlite3_free(zFinal);
    }
    sqlite3_finalize(st);
    if (nDone > 0) {
        ksq_crash_point("sink-renamed");
        /* Marked published only once every pending one is: on an error the
        ** whole step runs again (renames already done are recognised). */
        char *z = sqlite3_mprintf("UPDATE ksq_sink_files SET state = 'published', published = "
                                  "strftime('%%Y-%%m-%%d %%H:%%M:%%f','now') WHERE sink = %Q AND "
                                  "state = 'pending'",
                                  s->zName);
        int urc = rc ? SQLITE_OK : z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        sqlite3_free(z);
        if (!rc) rc = urc;
    }
    return rc;
}

/* A file written by a roll. */
typedef struct roll_file {
    char *zPart;    /* its partition */
    int64_t id;     /* its id (file name) */
    int64_t lastId; /* the last buffered line it holds */
    int64_t rows, bytes;
    char *zHidden; /* where it is written, until published */
} roll_file;

/* The files of a roll. */
typedef struct roll {
    roll_file *a;
    int n, nAlloc;
    int64_t nextId; /* id of the next file */
} roll;

static void roll_free(roll *r, int unlinkHidden)
{
    for (int i = 0; i < r->n; i++) {
        if (unlinkHidden && r->a[i].zHidden) unlink(r->a[i].zHidden);
        sqlite3_free(r->a[i].zPart);
        sqlite3_free(r->a[i].zHidden);
    }
    sqlite3_free(r->a);
    memset(r, 0, sizeof *r);
}

/* Start the next file of partition zPart: *ppOut is open on its hidden name,
** the header written. */
static int roll_open(roll *r, ksq_sink *s, const char *zPart, FILE **ppOut, char **pzErr)
{
    if (r->n == r->nAlloc) {
        int cap = r->nAlloc ? r->nAlloc * 2 : 8;
        roll_file *a = sqlite3_realloc64(r->a, sizeof(roll_file) * (size_t)cap);
        if (!a) return SQLITE_NOMEM;
        r->a = a;
        r->nAlloc = cap;
    }
    char *zDir = part_dir(s, zPart);
    int rc = zDir ? ksq_mkdirs(zDir, pzErr) : SQLITE_NOMEM;
    roll_file *f = &r->a[r->n];
    memset(f, 0, sizeof *f);
    f->id = r->nextId;
    f->zPart = sqlite3_mprintf("%s", zPart);
    f->zHidden =
        zDir ? sqlite3_mprintf("%s/.part-%08lld.%s.inprogress", zDir, (long long)f->id, ext_of(s))
             : NULL;
    sqlite3_free(zDir);
    if (!rc && (!f->zPart || !f->zHidden)) rc = SQLITE_NOMEM;
    if (rc) {
        sqlite3_free(f->zPart);
        sqlite3_free(f->zHidden);
        return rc;
    }
    r->n++;
    r->nextId++;
    *ppOut = fopen(f->zHidden, "w");
    if (!*ppOut) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", f->zHidden, strerror(errno));
        return SQLITE_CANTOPEN;
    }
    const char *zEol = s->format == KSQ_SINK_CSV ? "\r\n" : "\n";
    if (s->zHeader && (write_all(*ppOut, s->zHeader, strlen(s->zHeader)) ||
                       write_all(*ppOut, zEol, strlen(zEol)))) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", f->zHidden, strerror(errno));
        fclose(*ppOut);
        *ppOut = NULL;
        return SQLITE_IOERR;
    }
    if (s->zHeader) f->bytes = (int64_t)(strlen(s->zHeader) + strlen(zEol));
    return SQLITE_OK;
}

/* Finish the current file of the roll: flush and fsync it. */
static int roll_close(roll *r, FILE *out, char **pzErr)
{
    if (close_synced(out)) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", r->a[r->n - 1].zHidden, strerror(errno));
        return SQLITE_IOERR;
    }
    return SQLITE_OK;
}

/* Write partition zPart's buffered lines (nRows and nBytes of them) into
** files of at most the sink's roll size and rows. With whole, every line
** goes; otherwise only full files are made and the rest stays buffered. */
static int roll_part(ksqlite *k, ksq_sink *s, sqlite3_stmt *pLines, roll *r, const char *zPart,
                     int whole, int64_t nRows, int64_t nBytes, char **pzErr)
{
    const char *zEol = s->format == KSQ_SINK_CSV ? "\r\n" : "\n";
    size_t nEol = strlen(zEol);
    int64_t maxBytes = s->rollBytes > 0 ? s->rollBytes : INT64_MAX;
    int64_t maxRows = s->rollRows > 0 ? s->rollRows : INT64_MAX;
    FILE *out = NULL;
    roll_file *f = NULL;
    int rc = SQLITE_OK;
    sqlite3_bind_text(pLines, 1, zPart, -1, SQLITE_STATIC);
    for (;;) {
        if (!out) {
            /* A new file, if a full one (or, with whole, any) can be made. */
            if (nRows <= 0 || (!whole && nRows < maxRows && nBytes < maxBytes)) break;
            rc = roll_open(r, s, zPart, &out, pzErr);
            if (rc) break;
            f = &r->a[r->n - 1];
        }
        int step = sqlite3_step(pLines);
        if (step != SQLITE_ROW) {
            if (step != SQLITE_DONE) {
                *pzErr = sqlite3_mprintf("cannot read the buffer: %s", sqlite3_errmsg(k->db));
                rc = step;
            }
            break;
        }
        size_t n = (size_t)sqlite3_column_bytes(pLines, 1);
        if (write_all(out, sqlite3_column_blob(pLines, 1), n) || write_all(out, zEol, nEol)) {
            *pzErr = sqlite3_mprintf("cannot write %s: %s", f->zHidden, strerror(errno));
            rc = SQLITE_IOERR;
            break;
        }
        f->lastId = sqlite3_column_int64(pLines, 0);
        f->rows++;
        f->bytes += (int64_t)(n + nEol);
        nRows--;
        nBytes -= (int64_t)(n + nEol);
        if (f->rows >= maxRows || f->bytes >= maxBytes) {
            FILE *done = out;
            out = NULL;
            rc = roll_close(r, done, pzErr);
            if (rc) break;
        }
    }
    sqlite3_reset(pLines);
    if (out) {
        int crc = roll_close(r, out, pzErr);
        if (!rc) rc = crc;
    }
    if (!rc && r->n > 0 && r->a[r->n - 1].rows == 0) {
        /* The buffer held fewer lines than its figures said: drop the empty file. */
        roll_file *e = &r->a[--r->n];
        r->nextId--;
        unlink(e->zHidden);
        sqlite3_free(e->zHidden);
        sqlite3_free(e->zPart);
    }
    return rc;
}

int ksq_files_roll(ksqlite *k, ksq_sink *s, int all, char **pzErr)
{
    if (!sqlite3_get_autocommit(k->db)) return SQLITE_OK; /* the user holds a transaction */
    int rc = finish_pending(k, s, pzErr);
    if (rc) return rc;
    sqlite3_stmt *pDue = NULL, *pLines = NULL;
    rc = sqlite3_prepare_v2(k->db,
                            "SELECT part, rows, bytes, ?2 OR (?5 > 0 AND first_ms <= ?6) FROM "
                            "ksq_sink_parts WHERE sink = ?1 AND rows > 0 AND (?2 OR bytes >= ?3 OR "
                            "(?4 > 0 AND rows >= ?4) OR (?5 > 0 AND first_ms <= ?6)) ORDER BY part",
                            -1, &pDue, NULL);
    char *zLines = sqlite3_mprintf(
        "SELECT id, line FROM main.\"ksq_k_%w\" WHERE part = ?1 ORDER BY id", s->zName);
    if (!rc) rc = zLines ? sqlite3_prepare_v2(k->db, zLines, -1, &pLines, NULL) : SQLITE_NOMEM;
    sqlite3_free(zLines);
    roll r;
    memset(&r, 0, sizeof r);
    r.nextId = next_file_id(k);
    if (!rc) {
        sqlite3_bind_text(pDue, 1, s->zName, -1, SQLITE_STATIC);
        sqlite3_bind_int(pDue, 2, all);
        sqlite3_bind_int64(pDue, 3, s->rollBytes > 0 ? s->rollBytes : INT64_MAX);
        sqlite3_bind_int64(pDue, 4, s->rollRows);
        sqlite3_bind_int64(pDue, 5, s->rollMs);
        sqlite3_bind_int64(pDue, 6, ksq_now_ms() - s->rollMs);
        while (!rc && sqlite3_step(pDue) == SQLITE_ROW) {
            rc = roll_part(k, s, pLines, &r, (const char *)sqlite3_column_text(pDue, 0),
                           sqlite3_column_int(pDue, 3), sqlite3_column_int64(pDue, 1),
                           sqlite3_column_int64(pDue, 2), pzErr);
        }
    }
    sqlite3_finalize(pDue);
    sqlite3_finalize(pLines);
    if (rc || r.n == 0) {
        roll_free(&r, 1);
        return rc;
    }
    /* Record the files and forget their lines, in one transaction; what a
    ** partition still buffers keeps its figures. */
    ksq_crash_point("sink-written");
    rc = sqlite3_exec(k->db, "BEGIN IMMEDIATE", 0, 0, NULL);
    for (int i = 0; i < r.n && !rc; i++) {
        roll_file *f = &r.a[i];
        int lastOfPart = i + 1 == r.n || strcmp(r.a[i + 1].zPart, f->zPart) != 0;
        char *zPath = file_path(s, f->zPart, f->id);
        char *z = zPath
                      ? sqlite3_mprintf(
                            "INSERT INTO ksq_sink_files(id, sink, part, path, rows, bytes, state) "
                            "VALUES (%lld, %Q, %Q, %Q, %lld, %lld, 'pending')",
                            (long long)f->id, s->zName, f->zPart, zPath, (long long)f->rows,
                            (long long)f->bytes)
                      : NULL;
        rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        sqlite3_free(z);
        sqlite3_free(zPath);
        if (!rc && lastOfPart) {
            z = sqlite3_mprintf(
                "DELETE FROM main.\"ksq_k_%w\" WHERE part = %Q AND id <= %lld; UPDATE "
                "ksq_sink_parts SET rows = (SELECT count(*) FROM main.\"ksq_k_%w\" WHERE part = "
                "%Q), bytes = (SELECT coalesce(sum(length(CAST(line AS BLOB)) + 2), 0) FROM "
                "main.\"ksq_k_%w\" WHERE part = %Q) WHERE sink = %Q AND part = %Q; DELETE FROM "
                "ksq_sink_parts WHERE sink = %Q AND part = %Q AND rows = 0;",
                s->zName, f->zPart, (long long)f->lastId, s->zName, f->zPart, s->zName, f->zPart,
                s->zName, f->zPart, s->zName, f->zPart);
            rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
            sqlite3_free(z);
        }
    }
    if (!rc) rc = sqlite3_exec(k->db, "COMMIT", 0, 0, NULL);
    if (rc) {
        if (!*pzErr) *pzErr = sqlite3_mprintf("cannot record the files: %s", sqlite3_errmsg(k->db));
        sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
        roll_free(&r, 1);
        return rc;
    }
    roll_free(&r, 0);
    ksq_crash_point("sink-recorded");
    return finish_pending(k, s, pzErr);
}

/* ------------------------------------------------------------------ compaction */

/* zPath's parent directory and last component, as new strings. */
static int split_path(const char *zPath, char **pzParent, char **pzBase)
{
    char *a = sqlite3_mprintf("%s", zPath), *b = sqlite3_mprintf("%s", zPath);
    *pzParent = a ? sqlite3_mprintf("%s", dirname(a)) : NULL;
    *pzBase = b ? sqlite3_mprintf("%s", basename(b)) : NULL;
    sqlite3_free(a);
    sqlite3_free(b);
    return *pzParent && *pzBase ? SQLITE_OK : SQLITE_NOMEM;
}

/* The hidden directory a partition is compacted in, next to its directory. */
static char *compact_dir(const ksq_sink *s, const char *zPart)
{
    char *zLeaf = part_dir(s, zPart), *zParent = NULL, *zBase = NULL;
    char *z = zLeaf && split_path(zLeaf, &zParent, &zBase) == SQLITE_OK
                  ? sqlite3_mprintf("%s/" COMPACT_PREFIX "%s", zParent, zBase)
                  : NULL;
    sqlite3_free(zLeaf);
    sqlite3_free(zParent);
    sqlite3_free(zBase);
    return z;
}

/* Remove a directory and the files in it. */
static void remove_dir(const char *zDir)
{
    DIR *d = opendir(zDir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *z = sqlite3_mprintf("%s/%s", zDir, e->d_name);
        if (z) unlink(z);
        sqlite3_free(z);
    }
    closedir(d);
    rmdir(zDir);
}

/* Does directory zDir hold only files named like the paths azKnown[0..n)? */
static int only_known_files(const char *zDir, char **azKnown, int n)
{
    DIR *d = opendir(zDir);
    if (!d) return 0;
    struct dirent *e;
    int only = 1;
    while (only && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int known = 0;
        for (int i = 0; i < n && !known; i++) {
            const char *base = strrchr(azKnown[i], '/');
            known = !strcmp(base ? base + 1 : azKnown[i], e->d_name);
        }
        only = known;
    }
    closedir(d);
    return only;
}

/* Put compaction newId's file (in the hidden directory) in place of the old
** files (azOld, relative to the root) and clean up. Safe to repeat. */
static int swap_in(ksq_sink *s, const char *zPart, int64_t newId, char **azOld, int nOld,
                   char **pzErr)
{
    char *zLeaf = part_dir(s, zPart), *zTmp = compact_dir(s, zPart);
    char *zRel = file_path(s, zPart, newId);
    const char *zBase = zRel ? strrchr(zRel, '/') : NULL;
    char *zNewTmp = zTmp && zRel ? sqlite3_mprintf("%s/%s", zTmp, zBase ? zBase + 1 : zRel) : NULL;
    char *zNewFinal = zRel ? sqlite3_mprintf("%s/%s", s->zTarget, zRel) : NULL;
    int rc = zLeaf && zTmp && zNewTmp && zNewFinal ? SQLITE_OK : SQLITE_NOMEM;
    if (!rc && access(zNewFinal, F_OK) != 0) {
        /* Swap the directories when the partition holds only the old files:
        ** readers see either those or the new one. */
        int swapped = only_known_files(zLeaf, azOld, nOld) &&
                      renameat2(AT_FDCWD, zTmp, AT_FDCWD, zLeaf, RENAME_EXCHANGE) == 0;
        if (!swapped && rename(zNewTmp, zNewFinal) != 0) {
            *pzErr = sqlite3_mprintf("cannot publish %s: %s", zNewFinal, strerror(errno));
            rc = SQLITE_IOERR;
        }
    }
    if (!rc) {
        /* The old files: gone with the swapped-out directory, or unlinked here. */
        for (int i = 0; i < nOld; i++) {
            char *z = sqlite3_mprintf("%s/%s", s->zTarget, azOld[i]);
            if (z) unlink(z);
            sqlite3_free(z);
        }
        remove_dir(zTmp);
        sync_dir(zLeaf);
        char *zParent = NULL, *zLeafBase = NULL;
        if (split_path(zLeaf, &zParent, &zLeafBase) == SQLITE_OK) sync_dir(zParent);
        sqlite3_free(zParent);
        sqlite3_free(zLeafBase);
    }
    sqlite3_free(zLeaf);
    sqlite3_free(zTmp);
    sqlite3_free(zRel);
    sqlite3_free(zNewTmp);
    sqlite3_free(zNewFinal);
    return rc;
}

/* The files of partition zPart in state zState: ids and paths (relative to
** the root), in id order. */
static int files_in_state(ksqlite *k, ksq_sink *s, const char *zPart, const char *zState,
                          char ***pazPath, int64_t **paId, int *pn)
{
    sqlite3_stmt *st;
    *pazPath = NULL;
    *paId = NULL;
    *pn = 0;
    int rc = sqlite3_prepare_v2(k->db,
                                "SELECT id, path FROM ksq_sink_files WHERE sink = ?1 AND part = "
                                "?2 AND state = ?3 ORDER BY id",
                                -1, &st, NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, s->zName, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, zPart, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, zState, -1, SQLITE_STATIC);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char **a = sqlite3_realloc64(*pazPath, sizeof(char *) * (size_t)(*pn + 1));
        if (a) *pazPath = a;
        int64_t *b = a ? sqlite3_realloc64(*paId, sizeof(int64_t) * (size_t)(*pn + 1)) : NULL;
        if (b) *paId = b;
        if (!a || !b) {
            rc = SQLITE_NOMEM;
            break;
        }
        a[*pn] = sqlite3_mprintf("%s", sqlite3_column_text(st, 1));
        b[*pn] = sqlite3_column_int64(st, 0);
        if (!a[(*pn)++]) rc = SQLITE_NOMEM;
    }
    sqlite3_finalize(st);
    return rc;
}

static void free_paths(char **a, int64_t *ids, int n)
{
    for (int i = 0; a && i < n; i++) sqlite3_free(a[i]);
    sqlite3_free(a);
    sqlite3_free(ids);
}

/* Complete the recorded compactions (just committed, or cut by a crash). */
static int finish_compactions(ksqlite *k, ksq_sink *s, char **pzErr)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(k->db,
                                "SELECT id, part FROM ksq_sink_files WHERE sink = ?1 AND state = "
                                "'compacting'",
                                -1, &st, NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, s->zName, -1, SQLITE_STATIC);
    int64_t *aDone = NULL;
    char **azPart = NULL;
    int nDone = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *zPart = (const char *)sqlite3_column_text(st, 1);
        char **azOld;
        int64_t *aOld;
        int nOld;
        rc = files_in_state(k, s, zPart, "compacted", &azOld, &aOld, &nOld);
        if (!rc) rc = swap_in(s, zPart, id, azOld, nOld, pzErr);
        free_paths(azOld, aOld, nOld);
        int64_t *a = !rc ? sqlite3_realloc64(aDone, sizeof(int64_t) * (size_t)(nDone + 1)) : NULL;
        if (a) aDone = a;
        char **b = a ? sqlite3_realloc64(azPart, sizeof(char *) * (size_t)(nDone + 1)) : NULL;
        if (b) azPart = b;
        if (!rc && (!a || !b)) rc = SQLITE_NOMEM;
        if (!rc) {
            aDone[nDone] = id;
            azPart[nDone] = sqlite3_mprintf("%s", zPart);
            if (!azPart[nDone++]) rc = SQLITE_NOMEM;
        }
    }
    sqlite3_finalize(st);
    for (int i = 0; i < nDone && !rc; i++) {
        char *z = sqlite3_mprintf(
            "BEGIN IMMEDIATE; UPDATE ksq_sink_files SET state = 'published', published = "
            "strftime('%%Y-%%m-%%d %%H:%%M:%%f','now') WHERE id = %lld; DELETE FROM ksq_sink_files "
            "WHERE sink = %Q AND part = %Q AND state = 'compacted'; COMMIT;",
            (long long)aDone[i], s->zName, azPart[i]);
        rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        if (rc) sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
        sqlite3_free(z);
    }
    for (int i = 0; i < nDone; i++) sqlite3_free(azPart[i]);
    sqlite3_free(azPart);
    sqlite3_free(aDone);
    return rc;
}

/* Append file zPath's content to out, its first skip bytes (a header) left out. */
static int append_file(FILE *out, const char *zPath, long skip, char **pzErr)
{
    FILE *in = fopen(zPath, "r");
    if (!in) {
        *pzErr = sqlite3_mprintf("cannot read %s: %s", zPath, strerror(errno));
        return SQLITE_IOERR;
    }
    char buf[65536];
    size_t n;
    int bad = skip > 0 && fseek(in, skip, SEEK_SET) != 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0) bad = write_all(out, buf, n);
    bad |= ferror(in);
    fclose(in);
    if (bad) {
        *pzErr = sqlite3_mprintf("cannot copy %s: %s", zPath, strerror(errno));
        return SQLITE_IOERR;
    }
    return SQLITE_OK;
}

/* Merge the published files of partition zPart into one. */
static int compact_part(ksqlite *k, ksq_sink *s, const char *zPart, int64_t *pnMerged, char **pzErr)
{
    char **azOld;
    int64_t *aOld;
    int nOld;
    int rc = files_in_state(k, s, zPart, "published", &azOld, &aOld, &nOld);
    if (rc || nOld < 2) {
        free_paths(azOld, aOld, nOld);
        return rc;
    }
    int64_t newId = next_file_id(k);
    char *zTmp = compact_dir(s, zPart), *zRel = file_path(s, zPart, newId);
    const char *zBase = zRel ? strrchr(zRel, '/') : NULL;
    char *zNew = zTmp && zRel ? sqlite3_mprintf("%s/%s", zTmp, zBase ? zBase + 1 : zRel) : NULL;
    rc = zNew ? SQLITE_OK : SQLITE_NOMEM;
    if (!rc) {
        remove_dir(zTmp); /* a leftover */
        if (mkdir(zTmp, 0755) != 0) {
            *pzErr = sqlite3_mprintf("cannot create %s: %s", zTmp, strerror(errno));
            rc = SQLITE_CANTOPEN;
        }
    }
    FILE *out = !rc ? fopen(zNew, "w") : NULL;
    if (!rc && !out) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", zNew, strerror(errno));
        rc = SQLITE_CANTOPEN;
    }
    const char *zEol = s->format == KSQ_SINK_CSV ? "\r\n" : "\n";
    long nHeader = s->zHeader ? (long)(strlen(s->zHeader) + strlen(zEol)) : 0;
    if (!rc && s->zHeader &&
        (write_all(out, s->zHeader, strlen(s->zHeader)) || write_all(out, zEol, strlen(zEol)))) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", zNew, strerror(errno));
        rc = SQLITE_IOERR;
    }
    for (int i = 0; !rc && i < nOld; i++) {
        char *z = sqlite3_mprintf("%s/%s", s->zTarget, azOld[i]);
        rc = z ? append_file(out, z, nHeader, pzErr) : SQLITE_NOMEM;
        sqlite3_free(z);
    }
    if (out && close_synced(out) && !rc) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", zNew, strerror(errno));
        rc = SQLITE_IOERR;
    }
    if (!rc) {
        /* Record it: the new file replaces the old ones. */
        sqlite3_str *ids = sqlite3_str_new(NULL);
        for (int i = 0; i < nOld; i++)
            sqlite3_str_appendf(ids, "%s%lld", i ? "," : "", (long long)aOld[i]);
        char *zIds = sqlite3_str_finish(ids);
        char *z = zIds ? sqlite3_mprintf(
                             "BEGIN IMMEDIATE; INSERT INTO ksq_sink_files(id, sink, part, path, "
                             "rows, bytes, state) SELECT %lld, %Q, %Q, %Q, sum(rows), sum(bytes) "
                             "- %lld, 'compacting' FROM ksq_sink_files WHERE id IN (%s); UPDATE "
                             "ksq_sink_files SET state = 'compacted' WHERE id IN (%s); COMMIT;",
                             (long long)newId, s->zName, zPart, zRel,
                             (long long)nHeader * (nOld - 1), zIds, zIds)
                       : NULL;
        rc = z ? sqlite3_exec(k->db, z, 0, 0, NULL) : SQLITE_NOMEM;
        if (rc) {
            if (rc != SQLITE_NOMEM)
                *pzErr = sqlite3_mprintf("cannot record the compaction: %s", sqlite3_errmsg(k->db));
            sqlite3_exec(k->db, "ROLLBACK", 0, 0, NULL);
        }
        sqlite3_free(z);
        sqlite3_free(zIds);
    }
    if (rc) {
        if (zTmp) remove_dir(zTmp);
    } else {
        ksq_crash_point("compact-recorded");
        rc = finish_compactions(k, s, pzErr);
        if (!rc) *pnMerged += nOld;
    }
    sqlite3_free(zTmp);
    sqlite3_free(zRel);
    sqlite3_free(zNew);
    free_paths(azOld, aOld, nOld);
    return rc;
}

int ksq_files_compact(ksqlite *k, ksq_sink *s, int64_t *pnMerged, char **pzErr)
{
    sqlite3_stmt *st;
    *pnMerged = 0;
    if (!sqlite3_get_autocommit(k->db)) {
        *pzErr = sqlite3_mprintf("COMPACT SINK cannot run inside a transaction");
        return SQLITE_ERROR;
    }
    int rc = sqlite3_prepare_v2(k->db,
                                "SELECT part FROM ksq_sink_files WHERE sink = ?1 AND state = "
                                "'published' GROUP BY part HAVING count(*) > 1 ORDER BY part",
                                -1, &st, NULL);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, s->zName, -1, SQLITE_STATIC);
    char **azPart = NULL;
    int n = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char **a = sqlite3_realloc64(azPart, sizeof(char *) * (size_t)(n + 1));
        if (!a) {
            rc = SQLITE_NOMEM;
            break;
        }
        azPart = a;
        azPart[n] = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
        if (!azPart[n++]) rc = SQLITE_NOMEM;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < n && !rc; i++) rc = compact_part(k, s, azPart[i], pnMerged, pzErr);
    for (int i = 0; i < n; i++) sqlite3_free(azPart[i]);
    sqlite3_free(azPart);
    return rc;
}

/* ------------------------------------------------------------------ recovery */

static const ksq_sink *g_walkSink; /* the sink whose tree nftw walks (one thread) */

/* nftw callback: remove hidden in-progress files and compaction leftovers. */
static int remove_leftover(const char *zPath, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    const char *zBase = zPath + ftw->base;
    const char *zExt = g_walkSink->format == KSQ_SINK_CSV ? ".csv.inprogress" : ".jsonl.inprogress";
    size_t nBase = strlen(zBase), nExt = strlen(zExt);
    if (type == FTW_F && !strncmp(zBase, ".part-", 6) && nBase > nExt &&
        !strcmp(zBase + nBase - nExt, zExt)) {
        unlink(zPath);
    } else if (type == FTW_DP && !strncmp(zBase, COMPACT_PREFIX, strlen(COMPACT_PREFIX))) {
        remove_dir(zPath);
    }
    return 0;
}

int ksq_files_recover(ksqlite *k, ksq_sink *s, char **pzErr)
{
    /* Recorded files first: pending ones are renamed into view, committed
    ** compactions completed. What is still hidden was never recorded. */
    int rc = finish_pending(k, s, pzErr);
    if (!rc) rc = finish_compactions(k, s, pzErr);
    if (rc) return rc;
    g_walkSink = s;
    nftw(s->zTarget, remove_leftover, 16, FTW_DEPTH | FTW_PHYS);
    g_walkSink = NULL;
    char *zRootTmp = compact_dir(s, ""); /* the root's own, next to it */
    if (zRootTmp) remove_dir(zRootTmp);
    sqlite3_free(zRootTmp);
    return SQLITE_OK;
}

/* ------------------------------------------------------------------ EXPORT */

int ksq_files_export(ksqlite *k, const char *zFrom, const char *zPath, ksq_sink_format format,
                     int64_t *pnRows, char **pzErr)
{
    sqlite3_stmt *st;
    *pnRows = 0;
    char *z = sqlite3_mprintf("SELECT * FROM \"%w\"", zFrom);
    int rc = z ? sqlite3_prepare_v2(k->db, z, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(z);
    if (rc) {
        if (rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
        return rc;
    }
    /* Written under a hidden name next to the target, then renamed. */
    char *zParent = NULL, *zBase = NULL, *zTmp = NULL;
    if (split_path(zPath, &zParent, &zBase) == SQLITE_OK)
        zTmp = sqlite3_mprintf("%s/.%s.ksq-export", zParent, zBase);
    sqlite3_free(zParent);
    sqlite3_free(zBase);
    FILE *out = zTmp ? fopen(zTmp, "w") : NULL;
    if (!out) {
        *pzErr =
            sqlite3_mprintf("cannot write %s: %s", zPath, zTmp ? strerror(errno) : "out of memory");
        sqlite3_finalize(st);
        sqlite3_free(zTmp);
        return SQLITE_CANTOPEN;
    }
    int nCol = sqlite3_column_count(st), bad = 0;
    const char *zEol = format == KSQ_SINK_CSV ? "\r\n" : "\n";
    sqlite3_str *line = sqlite3_str_new(NULL);
    if (format == KSQ_SINK_CSV) {
        for (int i = 0; i < nCol; i++) {
            const char *zName = sqlite3_column_name(st, i);
            if (i) sqlite3_str_appendchar(line, 1, ',');
            ksq_csv_text(line, zName, (int)strlen(zName), 0);
        }
        sqlite3_str_appendall(line, zEol);
    }
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (format == KSQ_SINK_CSV) {
            for (int i = 0; i < nCol; i++) {
                if (i) sqlite3_str_appendchar(line, 1, ',');
                ksq_csv_field(line, sqlite3_column_value(st, i), 0);
            }
        } else {
            ksq_json_row(line, st);
        }
        sqlite3_str_appendall(line, zEol);
        (*pnRows)++;
        if (sqlite3_str_length(line) > 65536) {
            bad = sqlite3_str_errcode(line) ||
                  write_all(out, sqlite3_str_value(line), (size_t)sqlite3_str_length(line));
            sqlite3_str_reset(line);
        }
    }
    if (!bad)
        bad = sqlite3_str_errcode(line) ||
              write_all(out, sqlite3_str_value(line), (size_t)sqlite3_str_length(line));
    sqlite3_free(sqlite3_str_finish(line));
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (rc && rc != SQLITE_ROW) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(k->db));
    sqlite3_finalize(st);
    bad |= close_synced(out);
    if (!rc && bad) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
        rc = SQLITE_IOERR;
    }
    if (!rc && rename(zTmp, zPath) != 0) {
        *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
        rc = SQLITE_IOERR;
    }
    if (rc) unlink(zTmp);
    sqlite3_free(zTmp);
    return rc;
}
