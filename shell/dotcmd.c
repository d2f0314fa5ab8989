/*
** dotcmd.c — the shell's dot-commands, one function each.
**
**   .mode box
**   .headers on
**   .streams
**   .export weather_alerts alerts.csv
**
** Each command is an entry in `commands` with its usage, a one-line help,
** an optional detail for `.help NAME`, and the kinds of its arguments (for
** Tab completion). A command function returns 0, 1 after printing an
** error, or -1 for a usage error (the caller prints the usage).
*/
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ARGS 16

typedef int (*dot_fn)(shell *sh, int argc, char **argv);

typedef struct dot_command {
    const char *name;   /* without the dot */
    const char *usage;  /* arguments */
    const char *help;   /* one line */
    const char *detail; /* more, for .help NAME (may be NULL) */
    const char *args;   /* argument kinds for completion: f file, t table, m mode,
                           b on/off, c command; "" for none */
    dot_fn run;         /* the command */
} dot_command;

static const dot_command commands[];

/* Split a dot-command line into words ('quoted' and "quoted" words keep
** their blanks). Modifies zLine. Returns the number of words. */
static int split_args(char *zLine, char **argv)
{
    int argc = 0;
    char *p = zLine;
    while (*p && argc < MAX_ARGS) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            argv[argc++] = p;
            while (*p && *p != q) p++;
        } else {
            argv[argc++] = p;
            while (*p && !isspace((unsigned char)*p)) p++;
        }
        if (*p) *p++ = 0;
    }
    return argc;
}

/* Parse on/off (yes/no, true/false, 1/0). Returns -1 for anything else. */
static int bool_arg(const char *z)
{
    if (strcasecmp(z, "on") == 0 || strcasecmp(z, "yes") == 0 || strcmp(z, "1") == 0 ||
        strcasecmp(z, "true") == 0)
        return 1;
    if (strcasecmp(z, "off") == 0 || strcasecmp(z, "no") == 0 || strcmp(z, "0") == 0 ||
        strcasecmp(z, "false") == 0)
        return 0;
    return -1;
}

/* Set *p from an on/off argument; -1 (usage) when it is neither. */
static int set_bool(int *p, int argc, char **argv)
{
    if (argc != 2) return -1;
    int v = bool_arg(argv[1]);
    if (v < 0) return -1;
    *p = v;
    return 0;
}

/* Run zSql through the engine and print its rows. readable: show the rows
** as a table with names when the mode is the bare list mode (for SHOW and
** friends). *pnRow gets the rows printed. Returns the result code. */
static int print_query(shell *sh, const char *zSql, int readable, int64_t *pnRow, int quiet)
{
    shell_mode mode = sh->mode;
    int header = sh->header;
    if (readable && sh->mode == MODE_LIST) sh->mode = MODE_TABLE;
    if (readable) sh->header = 1;
    char *zErr = NULL;
    output_begin(sh, 0);
    sh->sigint = 0;
    sh->busy = 1;
    int rc = ksqlite_exec(sh->k, zSql, output_row, sh, &zErr);
    sh->busy = 0;
    if (pnRow) *pnRow = sh->nRowStmt;
    output_end(sh);
    sh->mode = mode;
    sh->header = header;
    if (rc && !quiet) fprintf(stderr, "Error: %s\n", zErr ? zErr : "error");
    ksqlite_free(zErr);
    return rc;
}

/* .bail on|off — stop at the first error */
static int dot_bail(shell *sh, int argc, char **argv)
{
    return set_bool(&sh->bail, argc, argv);
}

/* .export [--safe] TABLE|"SELECT ..." FILE — write CSV with a header */
static int dot_export(shell *sh, int argc, char **argv)
{
    int safe = argc > 1 && strcmp(argv[1], "--safe") == 0;
    if (argc != 3 + safe) return -1;
    return csvio_export(sh, argv[1 + safe], argv[2 + safe], safe);
}

