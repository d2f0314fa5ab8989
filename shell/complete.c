/*
** complete.c — Tab completion at the readline prompt.
**
**   ksqlite> SEL<Tab>                      -> SELECT
**   ksqlite> SELECT temp<Tab>              -> SELECT temperature      (a stream's column)
**   ksqlite> SELECT w.ci<Tab> FROM weather w   -> w.city
**   ksqlite> SELECT * FROM wea<Tab>        -> weather
**   ksqlite> .mo<Tab> b<Tab>               -> .mode box
**   ksqlite> .read sql/we<Tab>             -> .read sql/weather.sql
**
** What is offered depends on where the cursor is: statement keywords at the
** start; table, view and stream names after FROM, JOIN, INTO, ...; sink names
** after DROP SINK and COMPACT SINK; in an expression, the columns of the
** tables the statement reads (those of every stream and view while it names
** none yet), functions and the keywords an expression may hold. Names come from the database at
*each Tab (see
** names.c), so new streams and views complete at once. A dot-command's
** arguments complete by kind: file names, tables, modes, on/off.
*/
#include "shell.h"
#include "ksq_parse.h"

#include <ctype.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static shell *g_sh;             /* the shell being completed for */
static const shell_input *g_in; /* its pending statement */
static name_list g_cand;        /* candidates of the current completion */
static int g_lower;             /* the word is typed in lower case: keywords too */
static const char *const g_breakSql = " \t\n\"'`@$><=;|&{(),.+-*/%!~";
static const char *const g_breakDot = " \t\n\"'";

/* Keywords that start a statement. */
static const char *const kw_statement[] = {
    "SELECT",   "INSERT",  "UPDATE", "DELETE",  "CREATE",   "DROP",    "ALTER",
    "WITH",     "EXPLAIN", "PRAGMA", "SHOW",    "DESCRIBE", "BEGIN",   "COMMIT",
    "ROLLBACK", "VACUUM",  "ATTACH", "DETACH",  "ANALYZE",  "REPLACE", "SAVEPOINT",
    "RELEASE",  "REINDEX", "VALUES", "COMPACT", "EXPORT",   NULL};

/* Keywords inside an expression or a select list. */
static const char *const kw_expression[] = {
    "FROM",     "WHERE",   "GROUP",    "BY",        "ORDER",  "HAVING", "LIMIT", "OFFSET",
    "AS",       "AND",     "OR",       "NOT",       "NULL",   "IS",     "IN",    "LIKE",
    "GLOB",     "BETWEEN", "CASE",     "WHEN",      "THEN",   "ELSE",   "END",   "CAST",
    "DISTINCT", "ALL",     "EXISTS",   "COLLATE",   "ASC",    "DESC",   "EMIT",  "CHANGES",
    "FINAL",    "UNION",   "EXCEPT",   "INTERSECT", "ESCAPE", "FILTER", "OVER",  "TUMBLE",
    "HOP",      "SESSION", "INTERVAL", "TRUE",      "FALSE",  NULL};

/* Keywords after a table in FROM. */
static const char *const kw_after_table[] = {"WHERE",  "GROUP",     "ORDER",   "JOIN",    "LEFT",
                                             "INNER",  "CROSS",     "NATURAL", "ON",      "USING",
                                             "AS",     "LIMIT",     "EMIT",    "CHANGES", "UNION",
                                             "EXCEPT", "INTERSECT", "WINDOW",  "HAVING",  NULL};

/* ksqlite's own keywords, beyond SQLite's. */
static const char *const kw_ksqlite[] = {
    "STREAM", "STREAMS", "MATERIALIZED", "VIEWS",     "SINK", "SINKS",    "EMIT",  "CHANGES",
    "FINAL",  "TUMBLE",  "HOP",          "SESSION",   "SHOW", "DESCRIBE", "TOPIC", "FILES",
    "FORMAT", "COMPACT", "EXPORT",       "PARTITION", "KEY",  NULL};

/* Add a keyword in the case the user types in. */
static void add_keyword(const char *z, int n)
{
    char buf[64];
    if (n < 0) n = (int)strlen(z);
    if (n >= (int)sizeof buf) return;
    for (int i = 0; i < n; i++) buf[i] = (char)(g_lower ? tolower(z[i]) : toupper(z[i]));
    names_add(&g_cand, buf, n);
}

