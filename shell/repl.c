/*
** repl.c — the interactive loop: readline editing, Tab completion and
** persistent history, a continuation prompt until a statement is complete,
** Ctrl-C that cancels the running statement (or the line being typed) but
** never the shell, and continuous views that keep running between keys.
**
**   ksqlite> SELECT city, count(*)
**      ...>   FROM weather GROUP BY city;
**
** readline runs in its callback mode inside a select() loop, so signals are
** handled between keystrokes rather than inside readline, and the views run
** whenever no key is waiting. A statement typed over several lines is kept
** in the history as one entry; the history file is appended after each
** entry, so a second shell (or a crash) loses nothing.
*/
#include "shell.h"

#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define HISTORY_MAX 10000 /* entries kept in the history file */

static shell *g_sh;      /* the shell the callbacks serve */
static shell_input g_in; /* pending statement text */
static int g_done;       /* leave the loop */
static char *g_zHistory; /* history file, or NULL */
static char *g_zEntry;   /* lines of the pending statement, joined for the history */

/* mkdir -p zDir (private); errors show later, when the file cannot open. */
static void make_dirs(char *zDir)
{
    for (char *p = zDir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(zDir, 0700);
        *p = '/';
    }
    mkdir(zDir, 0700);
}

char *repl_history_path(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0]) {
        char *dir = sqlite3_mprintf("%s/ksqlite", state);
        if (dir) make_dirs(dir);
        char *path = dir ? sqlite3_mprintf("%s/history", dir) : NULL;
        sqlite3_free(dir);
        return path;
    }
    const char *home = getenv("HOME");
    return home && home[0] ? sqlite3_mprintf("%s/.ksqlite_history", home) : NULL;
}

/* The main prompt, or the continuation prompt while a statement is pending. */
static const char *prompt(void)
{
    return input_pending(&g_in) ? "   ...> " : "ksqlite> ";
}

/* Add zEntry to the history (and its file) unless it repeats the last one. */
static void remember(const char *zEntry)
{
    if (!zEntry[0]) return;
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (last && strcmp(last->line, zEntry) == 0) return;
    add_history(zEntry);
    if (g_zHistory) append_history(1, g_zHistory);
}

/* readline's line callback: NULL at end of input (Ctrl-D). */
static void on_line(char *zLine)
{
    rl_callback_handler_remove();
    if (!zLine) {
        g_done = 1;
        fputc('\n', stdout);
        return;
    }
    int wasPending = input_pending(&g_in);
    int nCreated = ksqlite_views_created(g_sh->k);
    /* Join the lines of a statement with blanks: one history entry, saved
    ** before the statement runs (a push query may run for hours). */
    char *zJoined = wasPending ? sqlite3_mprintf("%s %s", g_zEntry ? g_zEntry : "", zLine)
                               : sqlite3_mprintf("%s", zLine);
    sqlite3_free(g_zEntry);
    g_zEntry = NULL;
    const char *p = zLine;
    while (*p == ' ' || *p == '\t') p++;
    char *zAll = sqlite3_mprintf("%s%s\n", input_pending_text(&g_in), zLine);
    int complete = (!wasPending && *p == '.') || (zAll && sqlite3_complete(zAll));
    sqlite3_free(zAll);
    if (zJoined && complete && (wasPending || *p)) {
        remember(zJoined);
        sqlite3_free(zJoined);
        zJoined = NULL;
    }
    /* Keys typed while a statement runs wait for the next prompt, unseen:
    ** no echo in the middle of its rows. Ctrl-C still raises SIGINT. */
    struct termios saved, quiet;
    int tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        quiet = saved;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    int stop = input_line(&g_in, zLine);
    g_sh->cancel = 0; /* Ctrl-C ended what the line started, not the shell */
    if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    free(zLine);
    if (input_pending(&g_in)) {
        g_zEntry = zJoined; /* more lines to come */
    } else {
        sqlite3_free(zJoined);
    }
    if ((stop && g_sh->quit) || g_sh->sigterm) {
        g_done = 1;
        return;
    }
    /* A new view starts reading its topic from the beginning: show it. */
    status_catch_up(g_sh, ksqlite_views_created(g_sh->k) > nCreated ? 1500 : 0);
    rl_callback_handler_install(prompt(), on_line);
}

/* Ctrl-C: cancel the running statement (the loop clears the line otherwise). */
static void on_sigint(int sig)
{
    (void)sig;
    g_sh->sigint = 1;
    if (g_sh->busy) ksqlite_interrupt(g_sh->k);
}

/* SIGTERM: stop the statement and the views, and leave the shell. */
static void on_sigterm(int sig)
{
    (void)sig;
    g_sh->sigterm = 1;
    if (g_sh->busy) ksqlite_interrupt(g_sh->k);
    ksqlite_stop(g_sh->k);
}

int repl_run(shell *sh)
{
    g_sh = sh;
    g_done = 0;
    input_init(&g_in, sh, NULL);
    rl_catch_signals = 0;
    rl_readline_name = "ksqlite";
    complete_install(sh, &g_in);
    g_zHistory = repl_history_path();
    if (g_zHistory) {
        stifle_history(HISTORY_MAX);
        read_history(g_zHistory);
        /* Make sure the file exists (private) so append_history() works. */
        FILE *f = fopen(g_zHistory, "a");
        if (f) fclose(f);
        chmod(g_zHistory, 0600);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);

    status_catch_up(sh, 1500); /* views resumed from the database, or the demo's */
    rl_callback_handler_install(prompt(), on_line);
    while (!g_done && !sh->sigterm) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        /* Views run between keystrokes: a short wait, then a short run. */
        int views = ksqlite_view_count(sh->k) > 0;
        struct timeval tv = {0, views ? 20000 : 200000};
        int n = select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv);
        if (n == 0 && views && !sh->sigint) ksqlite_run(sh->k, 80);
        if (sh->sigint) {
            /* Ctrl-C at the prompt: drop the line and any pending statement. */
            sh->sigint = 0;
            rl_free_line_state();
            rl_replace_line("", 0);
            rl_crlf();
            input_free(&g_in);
            sqlite3_free(g_zEntry);
            g_zEntry = NULL;
            rl_callback_handler_remove();
            rl_callback_handler_install(prompt(), on_line);
            continue;
        }
        if (n < 0 && errno != EINTR) break;
        if (n > 0) rl_callback_read_char();
    }
    if (!g_done) rl_callback_handler_remove();
    if (!sh->quit && !sh->sigterm) input_finish(&g_in);
    input_free(&g_in);
    sqlite3_free(g_zEntry);
    g_zEntry = NULL;
    if (g_zHistory) history_truncate_file(g_zHistory, HISTORY_MAX);
    sqlite3_free(g_zHistory);
    g_zHistory = NULL;
    complete_uninstall();
    clear_history();
    return 0;
}
