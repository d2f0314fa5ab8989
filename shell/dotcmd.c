/*
** dotcmd.c — the shell's dot-commands, one function each.
**
**   .mode csv
**   .headers on
**   .tables
**
** Each command is an entry in `commands` with its usage and a one-line
** help; `.help` prints the table, `.help NAME` one entry with its detail.
*/
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ARGS 16

typedef int (*dot_fn)(shell *sh, int argc, char **argv);

typedef struct dot_command {
    const char *name;   /* without the dot */
    const char *usage;  /* arguments */
    const char *help;   /* one line */
    const char *detail; /* more, for .help NAME (may be NULL) */
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

static int bool_arg(const char *z)
{
    return strcasecmp(z, "on") == 0 || strcasecmp(z, "yes") == 0 || strcmp(z, "1") == 0 ||
           strcasecmp(z, "true") == 0;
}

/* .bail on|off — stop at the first error */
static int dot_bail(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    sh->bail = bool_arg(argv[1]);
    return 0;
}

/* .headers on|off — show column names */
static int dot_headers(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    sh->header = bool_arg(argv[1]);
    return 0;
}

/* .help [NAME] — list the commands, or explain one */
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
        fprintf(sh->out, "%-26s %s\n", left, c->help);
    }
    if (argc >= 2) {
        fprintf(stderr, "Error: no such command: %s (see .help)\n", argv[1]);
        return 1;
    }
    return 0;
}

/* .mode MODE — set the output mode */
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
    free(sh->zNull);
    sh->zNull = strdup(argv[1]);
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

/* Print the rows of a query, one column each, through the current output. */
static int print_query(shell *sh, const char *zSql)
{
    char *zErr = NULL;
    int rc = ksqlite_exec(sh->k, zSql, output_row, sh, &zErr);
    output_reset(sh);
    if (rc) fprintf(stderr, "Error: %s\n", zErr ? zErr : "error");
    ksqlite_free(zErr);
    return rc != 0;
}

/* .schema [PATTERN] — show CREATE statements */
static int dot_schema(shell *sh, int argc, char **argv)
{
    char *zSql = sqlite3_mprintf("SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL "
                                 "AND name NOT LIKE 'sqlite_%%' AND name LIKE %Q ORDER BY "
                                 "type DESC, name",
                                 argc >= 2 ? argv[1] : "%");
    shell_mode mode = sh->mode;
    int header = sh->header;
    sh->mode = MODE_LIST;
    sh->header = 0;
    int rc = print_query(sh, zSql);
    sh->mode = mode;
    sh->header = header;
    sqlite3_free(zSql);
    return rc;
}

/* .tables [PATTERN] — list tables, views and streams */
static int dot_tables(shell *sh, int argc, char **argv)
{
    sqlite3_stmt *st;
    char *zSql = sqlite3_mprintf("SELECT name FROM sqlite_schema WHERE type IN ('table','view') "
                                 "AND name NOT LIKE 'sqlite_%%' AND name LIKE %Q ORDER BY 1",
                                 argc >= 2 ? argv[1] : "%");
    int rc = sqlite3_prepare_v2(ksqlite_db(sh->k), zSql, -1, &st, NULL);
    sqlite3_free(zSql);
    if (rc) {
        fprintf(stderr, "Error: %s\n", sqlite3_errmsg(ksqlite_db(sh->k)));
        return 1;
    }
    char **az = NULL;
    int n = 0, w = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **a = realloc(az, sizeof(char *) * (size_t)(n + 1));
        if (!a) break;
        az = a;
        az[n] = strdup((const char *)sqlite3_column_text(st, 0));
        int len = (int)strlen(az[n]);
        if (len > w) w = len;
        n++;
    }
    sqlite3_finalize(st);
    int perLine = w > 0 ? 80 / (w + 2) : 1;
    if (perLine < 1) perLine = 1;
    for (int i = 0; i < n; i++) {
        fprintf(sh->out, "%-*s%s", w, az[i],
                (i % perLine == perLine - 1 || i == n - 1) ? "\n" : "  ");
        free(az[i]);
    }
    free(az);
    return 0;
}

/* .timer on|off — print each statement's run time */
static int dot_timer(shell *sh, int argc, char **argv)
{
    if (argc != 2) return -1;
    sh->timer = bool_arg(argv[1]);
    return 0;
}

static const dot_command commands[] = {
    {"bail", "on|off", "Stop after hitting an error", NULL, dot_bail},
    {"exit", "", "Exit this program", NULL, dot_quit},
    {"headers", "on|off", "Turn display of column names on or off", NULL, dot_headers},
    {"help", "[COMMAND]", "Show help for every command, or for one", NULL, dot_help},
    {"mode", "MODE", "Set output mode: list csv json table box markdown line tabs",
     "    csv writes RFC 4180 (quotes when needed, CRLF); json an array of objects.", dot_mode},
    {"nullvalue", "TEXT", "Show NULL values as TEXT", NULL, dot_nullvalue},
    {"once", "FILE", "Send the next statement's output to FILE", NULL, dot_once},
    {"output", "[FILE]", "Send output to FILE, or to stdout without FILE", NULL, dot_output},
    {"quit", "", "Exit this program", NULL, dot_quit},
    {"read", "FILE", "Run the SQL and dot-commands in FILE", NULL, dot_read},
    {"schema", "[PATTERN]", "Show the CREATE statements (matching a LIKE pattern)", NULL,
     dot_schema},
    {"tables", "[PATTERN]", "List tables, views and streams", NULL, dot_tables},
    {"timer", "on|off", "Show the run time of each statement", NULL, dot_timer},
    {NULL, NULL, NULL, NULL, NULL},
};

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