/* .headers on|off — show column names */
static int dot_headers(shell *sh, int argc, char **argv)
{
    return set_bool(&sh->header, argc, argv);
}

/* .help [COMMAND] — list the commands, or explain one */
static int dot_help(shell *sh, int argc, char **argv)
{
    for (const dot_command *c = commands; c->name; c++) {
        if (argc >= 2) {
            const char *want = argv[1][0] == '.' ? argv[1] + 1 : argv[1];
            if (strcasecmp(want, c->name) != 0) continue;
            fprintf(sh->out, ".%s %s\n    %s\n", c->name, c->usage, c->help);
            if (c->detail) fprintf(sh->out, "%s\n", c->detail);
            return 0;
        }
        char left[48];
        snprintf(left, sizeof left, ".%s %s", c->name, c->usage);
        fprintf(sh->out, "%-30s %s\n", left, c->help);
    }
    if (argc >= 2) {
        fprintf(stderr, "Error: no such command: %s (see .help)\n", argv[1]);
        return 1;
    }
    return 0;
}

/* .import [--csv] [--skip N] FILE TABLE — read CSV into a table */
static int dot_import(shell *sh, int argc, char **argv)
{
    const char *zFile = NULL, *zTable = NULL;
    int nSkip = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0 || strcmp(argv[i], "-csv") == 0) continue;
        if ((strcmp(argv[i], "--skip") == 0 || strcmp(argv[i], "-skip") == 0) && i + 1 < argc) {
            nSkip = atoi(argv[++i]);
        } else if (!zFile) {
            zFile = argv[i];
        } else if (!zTable) {
            zTable = argv[i];
        } else {
            return -1;
        }
    }
    if (!zTable) return -1;
    return csvio_import(sh, zFile, zTable, nSkip);
}

/* .mode [MODE] — set the output mode, or show it */
static int dot_mode(shell *sh, int argc, char **argv)
{
    if (argc == 1) {
        fprintf(sh->out, "current output mode: %s\n", shell_mode_names[sh->mode]);
        return 0;
    }
    int m = output_mode_from_name(argv[1]);
    if (m < 0) {
        fprintf(stderr, "Error: unknown mode \"%s\"; modes:", argv[1]);
        for (int i = 0; i < MODE_COUNT; i++) fprintf(stderr, " %s", shell_mode_names[i]);
        fputc('\n', stderr);
        return 1;
    }
    sh->mode = (shell_mode)m;
    return 0;
}

/* .nullvalue TEXT — show NULL as TEXT */
static int dot_nullvalue(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    char *z = strdup(argv[1]);
    if (!z) return 1;
    free(sh->zNull);
    sh->zNull = z;
    return 0;
}

/* Redirect output to a file (or back to stdout with no file). */
static int redirect(shell *sh, const char *zPath, int once)
{
    if (sh->out != stdout) fclose(sh->out);
    sh->out = stdout;
    sh->outIsOnce = 0;
    if (!zPath || strcmp(zPath, "stdout") == 0) return 0;
    FILE *f = fopen(zPath, "w");
    if (!f) {
        fprintf(stderr, "Error: cannot write \"%s\"\n", zPath);
        return 1;
    }
    sh->out = f;
    sh->outIsOnce = once;
    return 0;
}

/* .once FILE — send the next statement's output to FILE */
static int dot_once(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    return redirect(sh, argv[1], 1);
}

/* .output [FILE] — send output to FILE, or back to stdout */
static int dot_output(shell *sh, int argc, char **argv)
{
    if (argc > 2) return -1;
    return redirect(sh, argc == 2 ? argv[1] : NULL, 0);
}

/* .quit, .exit — leave the shell */
static int dot_quit(shell *sh, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sh->quit = 1;
    return 0;
}

/* .read FILE — run a script */
static int dot_read(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    return input_run_file(sh, argv[1]);
}

