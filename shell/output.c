/*
** output.c — result rows in sqlite3's output modes.
**
**   list      a|b                    (the default; .headers on adds a name line)
**   csv       RFC 4180: quoted when needed, "" for quotes, CRLF line ends
**   json      [{"a":1,"b":"x"},...]  (jansson does the escaping)
**   table     +---+---+ ASCII grid     box   ┌───┬───┐ Unicode grid
**   markdown  | a | b |                line  one "name = value" per line
**   tabs      tab-separated
**
** output_row() is the ksqlite_row_fn the shell passes to ksqlite_exec(); a
** call with a NULL statement ends a result set. Grid modes keep the set's
** rows until then to size their columns; on a terminal, table and box grids
** are fitted to its width by narrowing the widest columns and wrapping their
** cells (at a blank when there is one). `.width` fixes a column's width.
**
** A push query never ends by itself: its rows arrive in batches, each ended
** by a NULL call. Streaming modes print rows as they come; grids print their
** header with the first batch (widths from it, with room to grow) and close
** in output_end(); json closes its array there.
*/
#include "shell.h"

#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

const char *const shell_mode_names[MODE_COUNT] = {"list", "csv",      "json", "table",
                                                  "box",  "markdown", "line", "tabs"};

int output_mode_from_name(const char *z)
{
    for (int i = 0; i < MODE_COUNT; i++) {
        if (strcasecmp(z, shell_mode_names[i]) == 0) return i;
    }
    return -1;
}

int output_terminal_width(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO)) return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *env = getenv("COLUMNS");
    return env && atoi(env) > 0 ? atoi(env) : 80;
}

/* Decode the UTF-8 character at z into *pc; returns its length in bytes
** (1 for an invalid byte, which stands for itself). */
static int utf8_char(const unsigned char *z, unsigned *pc)
{
    unsigned c = z[0];
    int n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (n == 1) {
        *pc = c;
        return 1;
    }
    unsigned v = c & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((z[i] & 0xC0) != 0x80) {
            *pc = c;
            return 1;
        }
        v = (v << 6) | (z[i] & 0x3F);
    }
    *pc = v;
    return n;
}

/* Columns a code point takes on a terminal: 0 for combining marks, 2 for
** wide East Asian characters and emoji, 1 otherwise. */
static int char_width(unsigned c)
{
    if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) || c == 0xFE0F) return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

int output_text_width(const char *z)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)z;
    while (*p) {
        unsigned c;
        p += utf8_char(p, &c);
        w += char_width(c);
    }
    return w;
}

/* The widest line of z (cells may hold newlines). */
static int cell_width(const char *z)
{
    int w = 0, best = 0;
    const unsigned char *p = (const unsigned char *)z;
    while (*p) {
        unsigned c;
        if (*p == '\n') {
            w = 0;
            p++;
            continue;
        }
        p += utf8_char(p, &c);
        w += char_width(c);
        if (w > best) best = w;
    }
    return best;
}

/* Write z padded with blanks to width columns, on the left when rightAlign. */
static void put_padded(FILE *out, const char *z, int width, int rightAlign)
{
    int pad = width - output_text_width(z);
    if (rightAlign && pad > 0) fprintf(out, "%*s", pad, "");
    fputs(z, out);
    if (!rightAlign && pad > 0) fprintf(out, "%*s", pad, "");
}

void output_csv_field(FILE *out, const char *z)
{
    size_t n = strlen(z);
    if (n > 0 && (strpbrk(z, ",\"\r\n") || z[0] == ' ' || z[n - 1] == ' ')) {
        csv_fwrite(out, z, n);
    } else {
        fputs(z, out);
    }
}

