/*
** hint.c — error reports a user can act on: the message, the statement line
** with a caret under the spot, and a hint when the database knows better.
**
**   Error: no such column: tempp
**     SELECT city, tempp FROM weather;
**                  ^
**   hint: did you mean temperature? weather has city, country, ts, temperature, ...
**
**   Error: no such table: wether
**     SELECT * FROM wether;
**                   ^
**   hint: did you mean weather?
*/
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* zMsg without zPrefix, or NULL when it does not start with it. */
static const char *after_prefix(const char *zMsg, const char *zPrefix)
{
    size_t n = strlen(zPrefix);
    return strncmp(zMsg, zPrefix, n) == 0 ? zMsg + n : NULL;
}

/* Is the edit distance d close enough for "did you mean" on a name of n
** characters? */
static int is_close(int d, size_t n)
{
    return d <= (n <= 4 ? 1 : n <= 8 ? 2 : 3);
}

/* Print "hint: did you mean A?" (or "A or B") for the names of cand closest
** to zWant. Returns the number suggested. */
static int suggest(const char *zWant, const name_list *cand)
{
    const char *best[3] = {NULL, NULL, NULL};
    int bestD[3] = {1000, 1000, 1000};
    for (int i = 0; i < cand->n; i++) {
        const char *c = cand->az[i];
        int d = names_distance(zWant, c);
        /* A prefix (wea -> weather) counts as close too. */
        if (!is_close(d, strlen(zWant)) &&
            !(strlen(zWant) >= 3 && strncasecmp(c, zWant, strlen(zWant)) == 0))
            continue;
        if (strcasecmp(c, zWant) == 0) continue;
        for (int k = 0; k < 3; k++) {
            if (d < bestD[k]) {
                for (int m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    bestD[m] = bestD[m - 1];
                }
                best[k] = c;
                bestD[k] = d;
                break;
            }
        }
    }
    if (!best[0]) return 0;
    fprintf(stderr, "hint: did you mean %s", best[0]);
    if (best[1]) fprintf(stderr, "%s%s", best[2] ? ", " : " or ", best[1]);
    if (best[2]) fprintf(stderr, " or %s", best[2]);
    fputs("?", stderr);
    return 1;
}

/* Print the names of p separated by commas, at most max of them. */
static void put_list(const name_list *p, int max)
{
    for (int i = 0; i < p->n && i < max; i++) fprintf(stderr, "%s%s", i ? ", " : "", p->az[i]);
    if (p->n > max) fprintf(stderr, ", ... (%d more)", p->n - max);
}

/* Unknown column zCol (maybe table.column): suggest from the columns of the
** tables the statement reads, and list them. */
static void hint_column(shell *sh, const char *zSql, const char *zCol)
{
    name_list tables = {0}, aliases = {0};
    const char *dot = strrchr(zCol, '.');
    if (dot) {
        char *zQual = strndup(zCol, (size_t)(dot - zCol));
        names_in_statement(zSql, &tables, &aliases);
        const char *zTable = zQual ? names_resolve_alias(&aliases, zQual) : NULL;
        name_list one = {0};
        names_add(&one, zTable, -1);
        names_free(&tables);
        tables = one;
        free(zQual);
        zCol = dot + 1;
    } else {
        names_in_statement(zSql, &tables, &aliases);
    }
    name_list all = {0};
    for (int i = 0; i < tables.n; i++) names_columns(sh, tables.az[i], &all);
    if (all.n > 0) {
        int said = suggest(zCol, &all);
        for (int i = 0; i < tables.n; i++) {
            name_list cols = {0};
            if (names_columns(sh, tables.az[i], &cols) == 0) continue;
            fprintf(stderr, "%s%s has ", said ? " " : "hint: ", tables.az[i]);
            put_list(&cols, 40);
            said = 1;
            names_free(&cols);
            if (i + 1 < tables.n) fputs(";", stderr);
        }
        fputc('\n', stderr);
    }
    names_free(&all);
    names_free(&tables);
    names_free(&aliases);
}

/* Unknown table, view or stream zName: similar names, or what there is. */
static void hint_table(shell *sh, const char *zName)
{
    const char *dot = strchr(zName, '.');
    if (dot) zName = dot + 1;
    name_list tables = {0};
    names_tables(sh, &tables);
    if (tables.n == 0) {
        fputs("hint: the database has no tables yet; CREATE STREAM reads a Kafka topic "
              "(.help streams)\n",
              stderr);
    } else if (suggest(zName, &tables)) {
        fputc('\n', stderr);
    } else if (tables.n <= 12) {
        fputs("hint: there are ", stderr);
        put_list(&tables, 12);
        fputc('\n', stderr);
    } else {
        fputs("hint: .tables lists them\n", stderr);
    }
    names_free(&tables);
}

/* Unknown function zName: the closest SQL functions. */
static void hint_function(shell *sh, const char *zName)
{
    name_list fns = {0};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ksqlite_db(sh->k),
                           "SELECT DISTINCT name FROM pragma_function_list ORDER BY name", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            names_add(&fns, (const char *)sqlite3_column_text(st, 0), -1);
        sqlite3_finalize(st);
    }
    if (suggest(zName, &fns)) fputc('\n', stderr);
    names_free(&fns);
}