/* The CREATE STREAM statement of the catalog row st (NULL when there is
** none): its columns and WITH options as given, ${NAME} references
** unexpanded, so no secret shows. */
#define STREAM_DDL                                                                                 \
    "CASE WHEN st.name IS NOT NULL THEN printf('CREATE STREAM %s (%s) WITH (%s)', "                \
    "CASE WHEN st.name GLOB '[A-Za-z_]*' AND st.name NOT GLOB '*[^A-Za-z0-9_]*' THEN st.name "     \
    "ELSE printf('\"%w\"', st.name) END, st.columns, "                                             \
    "(SELECT group_concat(CASE WHEN json_extract(j.value, '$.quoted') "                            \
    "THEN printf('''%q''', json_extract(j.value, '$.key')) ELSE json_extract(j.value, '$.key') "   \
    "END || ' = ' || printf('''%q''', json_extract(j.value, '$.value')), ', ') "                   \
    "FROM json_each(st.options) j)) END"

/* .schema [PATTERN] — show CREATE statements: streams, tables, views, then
** sinks; streams, views and sinks as they were defined (CREATE STREAM,
** CREATE MATERIALIZED VIEW, CREATE SINK) */
static int dot_schema(shell *sh, int argc, char **argv)
{
    sqlite3 *db = ksqlite_db(sh->k);
    int catalog =
        sqlite3_table_column_metadata(db, "main", "ksq_views", "sql", 0, 0, 0, 0, 0) == SQLITE_OK &&
        sqlite3_table_column_metadata(db, "main", "ksq_streams", "options", 0, 0, 0, 0, 0) ==
            SQLITE_OK;
    const char *zText = catalog ? "coalesce(v.sql, " STREAM_DDL ", s.sql)" : "s.sql";
    const char *zJoin = catalog ? "LEFT JOIN ksq_views v ON v.name = s.name AND s.type IN "
                                  "('table', 'view') LEFT JOIN ksq_streams st ON st.name = s.name "
                                  "AND s.type = 'table'"
                                : "";
    int sinks =
        sqlite3_table_column_metadata(db, "main", "ksq_sinks", "sql", 0, 0, 0, 0, 0) == SQLITE_OK;
    /* Internal tables show only when the pattern asks for them. */
    int internal = argc >= 2 && sqlite3_strlike("ksq\\_%", argv[1], '\\') == 0;
    char *zSql = sqlite3_mprintf(
        "SELECT s.name AS name, rtrim(%s, '; ') || ';', CASE WHEN s.sql LIKE 'CREATE VIRTUAL "
        "TABLE%%' "
        "THEN 0 WHEN %s THEN 2 ELSE 1 END AS ord FROM main.sqlite_schema s %s "
        "WHERE s.sql IS NOT NULL AND s.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' AND s.name LIKE %Q "
        "AND (%d OR s.name NOT LIKE 'ksq\\_%%' ESCAPE '\\') %s ORDER BY ord, name",
        zText, catalog ? "v.name IS NOT NULL" : "0", zJoin, argc >= 2 ? argv[1] : "%", internal,
        sinks ? "UNION ALL SELECT name, rtrim(sql, '; ') || ';', 3 FROM ksq_sinks WHERE name LIKE "
                "?1"
              : "");
    sqlite3_stmt *st;
    int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    if (rc) {
        fprintf(stderr, "Error: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    if (sinks) sqlite3_bind_text(st, 1, argc >= 2 ? argv[1] : "%", -1, SQLITE_STATIC);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        fprintf(sh->out, "%s\n", (const char *)sqlite3_column_text(st, 1));
        n++;
    }
    sqlite3_finalize(st);
    if (n == 0 && argc >= 2) {
        fprintf(stderr, "Error: nothing matches %s\n", argv[1]);
        return 1;
    }
    return 0;
}

/* .show — the current settings */
static int dot_show(shell *sh, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return -1;
    FILE *o = sh->out;
    char *zHist = repl_history_path();
    fprintf(o, "%12s: %s\n", "mode", shell_mode_names[sh->mode]);
    fprintf(o, "%12s: %s\n", "headers", sh->header > 0 ? "on" : "off");
    fprintf(o, "%12s: \"%s\"\n", "nullvalue", sh->zNull);
    fprintf(o, "%12s: %s\n", "output", sh->out == stdout ? "stdout" : "a file");
    fprintf(o, "%12s: %s\n", "timer", sh->timer ? "on" : "off");
    fprintf(o, "%12s: %s\n", "bail", sh->bail ? "on" : "off");
    fprintf(o, "%12s:", "width");
    for (int i = 0; i < sh->nWidth; i++) fprintf(o, " %d", sh->aWidth[i]);
    fprintf(o, "\n%12s: %s\n", "brokers",
            ksqlite_brokers(sh->k) ? ksqlite_brokers(sh->k) : "(none)");
    fprintf(o, "%12s: %s\n", "history", zHist ? zHist : "(none)");
    sqlite3_free(zHist);
    return 0;
}

/* .sinks — the sinks and where they write (SHOW SINKS) */
static int dot_sinks(shell *sh, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return -1;
    int64_t n = 0;
    if (print_query(sh, "SHOW SINKS;", 1, &n, 1) != KSQLITE_OK) {
        fprintf(stderr, "Error: sinks are not available in this build of ksqlite (SHOW SINKS "
                        "failed)\n");
        return 1;
    }
    if (n == 0)
        fprintf(sh->out, "no sinks; CREATE SINK name FROM view INTO FILES 'dir' adds one\n");
    return 0;
}

/* Format epoch milliseconds as UTC text into buf. */
static const char *format_ms(int64_t ms, char *buf, size_t n)
{
    if (ms < 0) return "-";
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%03d", (int)(ms % 1000));
    return buf;
}

/* Rows of SHOW VIEWS copied into temp.ksq_shell_stats (created from the
** first row's column names). */
typedef struct stats_copy {
    sqlite3 *db;
    sqlite3_stmt *pIns; /* INSERT INTO temp.ksq_shell_stats VALUES(...) */
    int created;        /* the table exists */
    int rc;             /* first error */
} stats_copy;

/* ksqlite_row_fn copying each row of SHOW VIEWS. */
static int stats_row(void *pArg, sqlite3_stmt *pRow)
{
    stats_copy *c = pArg;
    if (!pRow || c->rc) return c->rc;
    int n = sqlite3_column_count(pRow);
    if (!c->created) {
        sqlite3_str *s = sqlite3_str_new(NULL);
        sqlite3_str_appendall(s, "CREATE TABLE temp.ksq_shell_stats(");
        for (int i = 0; i < n; i++)
            sqlite3_str_appendf(s, "%s\"%w\"", i ? ", " : "", sqlite3_column_name(pRow, i));
        sqlite3_str_appendall(s, ")");
        char *zSql = sqlite3_str_finish(s);
        c->rc = zSql ? sqlite3_exec(c->db, zSql, 0, 0, NULL) : SQLITE_NOMEM;
        sqlite3_free(zSql);
        if (c->rc) return 1;
        s = sqlite3_str_new(NULL);
        sqlite3_str_appendall(s, "INSERT INTO temp.ksq_shell_stats VALUES(");
        for (int i = 0; i < n; i++) sqlite3_str_appendall(s, i ? ", ?" : "?");
        sqlite3_str_appendall(s, ")");
        zSql = sqlite3_str_finish(s);
        c->rc = zSql ? sqlite3_prepare_v2(c->db, zSql, -1, &c->pIns, NULL) : SQLITE_NOMEM;
        sqlite3_free(zSql);
        if (c->rc) return 1;
        c->created = 1;
    }
    for (int i = 0; i < n; i++) sqlite3_bind_value(c->pIns, i + 1, sqlite3_column_value(pRow, i));
    if (sqlite3_step(c->pIns) != SQLITE_DONE) c->rc = SQLITE_ERROR;
    sqlite3_reset(c->pIns);
    return c->rc != 0;
}

/* .stats — progress of the continuous views, then each view's figures */
static int dot_stats(shell *sh, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return -1;
    ksqlite_status s;
    memset(&s, 0, sizeof s);
    ksqlite_get_status(sh->k, &s);
    char wm[40];
    FILE *o = sh->out;
    fprintf(o, "views running:   %d\n", ksqlite_view_count(sh->k));
    fprintf(o, "events read:     %lld since the views' sources started\n", (long long)s.nRead);
    if (s.lag >= 0) {
        fprintf(o, "lag:             %lld messages", (long long)s.lag);
        if (s.nTotal > 0)
            fprintf(o, " (%.1f%% of the high-water marks read)",
                    100.0 * (double)(s.nTotal - s.lag) / (double)s.nTotal);
        fputc('\n', o);
    } else {
        fprintf(o, "lag:             unknown\n");
    }
    fprintf(o, "rate:            %.1f events/s\n", s.eventsPerSec);
    fprintf(o, "watermark:       %s\n", format_ms(s.watermark, wm, sizeof wm));
    fprintf(o, "memory:          %.1f MiB (SQLite)\n", (double)sqlite3_memory_used() / 1048576.0);
    if (ksqlite_view_count(sh->k) == 0 &&
        sqlite3_table_column_metadata(ksqlite_db(sh->k), "main", "ksq_views", "name", 0, 0, 0, 0,
                                      0) != SQLITE_OK)
        return 0;
    /* Each view's figures: SHOW VIEWS, kept in a scratch table to pick and
    ** round the columns that tell how it is doing. */
    sqlite3 *db = ksqlite_db(sh->k);
    stats_copy c;
    memset(&c, 0, sizeof c);
    c.db = db;
    char *zErr = NULL;
    int rc = sqlite3_exec(db, "DROP TABLE IF EXISTS temp.ksq_shell_stats", 0, 0, NULL);
    if (!rc) rc = ksqlite_exec(sh->k, "SHOW VIEWS;", stats_row, &c, &zErr);
    sqlite3_finalize(c.pIns);
    if (!rc && c.rc) rc = c.rc;
    if (rc) {
        fprintf(stderr, "Error: %s\n", zErr ? zErr : sqlite3_errmsg(db));
        ksqlite_free(zErr);
        sqlite3_exec(db, "DROP TABLE IF EXISTS temp.ksq_shell_stats", 0, 0, NULL);
        return 1;
    }
    if (c.created) {
        rc = print_query(sh,
                         "SELECT name, status, events, late, lag, round(events_per_s, 1) AS "
                         "\"events/s\", watermark, error FROM temp.ksq_shell_stats;",
                         1, NULL, 0);
    }
    sqlite3_exec(db, "DROP TABLE IF EXISTS temp.ksq_shell_stats", 0, 0, NULL);
    return rc != KSQLITE_OK;
}

/* .streams — the streams: topic, format, event time, views, dead letters */
static int dot_streams(shell *sh, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return -1;
    int64_t n = 0;
    if (print_query(sh, "SHOW STREAMS;", 1, &n, 0) != KSQLITE_OK) return 1;
    if (n == 0)
        fprintf(sh->out, "no streams; CREATE STREAM name (col TYPE, ...) WITH (topic = 'topic') "
                         "reads one\n");
    return 0;
}

/* .tables [PATTERN] — list tables, streams and views */
static int dot_tables(shell *sh, int argc, char **argv)
{
    name_list all = {0}, l = {0};
    names_tables(sh, &all);
    for (int i = 0; i < all.n; i++) {
        if (argc < 2 || sqlite3_strlike(argv[1], all.az[i], 0) == 0) names_add(&l, all.az[i], -1);
    }
    names_free(&all);
    int w = 0;
    for (int i = 0; i < l.n; i++) {
        int len = output_text_width(l.az[i]);
        if (len > w) w = len;
    }
    int term = sh->out == stdout ? output_terminal_width() : 0;
    int perLine = w > 0 ? (term > 0 ? term : 80) / (w + 2) : 1;
    if (perLine < 1) perLine = 1;
    /* Column-major, as sqlite3 lays them out. */
    int nLine = (l.n + perLine - 1) / perLine;
    for (int r = 0; r < nLine; r++) {
        for (int c = 0; c < perLine; c++) {
            int i = c * nLine + r;
            if (i >= l.n) break;
            int last = (c + 1) * nLine + r >= l.n;
            if (last) {
                fprintf(sh->out, "%s", l.az[i]);
            } else {
                fprintf(sh->out, "%s%*s", l.az[i], w + 2 - output_text_width(l.az[i]), "");
            }
        }
        fputc('\n', sh->out);
    }
    names_free(&l);
    return 0;
}

/* .timer on|off — print each statement's run time */
static int dot_timer(shell *sh, int argc, char **argv)
{
    return set_bool(&sh->timer, argc, argv);
}

/* .views — the continuous views: status, lag, watermark, rate (SHOW VIEWS) */
static int dot_views(shell *sh, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return -1;
    int64_t n = 0;
    if (print_query(sh, "SHOW VIEWS;", 1, &n, 0) != KSQLITE_OK) return 1;
    if (n == 0)
        fprintf(sh->out, "no views; CREATE MATERIALIZED VIEW name AS SELECT ... FROM stream "
                         "starts one\n");
    return 0;
}

/* .width [N ...] — column widths for table, box and markdown (0 auto,
** negative right-aligns); no N resets them */
static int dot_width(shell *sh, int argc, char **argv)
{
    if (argc - 1 > SHELL_MAX_WIDTHS) return -1;
    for (int i = 1; i < argc; i++) {
        char *end;
        long v = strtol(argv[i], &end, 10);
        if (*end || v < -1000 || v > 1000) return -1;
        sh->aWidth[i - 1] = (int)v;
    }
    sh->nWidth = argc - 1;
    return 0;
}

static const dot_command commands[] = {
    {"bail", "on|off", "Stop after hitting an error", NULL, "b", dot_bail},
    {"exit", "", "Exit this program", NULL, "", dot_quit},
    {"export", "[--safe] TABLE FILE", "Write a table, view or stream to FILE as CSV",
     "    RFC 4180 with a header row and CRLF line ends; TABLE may also be a query in\n"
     "    quotes: .export \"SELECT city, n FROM t\" out.csv. --safe prefixes text that\n"
     "    starts with = + - @ with a quote, so spreadsheets do not run it as a formula.",
     "tf", dot_export},
    {"headers", "on|off", "Turn display of column names on or off", NULL, "b", dot_headers},
    {"help", "[COMMAND]", "Show help for every command, or for one", NULL, "c", dot_help},
    {"import", "[--skip N] FILE TABLE", "Read CSV from FILE into TABLE",
     "    A new TABLE is created with TEXT columns named by the first row; into an\n"
     "    existing one every row is data (--skip 1 skips a header). Missing fields\n"
     "    are NULL, extra ones are ignored, each with a warning.",
     "ft", dot_import},
    {"mode", "MODE", "Set the output mode (.help mode lists them)",
     "    list     a|b (the default)        csv       RFC 4180, CRLF line ends\n"
     "    json     an array of objects      table box  grids fitted to the terminal\n"
     "    markdown a Markdown table         line      name = value\n"
     "    tabs     tab-separated\n"
     "    A push query (EMIT CHANGES) prints rows as they arrive in any mode.",
     "m", dot_mode},
    {"nullvalue", "TEXT", "Show NULL values as TEXT", NULL, "", dot_nullvalue},
    {"once", "FILE", "Send the next statement's output to FILE", NULL, "f", dot_once},
    {"output", "[FILE]", "Send output to FILE, or to stdout without FILE", NULL, "f", dot_output},
    {"quit", "", "Exit this program", NULL, "", dot_quit},
    {"read", "FILE", "Run the SQL and dot-commands in FILE", NULL, "f", dot_read},
    {"schema", "[PATTERN]", "Show CREATE statements (names LIKE PATTERN)",
     "    Streams first, then tables, views and sinks; streams, views and sinks as\n"
     "    they were defined. The engine's own tables (ksq_...) show only when PATTERN\n"
     "    names them.",
     "t", dot_schema},
    {"show", "", "Show the current settings", NULL, "", dot_show},
    {"sinks", "", "List the sinks (SHOW SINKS)", NULL, "", dot_sinks},
    {"stats", "", "Show how the views keep up: rate, lag, watermark",
     "    Events read, the lag in messages behind the topics' high-water marks (and\n"
     "    the share read), the read rate, the smallest watermark; then per view its\n"
     "    status, events, late events, lag, rate, watermark and error (SHOW VIEWS).",
     "", dot_stats},
    {"streams", "", "List the streams (SHOW STREAMS)",
     "    A stream is a Kafka topic read as a table:\n"
     "      CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL)\n"
     "        WITH (topic = 'weather', format = 'json', timestamp = 'ts');\n"
     "    SELECT on it reads the topic up to its end; add EMIT CHANGES to follow it.",
     "", dot_streams},
    {"tables", "[PATTERN]", "List tables, streams and views", NULL, "t", dot_tables},
    {"timer", "on|off", "Show the run time of each statement", NULL, "b", dot_timer},
    {"views", "", "List the continuous views (SHOW VIEWS)",
     "    CREATE MATERIALIZED VIEW name AS SELECT ... FROM stream GROUP BY ...,\n"
     "    TUMBLE(ts, '1 minute') keeps a table up to date; the views run in the\n"
     "    background while the shell waits for input.",
     "", dot_views},
    {"width", "[N ...]", "Set grid column widths (0: automatic)",
     "    Negative widths right-align. Without N, widths are automatic again.", "", dot_width},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const char *dotcmd_name(int n)
{
    if (n < 0 || n >= (int)(sizeof commands / sizeof commands[0]) - 1) return NULL;
    return commands[n].name;
}

dot_arg dotcmd_arg_kind(const char *zCmd, int iArg)
{
    for (const dot_command *c = commands; c->name; c++) {
        if (strcasecmp(zCmd, c->name) != 0) continue;
        if (iArg < 1 || iArg > (int)strlen(c->args)) return DOT_ARG_NONE;
        switch (c->args[iArg - 1]) {
        case 'f': return DOT_ARG_FILE;
        case 't': return DOT_ARG_TABLE;
        case 'm': return DOT_ARG_MODE;
        case 'b': return DOT_ARG_BOOL;
        case 'c': return DOT_ARG_COMMAND;
        default: return DOT_ARG_NONE;
        }
    }
    return DOT_ARG_NONE;
}

int dotcmd_run(shell *sh, const char *zLine)
{
    char *copy = strdup(zLine + 1);
    char *argv[MAX_ARGS];
    if (!copy) return 1;
    int argc = split_args(copy, argv);
    int rc = 1;
    if (argc == 0) {
        fprintf(stderr, "Error: empty command (see .help)\n");
        free(copy);
        return 1;
    }
    const dot_command *c;
    for (c = commands; c->name; c++) {
        if (strcasecmp(argv[0], c->name) == 0) break;
    }
    if (!c->name) {
        fprintf(stderr, "Error: unknown command: .%s (see .help)\n", argv[0]);
    } else {
        rc = c->run(sh, argc, argv);
        if (rc < 0) {
            fprintf(stderr, "Usage: .%s %s\n", c->name, c->usage);
            rc = 1;
        }
    }
    free(copy);
    return rc;
}
