/*
** repl.c — the interactive loop: readline editing and history, a
** continuation prompt until a statement is complete, Ctrl-C that cancels the
** running statement (or the line being typed) but never the shell.
**
** readline runs in its callback mode inside a select() loop, so signals are
** handled between keystrokes rather than inside readline.
*/
#include "shell.h"

#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

static shell *g_sh;      /* the shell the callbacks serve */
static shell_input g_in; /* pending statement text */
static int g_done;       /* leave the loop */
static char *g_zHistory; /* history file, or NULL */

char *repl_history_path(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0]) {
        char *dir = sqlite3_mprintf("%s/ksqlite", state);
        if (dir) mkdir(dir, 0700);
        char *path = sqlite3_mprintf("%s/history", dir);
        sqlite3_free(dir);
        return path;
    }
    const char *home = getenv("HOME");
    return home ? sqlite3_mprintf("%s/.ksqlite_history", home) : NULL;
}

static const char *prompt(void)
{
    return input_pending(&g_in) ? "   ...> " : "ksqlite> ";
}

/* readline's line callback: NULL at end of input (Ctrl-D). */
static void on_line(char *zLine)
{
    if (!zLine) {
        g_done = 1;
        rl_callback_handler_remove();
        fputc('\n', stdout);
        return;
    }
    rl_callback_handler_remove();
    if (zLine[0]) {
        add_history(zLine);
        if (g_zHistory) append_history(1, g_zHistory);
    }
    int stop = input_line(&g_in, zLine);
    free(zLine);
    if (stop && g_sh->quit) g_done = 1;
    if (!g_done) rl_callback_handler_install(prompt(), on_line);
}

static void on_sigint(int sig)
{
    (void)sig;
    g_sh->sigint = 1;
    if (g_sh->busy) ksqlite_interrupt(g_sh->k);
}

int repl_run(shell *sh)
{
    g_sh = sh;
    g_done = 0;
    input_init(&g_in, sh, "stdin");
    rl_catch_signals = 0;
    rl_readline_name = "ksqlite";
    g_zHistory = repl_history_path();
    if (g_zHistory) {
        stifle_history(10000);
        read_history(g_zHistory);
        /* Make sure the file exists so append_history() works. */
        FILE *f = fopen(g_zHistory, "a");
        if (f) fclose(f);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);

    rl_callback_handler_install(prompt(), on_line);
    while (!g_done) {
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
            rl_callback_handler_remove();
            rl_callback_handler_install(prompt(), on_line);
            continue;
        }
        if (n < 0 && errno != EINTR) break;
        if (n > 0) rl_callback_read_char();
    }
    if (!sh->quit) input_finish(&g_in);
    input_free(&g_in);
    if (g_zHistory) history_truncate_file(g_zHistory, 10000);
    sqlite3_free(g_zHistory);
    g_zHistory = NULL;
    return sh->nErr ? 1 : 0;
}