/* Write column i of st as a JSON value: numbers stay numbers, NULL is null,
** blobs are hex strings, text is escaped by jansson. */
static void put_json_value(FILE *out, sqlite3_stmt *st, int i)
{
    int t = sqlite3_column_type(st, i);
    if (t == SQLITE_BLOB) {
        const unsigned char *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        fputc('"', out);
        for (int j = 0; j < n; j++) fprintf(out, "%02x", p[j]);
        fputc('"', out);
        return;
    }
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

/* Write a column name as a JSON string. */
static void put_json_name(FILE *out, const char *z)
{
    json_t *s = json_string_nocheck(z ? z : "");
    json_dumpf(s, out, JSON_ENCODE_ANY);
    json_decref(s);
}

/* Does the mode keep rows to size its columns (table, box, markdown)? */
static int is_grid(const shell *sh)
{
    return sh->mode == MODE_TABLE || sh->mode == MODE_BOX || sh->mode == MODE_MARKDOWN;
}

/* Drop the kept rows; keepNames keeps the column names (between batches). */
static void buf_clear(result_buf *b, int keepNames)
{
    for (int i = 0; i < b->nRow * b->nCol; i++) free(b->azCell[i]);
    b->nRow = 0;
    if (keepNames) return;
    for (int i = 0; i < b->nCol; i++) free(b->azName[i]);
    free(b->azName);
    free(b->azCell);
    free(b->aType);
    memset(b, 0, sizeof *b);
}

/* Keep one row for a grid mode. Rows that do not fit in memory are dropped. */
static void buf_add(result_buf *b, sqlite3_stmt *st)
{
    int nCol = sqlite3_column_count(st);
    if (b->nCol == 0) {
        b->azName = calloc((size_t)nCol, sizeof(char *));
        if (!b->azName) return;
        b->nCol = nCol;
        for (int i = 0; i < nCol; i++) b->azName[i] = strdup(sqlite3_column_name(st, i));
    }
    if (b->nRow == b->nAlloc) {
        int n = b->nAlloc ? b->nAlloc * 2 : 64;
        char **cells = realloc(b->azCell, sizeof(char *) * (size_t)n * (size_t)nCol);
        if (cells) b->azCell = cells;
        int *types = cells ? realloc(b->aType, sizeof(int) * (size_t)n * (size_t)nCol) : NULL;
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

/* Markdown escapes '|' as "\|": one more column each. */
static int count_pipes(const char *z)
{
    int n = 0;
    for (; *z; z++) n += *z == '|';
    return n;
}

/* The widest run of non-blank characters in z: below that, a word breaks. */
static int word_width(const char *z)
{
    int w = 0, best = 0;
    const unsigned char *p = (const unsigned char *)z;
    while (*p) {
        unsigned c;
        p += utf8_char(p, &c);
        if (c == ' ' || c == '\n' || c == '\t') {
            w = 0;
            continue;
        }
        w += char_width(c);
        if (w > best) best = w;
    }
    return best;
}

/* Narrow the widest columns (those .width does not fix) until a grid of
** widths aw fits in termWidth columns; none goes below its minimum. */
static void fit_widths(int *aw, const int *aMin, const int *aFixed, int n, int termWidth)
{
    int total = 1;
    for (int i = 0; i < n; i++) total += aw[i] + 3;
    while (total > termWidth) {
        int widest = -1;
        for (int i = 0; i < n; i++) {
            if (aFixed[i] || aw[i] <= aMin[i]) continue;
            if (widest < 0 || aw[i] > aw[widest]) widest = i;
        }
        if (widest < 0) break;
        /* Step down to the next widest column at once; columns as wide
        ** as each other then narrow in turn, one column at a time. */
        int next = aMin[widest];
        for (int i = 0; i < n; i++) {
            if (i != widest && !aFixed[i] && aw[i] <= aw[widest] && aw[i] > next) next = aw[i];
        }
        int step = aw[widest] - next;
        if (step > total - termWidth) step = total - termWidth;
        if (step < 1) step = 1;
        aw[widest] -= step;
        total -= step;
    }
}

/* Column widths and alignment for the kept rows: the widest cell or name,
** `.width` overrides, fitted to the terminal for table and box output.
** extra adds room for values to come (push queries). Returns 0 when the grid
** cannot fit the terminal even with every column at its narrowest. */
static int grid_widths(shell *sh, int *aw, int *aRight, int extra)
{
    result_buf *b = &sh->buf;
    int n = b->nCol;
    int *aMin = calloc((size_t)n * 3, sizeof(int));
    int *aFixed = aMin ? aMin + n : NULL, *aWord = aMin ? aMin + 2 * n : NULL;
    int md = sh->mode == MODE_MARKDOWN;
    for (int i = 0; i < n; i++) {
        const char *zName = b->azName[i] ? b->azName[i] : "";
        int nameW = cell_width(zName) + (md ? count_pipes(zName) : 0);
        int numeric = b->nRow > 0, wordW = word_width(zName);
        aw[i] = nameW;
        for (int r = 0; r < b->nRow; r++) {
            const char *z = b->azCell[r * n + i];
            int t = b->aType[r * n + i];
            int w = cell_width(z ? z : sh->zNull) + (md ? count_pipes(z ? z : sh->zNull) : 0);
            if (w > aw[i]) aw[i] = w;
            w = word_width(z ? z : sh->zNull);
            if (w > wordW) wordW = w;
            if (t != SQLITE_INTEGER && t != SQLITE_FLOAT && t != SQLITE_NULL) numeric = 0;
        }
        if (aWord) aWord[i] = wordW < aw[i] ? wordW : aw[i];
        aRight[i] = 1; /* numbers right, text left */
        if (extra && aw[i] < (numeric ? 8 : 12)) aw[i] = numeric ? 8 : 12;
        if (aMin) {
            aMin[i] = nameW < 6 ? (aw[i] < 6 ? aw[i] : 6) : (nameW < 12 ? nameW : 12);
            if (aMin[i] > aw[i]) aMin[i] = aw[i];
            if (i < sh->nWidth && sh->aWidth[i] != 0) {
                aw[i] = abs(sh->aWidth[i]);
                aRight[i] = sh->aWidth[i] < 0 ? 2 : 0;
                aFixed[i] = 1;
            }
        }
    }
    int term = sh->out == stdout ? output_terminal_width() : 0;
    int fits = 1;
    if (term > 0 && sh->mode != MODE_MARKDOWN && aMin) {
        /* First wrap at blanks only (no word broken), then break words. */
        for (int i = 0; i < n; i++)
            if (aWord[i] < aMin[i]) aWord[i] = aMin[i] < aw[i] ? aMin[i] : aw[i];
        fit_widths(aw, aWord, aFixed, n, term);
        fit_widths(aw, aMin, aFixed, n, term);
        int total = 1;
        for (int i = 0; i < n; i++) total += aw[i] + 3;
        fits = total <= term;
    }
    free(aMin);
    return fits;
}

/* Print the kept rows as records, one "name = value" line per column (as
** .mode line does): for grids too wide for the terminal. first: no record
** printed before these. */
static void flush_expanded(shell *sh, int first)
{
    result_buf *b = &sh->buf;
    int w = 0;
    for (int i = 0; i < b->nCol; i++) {
        int cw = output_text_width(b->azName[i] ? b->azName[i] : "");
        if (cw > w) w = cw;
    }
    for (int r = 0; r < b->nRow; r++) {
        if (r > 0 || !first) fputc('\n', sh->out);
        for (int i = 0; i < b->nCol; i++) {
            const char *z = b->azCell[r * b->nCol + i];
            put_padded(sh->out, b->azName[i] ? b->azName[i] : "", w, 1);
            fprintf(sh->out, " = %s\n", z ? z : sh->zNull);
        }
    }
}

/* Take the next line of at most w columns from *pz (a cell being wrapped)
** into zOut (room for 4*w+1 bytes): up to a newline, else up to the last
** blank that fits, else w columns. Control characters become blanks; in
** markdown, newlines too, and '|' is escaped. Advances *pz. */
static void take_line(const char **pz, int w, char *zOut, int markdown)
{
    const unsigned char *p = (const unsigned char *)*pz;
    const unsigned char *lastBlank = NULL;
    int used = 0, nOut = 0, nAtBlank = 0;
    while (*p) {
        if (*p == '\n' && !markdown) {
            p++;
            lastBlank = NULL;
            break;
        }
        unsigned c;
        int len = utf8_char(p, &c);
        int cw = char_width(c);
        if (used + cw > w && used > 0) {
            if (lastBlank && lastBlank > (const unsigned char *)*pz) {
                nOut = nAtBlank;
                p = lastBlank + 1;
            }
            break;
        }
        if (c < 0x20 || c == 0x7F) {
            zOut[nOut++] = ' ';
        } else if (markdown && c == '|' && used + 2 <= w) {
            zOut[nOut++] = '\\';
            zOut[nOut++] = '|';
            used++;
        } else {
            memcpy(zOut + nOut, p, (size_t)len);
            nOut += len;
        }
        if (c == ' ') {
            lastBlank = p;
            nAtBlank = nOut - 1;
        }
        used += cw;
        p += len;
    }
    zOut[nOut] = 0;
    *pz = (const char *)p;
}

/* Print one grid row of n cells, wrapping cells wider than their column.
** aRight: 1 right-aligns numbers (per aType), 2 every cell; center centres
** (the names line). */
static void grid_row(shell *sh, char **azCell, const int *aType, const int *aw, const int *aRight,
                     int n, int center)
{
    FILE *out = sh->out;
    int md = sh->mode == MODE_MARKDOWN;
    const char *v = sh->mode == MODE_BOX ? "│" : "|";
    const char **ap = malloc(sizeof(char *) * (size_t)n);
    int maxW = 0;
    for (int i = 0; i < n; i++)
        if (aw[i] > maxW) maxW = aw[i];
    char *line = malloc((size_t)maxW * 4 + 8);
    if (!ap || !line) {
        free(ap);
        free(line);
        return;
    }
    for (int i = 0; i < n; i++) ap[i] = azCell[i] ? azCell[i] : sh->zNull;
    int more = 1;
    while (more) {
        more = 0;
        fputs(v, out);
        for (int i = 0; i < n; i++) {
            take_line(&ap[i], aw[i] > 0 ? aw[i] : 1, line, md);
            int lw = output_text_width(line);
            int right =
                aRight[i] == 2 || (aRight[i] == 1 && aType &&
                                   (aType[i] == SQLITE_INTEGER || aType[i] == SQLITE_FLOAT));
            fputc(' ', out);
            if (center && !md) {
                int left = (aw[i] - lw) / 2;
                fprintf(out, "%*s", left > 0 ? left : 0, "");
                put_padded(out, line, aw[i] - (left > 0 ? left : 0), 0);
            } else {
                put_padded(out, line, aw[i], right);
            }
            fprintf(out, " %s", v);
            if (*ap[i]) more = 1;
        }
        fputc('\n', out);
    }
    free(ap);
    free(line);
}

/* The rule above a grid (none in markdown). */
static void grid_top(shell *sh, const int *aw, int n)
{
    if (sh->mode == MODE_BOX) put_rule(sh->out, aw, n, "┌", "─", "┬", "┐");
    if (sh->mode == MODE_TABLE) put_rule(sh->out, aw, n, "+", "-", "+", "+");
}

/* The names line of a grid and the rule under it. */
static void grid_header(shell *sh, const int *aw, int n)
{
    result_buf *b = &sh->buf;
    int *zero = calloc((size_t)n, sizeof(int));
    if (!zero) return;
    grid_row(sh, b->azName, NULL, aw, zero, n, 1);
    free(zero);
    if (sh->mode == MODE_BOX) put_rule(sh->out, aw, n, "├", "─", "┼", "┤");
    if (sh->mode == MODE_TABLE) put_rule(sh->out, aw, n, "+", "-", "+", "+");
    if (sh->mode == MODE_MARKDOWN) put_rule(sh->out, aw, n, "|", "-", "|", "|");
}

/* The kept rows of a grid. */
static void grid_body(shell *sh, const int *aw, const int *aRight)
{
    result_buf *b = &sh->buf;
    for (int r = 0; r < b->nRow; r++)
        grid_row(sh, b->azCell + r * b->nCol, b->aType + r * b->nCol, aw, aRight, b->nCol, 0);
}

/* The rule under a grid (none in markdown). */
static void grid_bottom(shell *sh, const int *aw, int n)
{
    if (sh->mode == MODE_BOX) put_rule(sh->out, aw, n, "└", "─", "┴", "┘");
    if (sh->mode == MODE_TABLE) put_rule(sh->out, aw, n, "+", "-", "+", "+");
}

/* Print the kept rows of a finished result set as a grid. */
static void flush_grid(shell *sh)
{
    int n = sh->buf.nCol;
    if (n == 0) return;
    int *aw = calloc((size_t)n, sizeof(int)), *aRight = calloc((size_t)n, sizeof(int));
    if (aw && aRight && !grid_widths(sh, aw, aRight, 0)) {
        flush_expanded(sh, 1);
    } else if (aw && aRight) {
        grid_top(sh, aw, n);
        grid_header(sh, aw, n);
        grid_body(sh, aw, aRight);
        grid_bottom(sh, aw, n);
    }
    free(aw);
    free(aRight);
}

/* Print a push query's batch as more rows of its grid; the first batch
** fixes the widths and prints the header. */
static void flush_push_batch(shell *sh)
{
    int n = sh->buf.nCol;
    if (n == 0 || sh->buf.nRow == 0) return;
    if (!sh->pushStarted) {
        free(sh->aPushWidth);
        sh->aPushWidth = calloc((size_t)n * 2, sizeof(int));
        if (!sh->aPushWidth) return;
        grid_widths(sh, sh->aPushWidth, sh->aPushWidth + n, 1);
        grid_top(sh, sh->aPushWidth, n);
        grid_header(sh, sh->aPushWidth, n);
        sh->pushStarted = 1;
    }
    if (sh->aPushWidth) grid_body(sh, sh->aPushWidth, sh->aPushWidth + n);
    buf_clear(&sh->buf, 1);
}

/* Print one row in a streaming mode. first: the first row of its set. */
static void put_row(shell *sh, sqlite3_stmt *st, int first)
{
    FILE *out = sh->out;
    int n = sqlite3_column_count(st);
    switch (sh->mode) {
    case MODE_LIST:
    case MODE_TABS: {
        const char *sep = sh->mode == MODE_TABS ? "\t" : "|";
        if (first && sh->header > 0) {
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
        if (first && sh->header > 0) {
            for (int i = 0; i < n; i++) {
                if (i) fputc(',', out);
                output_csv_field(out, sqlite3_column_name(st, i));
            }
            fputs("\r\n", out);
        }
        for (int i = 0; i < n; i++) {
            const char *z = (const char *)sqlite3_column_text(st, i);
            if (i) fputc(',', out);
            output_csv_field(out, z ? z : sh->zNull);
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
            int cw = output_text_width(sqlite3_column_name(st, i));
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

void output_begin(shell *sh, int isPush)
{
    output_reset(sh);
    sh->push = isPush;
    sh->pushStarted = 0;
    sh->nRowStmt = 0;
}

int output_row(void *pArg, sqlite3_stmt *pStmt)
{
    shell *sh = pArg;
    int grid = is_grid(sh);
    if (!pStmt) {
        status_clear(sh);
        if (sh->push) {
            if (grid) flush_push_batch(sh);
        } else {
            if (grid) flush_grid(sh);
            if (sh->mode == MODE_JSON && sh->nRowSet > 0) fputs("]\n", sh->out);
            output_reset(sh);
        }
        fflush(sh->out);
        return sh->sigint != 0;
    }
    if (grid) {
        buf_add(&sh->buf, pStmt);
    } else {
        /* Rows stream to the terminal: they are the progress. */
        if (sh->out == stdout && sh->statusShown) status_clear(sh);
        if (sh->out == stdout) sh->statusOff = 1;
        put_row(sh, pStmt, sh->nRowSet == 0);
    }
    sh->nRowSet++;
    sh->nRowStmt++;
    return sh->sigint != 0;
}

void output_end(shell *sh)
{
    if (sh->push) {
        if (is_grid(sh)) {
            flush_push_batch(sh);
            if (sh->pushStarted && sh->aPushWidth) grid_bottom(sh, sh->aPushWidth, sh->buf.nCol);
        }
        if (sh->mode == MODE_JSON && sh->nRowSet > 0) fputs("]\n", sh->out);
        fflush(sh->out);
    }
    free(sh->aPushWidth);
    sh->aPushWidth = NULL;
    sh->push = 0;
    sh->pushStarted = 0;
    output_reset(sh);
}

void output_reset(shell *sh)
{
    buf_clear(&sh->buf, 0);
    sh->nRowSet = 0;
}
