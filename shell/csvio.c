/*
** csvio.c — CSV files in and out, RFC 4180, through libcsv.
**
**   .import cities.csv cities            -- creates cities from the header row
**   .import --skip 1 more.csv cities     -- into an existing table
**   .export weather_alerts alerts.csv    -- a table, view or stream
**   .export "SELECT city, n FROM t" out.csv
**   .export --safe t out.csv             -- neutralise formulas for spreadsheets
**
** Exports write a header row, quote fields only when needed, double quotes
** inside quotes and end lines with CRLF; NULL is an empty field. Imports
** keep every byte of a field (no trimming), fill missing fields with NULL
** and ignore extra ones, with a warning naming the record; a new table gets
** TEXT columns named by the header, as sqlite3 does.
*/
#include "shell.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* State of one import while libcsv calls back. */
typedef struct import_state {
    shell *sh;
    const char *zPath;  /* the file, for messages */
    char *zTable;       /* the table, quoted for SQL ("t" or "main"."t") */
    name_list row;      /* fields of the record being read */
    int nCol;           /* the table's columns (0 until known) */
    int nSkip;          /* records still to skip */
    int64_t nRecord;    /* records read */
    int64_t nRow;       /* rows inserted */
    sqlite3_stmt *pIns; /* INSERT INTO t VALUES(?, ...) */
    int rc;             /* first error */
    int nWarn;          /* warnings printed */
} import_state;

/* libcsv keeps a field's bytes as they are; it must not trim blanks. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* A field of the current record (names_add would drop duplicates: not
** wanted for data, so fields are appended directly). */
static void on_field(void *data, size_t n, void *pArg)
{
    import_state *st = pArg;
    name_list *r = &st->row;
    if (r->n == r->nAlloc) {
        int cap = r->nAlloc ? r->nAlloc * 2 : 16;
        char **a = realloc(r->az, sizeof(char *) * (size_t)cap);
        if (!a) {
            st->rc = SQLITE_NOMEM;
            return;
        }
        r->az = a;
        r->nAlloc = cap;
    }
    char *z = malloc(n + 1);
    if (!z) {
        st->rc = SQLITE_NOMEM;
        return;
    }
    if (n) memcpy(z, data, n);
    z[n] = 0;
    r->az[r->n++] = z;
}

/* Free the fields of a record, keeping the array for the next. */
static void row_clear(name_list *r)
{
    for (int i = 0; i < r->n; i++) free(r->az[i]);
    r->n = 0;
}

/* Create the table from the header record. */
static int create_from_header(import_state *st)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "CREATE TABLE %s(", st->zTable);
    for (int i = 0; i < st->row.n; i++) {
        const char *z = st->row.az[i][0] ? st->row.az[i] : NULL;
        char buf[24];
        if (!z) snprintf(buf, sizeof buf, "c%d", i + 1);
        sqlite3_str_appendf(s, "%s\"%w\" TEXT", i ? ", " : "", z ? z : buf);
    }
    sqlite3_str_appendall(s, ")");
    char *zSql = sqlite3_str_finish(s);
    char *zErr = NULL;
    int rc = zSql ? sqlite3_exec(ksqlite_db(st->sh->k), zSql, 0, 0, &zErr) : SQLITE_NOMEM;
    if (rc) fprintf(stderr, "Error: %s: %s\n", st->zPath, zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    sqlite3_free(zSql);
    st->nCol = st->row.n;
    return rc;
}

/* Prepare the INSERT for the table's nCol columns. */
static int prepare_insert(import_state *st)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "INSERT INTO %s VALUES(", st->zTable);
    for (int i = 0; i < st->nCol; i++) sqlite3_str_appendall(s, i ? ", ?" : "?");
    sqlite3_str_appendall(s, ")");
    char *zSql = sqlite3_str_finish(s);
    int rc =
        zSql ? sqlite3_prepare_v2(ksqlite_db(st->sh->k), zSql, -1, &st->pIns, NULL) : SQLITE_NOMEM;
    if (rc) fprintf(stderr, "Error: %s\n", sqlite3_errmsg(ksqlite_db(st->sh->k)));
    sqlite3_free(zSql);
    return rc;
}

/* The end of a record: the header creates the table, data is inserted. */
static void on_record(int c, void *pArg)
{
    (void)c;
    import_state *st = pArg;
    st->nRecord++;
    if (st->rc) {
        row_clear(&st->row);
        return;
    }
    if (st->nSkip > 0) {
        st->nSkip--;
    } else if (st->nCol == 0) {
        st->rc = create_from_header(st);
        if (!st->rc) st->rc = prepare_insert(st);
    } else {
        if (st->row.n != st->nCol && st->nWarn++ < 10) {
            fprintf(stderr, "%s: record %lld: expected %d columns but found %d - %s\n", st->zPath,
                    (long long)st->nRecord, st->nCol, st->row.n,
                    st->row.n < st->nCol ? "filling the rest with NULL" : "extras ignored");
        }
        sqlite3_reset(st->pIns);
        sqlite3_clear_bindings(st->pIns);
        for (int i = 0; i < st->nCol && i < st->row.n; i++)
            sqlite3_bind_text(st->pIns, i + 1, st->row.az[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(st->pIns);
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "Error: %s: record %lld: %s\n", st->zPath, (long long)st->nRecord,
                    sqlite3_errmsg(ksqlite_db(st->sh->k)));
            st->rc = rc;
        } else {
            st->nRow++;
        }
        sqlite3_reset(st->pIns);
    }
    row_clear(&st->row);
}