/* Add the keywords of the NULL-terminated list az. */
static void add_keywords(const char *const *az)
{
    for (; *az; az++) add_keyword(*az, -1);
}

/* Add every SQLite keyword and ksqlite's own. */
static void add_all_keywords(void)
{
    for (int i = 0; i < sqlite3_keyword_count(); i++) {
        const char *z;
        int n;
        if (sqlite3_keyword_name(i, &z, &n) == SQLITE_OK) add_keyword(z, n);
    }
    add_keywords(kw_ksqlite);
}

/* Does z need double quotes to be an SQL name? */
static int needs_quotes(const char *z)
{
    if (!isalpha((unsigned char)z[0]) && z[0] != '_') return 1;
    for (const char *p = z; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && !((unsigned char)*p & 0x80)) return 1;
    }
    return sqlite3_keyword_check(z, (int)strlen(z));
}

/* Add names, quoted when they must be. */
static void add_names(const name_list *p)
{
    for (int i = 0; i < p->n; i++) {
        if (needs_quotes(p->az[i])) {
            char *q = sqlite3_mprintf("\"%w\"", p->az[i]);
            names_add(&g_cand, q, -1);
            sqlite3_free(q);
        } else {
            names_add(&g_cand, p->az[i], -1);
        }
    }
}

/* Add the tables, streams and views a user names. */
static void add_tables(void)
{
    name_list t = {0};
    names_tables(g_sh, &t);
    add_names(&t);
    names_free(&t);
}

/* SQL functions, as "name(" (the engine's and SQLite's internals left out). */
static void add_functions(void)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ksqlite_db(g_sh->k),
                           "SELECT DISTINCT name FROM pragma_function_list WHERE name NOT LIKE "
                           "'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'ksq\\_%' ESCAPE '\\' "
                           "AND name NOT LIKE 'fts%' AND name NOT LIKE 'rtree%'",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char *z = sqlite3_mprintf("%s(", (const char *)sqlite3_column_text(st, 0));
        names_add(&g_cand, z, -1);
        sqlite3_free(z);
    }
    sqlite3_finalize(st);
}

/* Columns of the tables zStmt reads; with none, of every stream and view. */
static void add_columns(const char *zStmt)
{
    name_list tables = {0}, aliases = {0}, cols = {0};
    names_in_statement(zStmt, &tables, &aliases);
    if (tables.n == 0) {
        names_streams(g_sh, &tables);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(ksqlite_db(g_sh->k), "SELECT name FROM ksq_views", -1, &st, NULL) ==
            SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW)
                names_add(&tables, (const char *)sqlite3_column_text(st, 0), -1);
            sqlite3_finalize(st);
        }
    }
    for (int i = 0; i < tables.n; i++) names_columns(g_sh, tables.az[i], &cols);
    if (sqlite3_strlike("%materialized%view%", zStmt, 0) == 0) {
        names_add(&cols, "window_start", -1);
        names_add(&cols, "window_end", -1);
    }
    add_names(&cols);
    names_free(&cols);
    names_free(&tables);
    names_free(&aliases);
}

/* The word ends right after a "qualifier." : the columns of that table. */
static void add_qualified_columns(const char *zStmt, const char *zQual)
{
    name_list tables = {0}, aliases = {0}, cols = {0};
    names_in_statement(zStmt, &tables, &aliases);
    names_columns(g_sh, names_resolve_alias(&aliases, zQual), &cols);
    add_names(&cols);
    names_free(&cols);
    names_free(&tables);
    names_free(&aliases);
}

