/*
** output.c — result rows in sqlite3's output modes.
**
**   list      a|b                    (the default; -header adds a name line)
**   csv       RFC 4180: quoted when needed, "" for quotes, CRLF line ends
**   json      [{"a":1,"b":"x"},...]  (jansson does the escaping)
**   table     +---+---+ ASCII grid     box   ┌───┬───┐ Unicode grid
**   markdown  | a | b |                line  one "name = value" per line
**   tabs      tab-separated
**
** output_row() is the ksqlite_row_fn the shell passes to ksqlite_exec(); a
** call with a NULL statement ends a result set. Grid modes keep the set's
** rows until then to size their columns.
*/
#include "shell.h"

#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const shell_mode_names[MODE_COUNT] = {"list", "csv",      "json", "table",
                                                  "box",  "markdown", "line", "tabs"};

int output_mode_from_name(const char *z)
{
    for (int i = 0; i < MODE_COUNT; i++) {
        if (strcasecmp(z, shell_mode_names[i]) == 0) return i;
    }
    return -1;
}

/* Display width of UTF-8 text: one column per code point. */
static int text_width(const char *z)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)z; *p; p++) w += (*p & 0xC0) != 0x80;
    return w;
}

static void put_padded(FILE *out, const char *z, int width, int rightAlign)
{
    int pad = width - text_width(z);
    if (rightAlign && pad > 0) fprintf(out, "%*s", pad, "");
    fputs(z, out);
    if (!rightAlign && pad > 0) fprintf(out, "%*s", pad, "");
}

/* A CSV field, quoted only when RFC 4180 needs it. */
static void put_csv(FILE *out, const char *z, int isNull, const char *zNull)
{
    if (isNull) z = zNull;
    size_t n = strlen(z);
    if (n > 0 && (strpbrk(z, ",\"\r\n") || z[0] == ' ' || z[n - 1] == ' ')) {
        csv_fwrite(out, z, n);
    } else {
        fputs(z, out);
    }
}

static void put_json_value(FILE *out, sqlite3_stmt *st, int i)
{
    int t = sqlite3_column_type(st, i);
    const char *z = (const char *)sqlite3_column_text(st, i);
    if (t == SQLITE_NULL || !z) {
        fputs("null", out);
    } else if (t == SQLITE_INTEGER ||
               (t == SQLITE_FLOAT && strspn(z, "-+.0123456789eE") == strlen(z))) {
        fputs(z, out);
    } else {
        json_t *s = json_stringn_nocheck(z, (size_t)sqlite3_column_bytes(st, i));
        json_dumpf(s, out, JSON_ENCODE_ANY);
        json_decref(s);
    }
}

static void put_json_name(FILE *out, const char *z)
{
    json_t *s = json_string_nocheck(z ? z : "");
    json_dumpf(s, out, JSON_ENCODE_ANY);
    json_decref(s);
}

static int header_on(const shell *sh)
{
    return sh->header > 0;
}

static void buf_clear(result_buf *b)
{
    for (int i = 0; i < b->nCol; i++) free(b->azName[i]);
    for (int i = 0; i < b->nRow * b->nCol; i++) free(b->azCell[i]);
    free(b->azName);
    free(b->azCell);
    free(b->aType);
    memset(b, 0, sizeof *b);
}

/* Keep one row for a grid mode. */
static void buf_add(result_buf *b, sqlite3_stmt *st)
{
    int nCol = sqlite3_column_count(st);
    if (b->nCol == 0) {
        b->nCol = nCol;
        b->azName = calloc((size_t)nCol, sizeof(char *));
        for (int i = 0; i < nCol && b->azName; i++)
            b->azName[i] = strdup(sqlite3_column_name(st, i));
    }
    if (b->nRow == b->nAlloc) {
        int n = b->nAlloc ? b->nAlloc * 2 : 64;
        char **cells = realloc(b->azCell, sizeof(char *) * (size_t)n * (size_t)nCol);
        int *types = realloc(b->aType, sizeof(int) * (size_t)n * (size_t)nCol);
        if (cells) b->azCell = cells;
        if (types) b->aType = types;
        if (!cells || !types) return;
        b->nAlloc = n;
    }
    for (int i = 0; i < nCol; i++) {
        const char *z = (const char *)sqlite3_column_text(st, i);
        b->azCell[b->nRow * nCol + i] = z ? strdup(z) : NULL;
        b->aType[b->nRow * nCol + i] = sqlite3_column_type(st, i);
    }
    b->nRow++;
}

/* One horizontal rule of a grid: left, fill, joint and right pieces. */
static void put_rule(FILE *out, const int *aw, int n, const char *l, const char *f, const char *j,
                     const char *r)
{
    fputs(l, out);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < aw[i] + 2; k++) fputs(f, out);
        fputs(i + 1 < n ? j : r, out);
    }
    fputc('\n', out);
}