/* Print the line of zSql holding byte offset off, and a caret under it;
** long lines show a window around the spot. */
static void put_caret_line(const char *zSql, int off)
{
    const char *lineStart = zSql;
    for (int i = 0; i < off && zSql[i]; i++) {
        if (zSql[i] == '\n') lineStart = zSql + i + 1;
    }
    const char *lineEnd = strchr(lineStart, '\n');
    int len = lineEnd ? (int)(lineEnd - lineStart) : (int)strlen(lineStart);
    int at = (int)(zSql + off - lineStart);
    if (at > len) at = len;
    /* Control characters would move the caret: show them as blanks. */
    char *line = malloc((size_t)len + 1);
    if (!line) return;
    for (int i = 0; i < len; i++) {
        unsigned char c = (unsigned char)lineStart[i];
        line[i] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
    }
    line[len] = 0;
    while (len > 0 && line[len - 1] == ' ') line[--len] = 0;
    if (at > len) at = len;
    int term = output_terminal_width();
    int max = term > 20 ? term - 4 : 200;
    int from = 0, to = len;
    if (output_text_width(line) > max) {
        /* A window of max bytes around the spot, on character boundaries. */
        from = at - max / 2;
        if (from < 0) from = 0;
        to = from + max;
        if (to > len) {
            to = len;
            from = to - max > 0 ? to - max : 0;
        }
        while (from > 0 && ((unsigned char)line[from] & 0xC0) == 0x80) from--;
        while (to < len && ((unsigned char)line[to] & 0xC0) == 0x80) to++;
    }
    char saved = line[at];
    line[at] = 0;
    int caret = output_text_width(line + from) + (from > 0 ? 3 : 0);
    line[at] = saved;
    fprintf(stderr, "  %s%.*s%s\n  %*s^\n", from > 0 ? "..." : "", to - from, line + from,
            to < len ? "..." : "", caret, "");
    free(line);
}

/* Byte offset of the first whole-word, case-insensitive occurrence of zWord
** in zSql outside quotes, or -1. */
static int find_word(const char *zSql, const char *zWord)
{
    size_t n = strlen(zWord);
    char quote = 0;
    if (n == 0) return -1;
    for (const char *p = zSql; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
            continue;
        }
        if (*p == '\'') {
            quote = *p;
            continue;
        }
        int startOk = p == zSql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int endOk = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (startOk && strncasecmp(p, zWord, n) == 0 && endOk) return (int)(p - zSql);
    }
    return -1;
}

/* The name an "no such table/column/function: NAME" message is about, or NULL. */
static const char *message_name(const char *zMsg)
{
    static const char *const prefixes[] = {
        "no such column: ", "no such table: ", "no such function: ",
        "no such stream, view or table: ", NULL};
    for (int i = 0; prefixes[i]; i++) {
        const char *x = after_prefix(zMsg, prefixes[i]);
        if (x && !strchr(x, ' ')) return x;
    }
    return NULL;
}

void hint_report(shell *sh, const char *zSource, int startLine, const char *zSql, int off,
                 const char *zMsg)
{
    int line = startLine, col = 1;
    /* No position, or the statement's start: point at the name instead. */
    const char *zName = message_name(zMsg);
    if (off <= 0 && zName) {
        const char *dot = strrchr(zName, '.');
        int at = find_word(zSql, zName);
        if (at < 0 && dot) at = find_word(zSql, dot + 1);
        if (at >= 0) off = at;
    }
    if (off > (int)strlen(zSql)) off = (int)strlen(zSql);
    for (int i = 0; i < off; i++) {
        if (zSql[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)zSql[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    if (zSource && off >= 0) {
        fprintf(stderr, "Error: %s:%d:%d: %s\n", zSource, line, col, zMsg);
    } else if (zSource) {
        fprintf(stderr, "Error: %s:%d: %s\n", zSource, startLine, zMsg);
    } else if (off >= 0 && line > startLine) {
        fprintf(stderr, "Error: line %d: %s\n", line - startLine + 1, zMsg);
    } else {
        fprintf(stderr, "Error: %s\n", zMsg);
    }
    if (off >= 0) put_caret_line(zSql, off);
    const char *x;
    if ((x = after_prefix(zMsg, "no such column: ")) && !strchr(x, ' ')) {
        hint_column(sh, zSql, x);
    } else if ((x = after_prefix(zMsg, "no such table: ")) && !strchr(x, ' ')) {
        hint_table(sh, x);
    } else if ((x = after_prefix(zMsg, "no such stream, view or table: ")) && !strchr(x, ' ')) {
        hint_table(sh, x);
    } else if ((x = after_prefix(zMsg, "no such function: ")) && !strchr(x, ' ')) {
        hint_function(sh, x);
    } else if ((x = after_prefix(zMsg, "a push query reads a stream or a materialized view: "))) {
        /* "...: NAME is neither (see SHOW STREAMS, SHOW VIEWS)" */
        const char *end = strstr(x, " is neither");
        char *zWhat = end ? strndup(x, (size_t)(end - x)) : NULL;
        if (zWhat) hint_table(sh, zWhat);
        free(zWhat);
    }
}