/* The last clause keyword among tokens [0, n) at parenthesis depth of the
** end, or -1. */
static int last_clause(const ksq_tokens *t)
{
    static const char *const clauses[] = {"SELECT", "WHERE",  "HAVING", "ON",    "BY",   "SET",
                                          "WHEN",   "THEN",   "ELSE",   "CASE",  "FROM", "JOIN",
                                          "LIMIT",  "VALUES", "INTO",   "USING", NULL};
    int depth = 0;
    for (int i = t->n - 1; i >= 0; i--) {
        if (ksq_tok_is(t, i, ")")) depth++;
        if (ksq_tok_is(t, i, "(")) {
            if (depth == 0) return i; /* inside a call or subquery: an expression */
            depth--;
        }
        if (depth > 0) continue;
        for (int k = 0; clauses[k]; k++) {
            if (ksq_tok_is(t, i, clauses[k])) return i;
        }
    }
    return -1;
}

/* Fill g_cand for the SQL word zSql[start..] (zSql is the whole statement up
** to the cursor's word; zWhole the statement with the rest of the line). */
static void sql_candidates(const char *zBefore, const char *zWhole, const char *zWord)
{
    int n = (int)strlen(zBefore);
    /* "qualifier." right before the word */
    if (n > 0 && zBefore[n - 1] == '.') {
        int s = n - 1;
        while (s > 0 && (isalnum((unsigned char)zBefore[s - 1]) || zBefore[s - 1] == '_' ||
                         ((unsigned char)zBefore[s - 1] & 0x80)))
            s--;
        char *zQual = strndup(zBefore + s, (size_t)(n - 1 - s));
        if (zQual) add_qualified_columns(zWhole, zQual);
        free(zQual);
        return;
    }
    ksq_tokens t;
    memset(&t, 0, sizeof t);
    ksq_tokenize(zBefore, &t);
    if (t.n == 0 || ksq_tok_is(&t, t.n - 1, ";")) {
        add_keywords(kw_statement);
    } else if (ksq_tok_is(&t, t.n - 1, "SINK") && !ksq_tok_is(&t, t.n - 2, "CREATE")) {
        /* DROP SINK, COMPACT SINK */
        name_list sinks = {0};
        names_sinks(g_sh, &sinks);
        add_names(&sinks);
        names_free(&sinks);
    } else if (ksq_tok_is(&t, t.n - 1, "FROM") || ksq_tok_is(&t, t.n - 1, "JOIN") ||
               ksq_tok_is(&t, t.n - 1, "INTO") || ksq_tok_is(&t, t.n - 1, "UPDATE") ||
               ksq_tok_is(&t, t.n - 1, "TABLE") || ksq_tok_is(&t, t.n - 1, "DESCRIBE") ||
               ksq_tok_is(&t, t.n - 1, "VIEW") || ksq_tok_is(&t, t.n - 1, "STREAM") ||
               ksq_tok_is(&t, t.n - 1, "EXPLAIN") || ksq_tok_is(&t, t.n - 1, "EXISTS")) {
        add_tables();
        if (ksq_tok_is(&t, t.n - 1, "EXPLAIN") || ksq_tok_is(&t, t.n - 1, "DESCRIBE"))
            add_all_keywords();
    } else {
        int c = last_clause(&t);
        int fromList = c >= 0 && (ksq_tok_is(&t, c, "FROM") || ksq_tok_is(&t, c, "JOIN"));
        if (fromList && ksq_tok_is(&t, t.n - 1, ",")) {
            add_tables();
        } else if (fromList) {
            add_keywords(kw_after_table);
        } else if (c >= 0 && !ksq_tok_is(&t, c, "LIMIT") && !ksq_tok_is(&t, c, "INTO") &&
                   !ksq_tok_is(&t, c, "USING")) {
            /* An expression. An empty word offers only columns: a short list. */
            add_columns(zWhole);
            if (zWord[0]) {
                add_keywords(kw_expression);
                add_functions();
            }
        } else {
            add_all_keywords();
            add_tables();
        }
    }
    ksq_tokens_free(&t);
}

/* Fill g_cand for argument iArg of the dot-command zCmd, or return 1 when
** file names are wanted. */
static int dot_candidates(const char *zCmd, int iArg)
{
    switch (dotcmd_arg_kind(zCmd, iArg)) {
    case DOT_ARG_FILE: return 1;
    case DOT_ARG_TABLE: add_tables(); break;
    case DOT_ARG_MODE:
        for (int i = 0; i < MODE_COUNT; i++) names_add(&g_cand, shell_mode_names[i], -1);
        break;
    case DOT_ARG_BOOL:
        names_add(&g_cand, "on", -1);
        names_add(&g_cand, "off", -1);
        break;
    case DOT_ARG_COMMAND:
        for (int i = 0; dotcmd_name(i); i++) names_add(&g_cand, dotcmd_name(i), -1);
        break;
    case DOT_ARG_NONE: break;
    }
    return 0;
}