/* Columns of zTable, 0 when there is no such table. */
static int table_columns(shell *sh, const char *zTable)
{
    name_list cols = {0};
    int n = names_columns(sh, zTable, &cols);
    names_free(&cols);
    return n;
}

int csvio_import(shell *sh, const char *zPath, const char *zTable, int nSkip)
{
    FILE *f = fopen(zPath, "rb");
    if (!f) {
        fprintf(stderr, "Error: cannot open \"%s\": %s\n", zPath, strerror(errno));
        return 1;
    }
    import_state st;
    memset(&st, 0, sizeof st);
    st.sh = sh;
    st.zPath = zPath;
    st.nSkip = nSkip;
    st.zTable = sqlite3_mprintf("\"%w\"", zTable);
    st.nCol = table_columns(sh, zTable);
    if (st.nCol > 0) st.rc = prepare_insert(&st);
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    csv_set_space_func(&p, no_space);
    sqlite3 *db = ksqlite_db(sh->k);
    sqlite3_exec(db, "SAVEPOINT ksq_import", 0, 0, NULL);
    char buf[65536];
    size_t n;
    int first = 1;
    while (!st.rc && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        size_t skip = 0;
        if (first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) skip = 3; /* a BOM */
        first = 0;
        if (csv_parse(&p, buf + skip, n - skip, on_field, on_record, &st) != n - skip) {
            fprintf(stderr, "Error: %s: %s\n", zPath, csv_strerror(csv_error(&p)));
            st.rc = SQLITE_ERROR;
        }
    }
    if (!st.rc) csv_fini(&p, on_field, on_record, &st);
    csv_free(&p);
    fclose(f);
    sqlite3_finalize(st.pIns);
    if (!st.rc && st.nCol == 0) {
        fprintf(stderr, "Error: %s: empty file\n", zPath);
        st.rc = SQLITE_ERROR;
    }
    sqlite3_exec(db, st.rc ? "ROLLBACK TO ksq_import; RELEASE ksq_import" : "RELEASE ksq_import", 0,
                 0, NULL);
    if (!st.rc && sh->interactive)
        fprintf(stderr, "imported %lld row%s into %s\n", (long long)st.nRow,
                st.nRow == 1 ? "" : "s", zTable);
    row_clear(&st.row);
    names_free(&st.row);
    sqlite3_free(st.zTable);
    return st.rc != 0;
}

/* Does a cell start like a spreadsheet formula (= + - @, tab, CR)? */
static int looks_like_formula(const char *z)
{
    return z[0] == '=' || z[0] == '+' || z[0] == '-' || z[0] == '@' || z[0] == '\t' || z[0] == '\r';
}

int csvio_export(shell *sh, const char *zWhat, const char *zPath, int safe)
{
    const char *p = zWhat;
    while (isspace((unsigned char)*p)) p++;
    int isQuery = strncasecmp(p, "SELECT", 6) == 0 || strncasecmp(p, "WITH", 4) == 0 ||
                  strncasecmp(p, "VALUES", 6) == 0;
    char *zSql =
        isQuery ? sqlite3_mprintf("%s", zWhat) : sqlite3_mprintf("SELECT * FROM \"%w\"", zWhat);
    sqlite3 *db = ksqlite_db(sh->k);
    sqlite3_stmt *stmt = NULL;
    int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &stmt, NULL) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    if (rc != SQLITE_OK) {
        char *zMsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
        hint_report(sh, NULL, 1, zWhat, isQuery ? sqlite3_error_offset(db) : -1,
                    zMsg ? zMsg : "out of memory");
        sqlite3_free(zMsg);
        return 1;
    }
    FILE *out = fopen(zPath, "wb");
    if (!out) {
        fprintf(stderr, "Error: cannot write \"%s\": %s\n", zPath, strerror(errno));
        sqlite3_finalize(stmt);
        return 1;
    }
    int nCol = sqlite3_column_count(stmt);
    for (int i = 0; i < nCol; i++) {
        if (i) fputc(',', out);
        output_csv_field(out, sqlite3_column_name(stmt, i));
    }
    fputs("\r\n", out);
    int64_t nRow = 0;
    sh->sigint = 0;
    sh->busy = 1;
    status_begin(sh);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int i = 0; i < nCol; i++) {
            const char *z = (const char *)sqlite3_column_text(stmt, i);
            if (i) fputc(',', out);
            if (!z) continue;
            if (safe && sqlite3_column_type(stmt, i) == SQLITE_TEXT && looks_like_formula(z)) {
                char *q = sqlite3_mprintf("'%s", z);
                if (q) output_csv_field(out, q);
                sqlite3_free(q);
            } else {
                output_csv_field(out, z);
            }
        }
        fputs("\r\n", out);
        nRow++;
    }
    status_end(sh);
    sh->busy = 0;
    int failed = rc != SQLITE_DONE;
    if (failed) {
        fprintf(stderr, "Error: %s\n", rc == SQLITE_INTERRUPT ? "interrupted" : sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    if (fclose(out) != 0 && !failed) {
        fprintf(stderr, "Error: cannot write \"%s\": %s\n", zPath, strerror(errno));
        failed = 1;
    }
    if (!failed && sh->interactive)
        fprintf(stderr, "exported %lld row%s to %s\n", (long long)nRow, nRow == 1 ? "" : "s",
                zPath);
    sh->sigint = 0;
    return failed;
}
