/*
** shell.h — the `ksqlite` program's shared state.
**
**   main.c    command line, embedded Kafka, demo, choice of input
**   input.c   lines -> complete statements and dot-commands, error positions
**   dotcmd.c  the dot-commands (.help, .mode, .tables, ...)
**   output.c  result rows in sqlite3's output modes
**   repl.c    the interactive readline loop, history, Ctrl-C
*/
#ifndef KSQ_SHELL_H
#define KSQ_SHELL_H

#include <signal.h>
#include <stdio.h>

#include "ksqlite.h"

typedef enum shell_mode {
    MODE_LIST = 0,
    MODE_CSV,
    MODE_JSON,
    MODE_TABLE,
    MODE_BOX,
    MODE_MARKDOWN,
    MODE_LINE,
    MODE_TABS,
    MODE_COUNT
} shell_mode;

extern const char *const shell_mode_names[MODE_COUNT];

/* Rows of one result set kept for the modes that size columns first. */
typedef struct result_buf {
    int nCol;         /* columns */
    char **azName;    /* column names */
    char **azCell;    /* nRow * nCol cells (NULL for SQL NULL) */
    int *aType;       /* SQLite type of each cell */
    int nRow, nAlloc; /* rows kept, rows allocated */
} result_buf;

typedef struct shell {
    ksqlite *k;                   /* the engine */
    shell_mode mode;              /* output mode */
    int header;                   /* print column names (-1: mode's default) */
    char *zNull;                  /* text shown for NULL */
    FILE *out;                    /* current output (stdout, or .output/.once file) */
    int outIsOnce;                /* close out after the next statement (.once) */
    int bail;                     /* stop at the first error */
    int interactive;              /* reading from a terminal */
    int timer;                    /* print the time each statement took */
    int quit;                     /* .quit was given */
    int nErr;                     /* errors so far */
    int nRowSet;                  /* rows printed in the current result set */
    result_buf buf;               /* rows of the current result set (table modes) */
    volatile sig_atomic_t sigint; /* Ctrl-C seen */
    volatile sig_atomic_t busy;   /* a statement is running */
} shell;

/* output.c */
int output_row(void *pArg, sqlite3_stmt *pStmt); /* ksqlite_row_fn; NULL ends a set */
void output_reset(shell *sh);
int output_mode_from_name(const char *z);

/* input.c: feed script text; each complete statement or dot-command runs.
** zSource names the input in error messages ("file.sql", "stdin", "arg 2"). */
typedef struct shell_input {
    shell *sh;
    const char *zSource; /* name for messages */
    char *zBuf;          /* pending statement text */
    size_t nBuf, nAlloc; /* its length and allocation */
    int startLine;       /* line where the pending statement starts */
    int line;            /* lines read so far */
} shell_input;

void input_init(shell_input *in, shell *sh, const char *zSource);
/* Process one line (without its newline). Returns non-zero to stop (error
** with bail, or .quit). */
int input_line(shell_input *in, const char *zLine);
/* Run what is left at the end of input; returns non-zero on error. */
int input_finish(shell_input *in);
int input_pending(const shell_input *in);
void input_free(shell_input *in);
/* Run a whole file as a script (also .read). Returns non-zero on error. */
int input_run_file(shell *sh, const char *zPath);
/* Run SQL text (a command-line argument). */
int input_run_text(shell *sh, const char *zText, const char *zSource);

/* dotcmd.c */
int dotcmd_run(shell *sh, const char *zLine);

/* repl.c */
int repl_run(shell *sh);
char *repl_history_path(void);

#endif /* KSQ_SHELL_H */