/* readline's generator: the candidates that start with text, one per call. */
static char *generate(const char *text, int state)
{
    static int next;
    if (state == 0) next = 0;
    size_t n = strlen(text);
    while (next < g_cand.n) {
        const char *c = g_cand.az[next++];
        if (strncasecmp(c, text, n) == 0) return strdup(c);
        /* "wea" also finds "weather" offered quoted. */
        if (c[0] == '"' && strncasecmp(c + 1, text, n) == 0) return strdup(c);
    }
    return NULL;
}

/* Is the line a dot-command (nothing pending, first character '.')? */
static int in_dot_command(void)
{
    if (input_pending(g_in)) return 0;
    const char *p = rl_line_buffer;
    while (*p == ' ' || *p == '\t') p++;
    return *p == '.';
}

/* readline's word-break hook: file names in dot-commands keep their '.' and '/'. */
static char *word_breaks(void)
{
    return (char *)(in_dot_command() ? g_breakDot : g_breakSql);
}

/* readline's attempted completion: decide what the word at [start, end) can
** be and return the matches. */
static char **attempt(const char *text, int start, int end)
{
    (void)end;
    char **matches = NULL;
    names_free(&g_cand);
    rl_attempted_completion_over = 1;
    g_lower = 0;
    for (const char *p = text; *p; p++) {
        if (isupper((unsigned char)*p)) {
            g_lower = 0;
            break;
        }
        if (islower((unsigned char)*p)) g_lower = 1;
    }
    if (in_dot_command()) {
        /* Words before the cursor: the command, then its arguments. */
        char *before = strndup(rl_line_buffer, (size_t)start);
        char *words[8];
        int nWord = 0, skipNext = 0;
        for (char *w = strtok(before, " \t"); w && nWord < 8; w = strtok(NULL, " \t")) {
            /* Options (--skip N, --safe) are not counted as arguments. */
            if (nWord > 0 && (w[0] == '-' || skipNext)) {
                skipNext = !skipNext && strcmp(w, "--skip") == 0;
                continue;
            }
            words[nWord++] = w;
        }
        if (nWord == 0) {
            for (int i = 0; dotcmd_name(i); i++) {
                char *z = sqlite3_mprintf(".%s", dotcmd_name(i));
                names_add(&g_cand, z, -1);
                sqlite3_free(z);
            }
        } else if (dot_candidates(words[0] + 1, nWord)) {
            free(before);
            return rl_completion_matches(text, rl_filename_completion_function);
        }
        free(before);
    } else {
        const char *zPending = input_pending_text(g_in);
        char *zBefore = sqlite3_mprintf("%s%.*s", zPending, start, rl_line_buffer);
        char *zWhole = sqlite3_mprintf("%s%s", zPending, rl_line_buffer);
        if (zBefore && zWhole) sql_candidates(zBefore, zWhole, text);
        sqlite3_free(zBefore);
        sqlite3_free(zWhole);
    }
    matches = rl_completion_matches(text, generate);
    /* A function completes to "name(": no blank after it. */
    if (matches && matches[0] && !matches[1]) {
        size_t n = strlen(matches[0]);
        if (n > 0 && matches[0][n - 1] == '(') rl_completion_suppress_append = 1;
    }
    return matches;
}

void complete_uninstall(void)
{
    names_free(&g_cand);
    rl_attempted_completion_function = NULL;
    rl_completion_word_break_hook = NULL;
}

void complete_install(shell *sh, const shell_input *in)
{
    g_sh = sh;
    g_in = in;
    rl_attempted_completion_function = attempt;
    rl_completion_word_break_hook = word_breaks;
    rl_basic_word_break_characters = g_breakSql;
    rl_completer_quote_characters = "\"'";
    rl_completion_query_items = 200;
}