/* Print the kept rows as a table, box or markdown grid. */
static void flush_grid(shell *sh)
{
    result_buf *b = &sh->buf;
    FILE *out = sh->out;
    int n = b->nCol;
    if (n == 0) return;
    int *aw = calloc((size_t)n, sizeof(int));
    if (!aw) return;
    for (int i = 0; i < n; i++) {
        aw[i] = text_width(b->azName[i] ? b->azName[i] : "");
        for (int r = 0; r < b->nRow; r++) {
            const char *z = b->azCell[r * n + i];
            int w = text_width(z ? z : sh->zNull);
            if (w > aw[i]) aw[i] = w;
        }
    }
    int box = sh->mode == MODE_BOX, md = sh->mode == MODE_MARKDOWN;
    const char *v = box ? "│" : "|";
    if (!md)
        put_rule(out, aw, n, box ? "┌" : "+", box ? "─" : "-", box ? "┬" : "+", box ? "┐" : "+");
    fputs(v, out);
    for (int i = 0; i < n; i++) {
        /* Names are centred, as psql and sqlite3 do. */
        const char *name = b->azName[i] ? b->azName[i] : "";
        int left = md ? 0 : (aw[i] - text_width(name)) / 2;
        fprintf(out, " %*s", left, "");
        put_padded(out, name, aw[i] - left, 0);
        fprintf(out, " %s", v);
    }
    fputc('\n', out);
    if (md) {
        put_rule(out, aw, n, "|", "-", "|", "|");
    } else {
        put_rule(out, aw, n, box ? "├" : "+", box ? "─" : "-", box ? "┼" : "+", box ? "┤" : "+");
    }
    for (int r = 0; r < b->nRow; r++) {
        fputs(v, out);
        for (int i = 0; i < n; i++) {
            const char *z = b->azCell[r * n + i];
            int t = b->aType[r * n + i];
            fputc(' ', out);
            put_padded(out, z ? z : sh->zNull, aw[i], t == SQLITE_INTEGER || t == SQLITE_FLOAT);
            fprintf(out, " %s", v);
        }
        fputc('\n', out);
    }
    if (!md)
        put_rule(out, aw, n, box ? "└" : "+", box ? "─" : "-", box ? "┴" : "+", box ? "┘" : "+");
    free(aw);
}

/* Print one row in a streaming mode. */
static void put_row(shell *sh, sqlite3_stmt *st)
{
    FILE *out = sh->out;
    int n = sqlite3_column_count(st);
    int first = sh->nRowSet == 0;
    switch (sh->mode) {
    case MODE_LIST:
    case MODE_TABS: {
        const char *sep = sh->mode == MODE_TABS ? "\t" : "|";
        if (first && header_on(sh)) {
            for (int i = 0; i < n; i++)
                fprintf(out, "%s%s", i ? sep : "", sqlite3_column_name(st, i));
            fputc('\n', out);
        }
        for (int i = 0; i < n; i++) {
            const char *z = (const char *)sqlite3_column_text(st, i);
            fprintf(out, "%s%s", i ? sep : "", z ? z : sh->zNull);
        }
        fputc('\n', out);
        break;
    }
    case MODE_CSV:
        if (first && header_on(sh)) {
            for (int i = 0; i < n; i++) {
                if (i) fputc(',', out);
                put_csv(out, sqlite3_column_name(st, i), 0, "");
            }
            fputs("\r\n", out);
        }
        for (int i = 0; i < n; i++) {
            const char *z = (const char *)sqlite3_column_text(st, i);
            if (i) fputc(',', out);
            put_csv(out, z ? z : "", z == NULL, sh->zNull);
        }
        fputs("\r\n", out);
        break;
    case MODE_JSON:
        fputs(first ? "[{" : ",\n{", out);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', out);
            put_json_name(out, sqlite3_column_name(st, i));
            fputc(':', out);
            put_json_value(out, st, i);
        }
        fputc('}', out);
        break;
    case MODE_LINE: {
        int w = 0;
        for (int i = 0; i < n; i++) {
            int cw = text_width(sqlite3_column_name(st, i));
            if (cw > w) w = cw;
        }
        if (!first) fputc('\n', out);
        for (int i = 0; i < n; i++) {
            const char *z = (const char *)sqlite3_column_text(st, i);
            put_padded(out, sqlite3_column_name(st, i), w, 1);
            fprintf(out, " = %s\n", z ? z : sh->zNull);
        }
        break;
    }
    default: break;
    }
}

int output_row(void *pArg, sqlite3_stmt *pStmt)
{
    shell *sh = pArg;
    int grid = sh->mode == MODE_TABLE || sh->mode == MODE_BOX || sh->mode == MODE_MARKDOWN;
    if (!pStmt) {
        if (grid) flush_grid(sh);
        if (sh->mode == MODE_JSON && sh->nRowSet > 0) fputs("]\n", sh->out);
        output_reset(sh);
        fflush(sh->out);
        return 0;
    }
    if (grid) {
        buf_add(&sh->buf, pStmt);
    } else {
        put_row(sh, pStmt);
    }
    sh->nRowSet++;
    return sh->sigint != 0;
}

void output_reset(shell *sh)
{
    buf_clear(&sh->buf);
    sh->nRowSet = 0;
}
