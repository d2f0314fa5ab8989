/*
** shell.h — the `ksqlite` program's shared state.
**
**   main.c      command line, embedded Kafka, demo, script mode as a service
**   input.c     lines -> complete statements and dot-commands; runs them
**   hint.c      error messages with the statement, a caret and a hint
**   names.c     names in the database (tables, streams, views, columns)
**   complete.c  Tab completion for readline
**   dotcmd.c    the dot-commands (.help, .mode, .tables, ...)
**   csvio.c     .import and .export (RFC 4180 CSV through libcsv)
**   output.c    result rows in sqlite3's output modes, fitted to the terminal
**   status.c    the status line on stderr while a query scans or views catch up
**   repl.c      the interactive readline loop, history, Ctrl-C
**
** One `shell` struct holds every setting; the dot-commands change it and the
** output and input modules read it.
*/
#ifndef KSQ_SHELL_H
#define KSQ_SHELL_H

#include <signal.h>
#include <stdint.h>
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

#define SHELL_MAX_WIDTHS 64 /* columns .width can set */

/* Rows of one result set (or one batch of a push query) kept for the modes
** that size their columns first. */
typedef struct result_buf {
    int nCol;         /* columns */
    char **azName;    /* column names */
    char **azCell;    /* nRow * nCol cells (NULL for SQL NULL) */
    int *aType;       /* SQLite type of each cell */
    int nRow, nAlloc; /* rows kept, rows allocated */
} result_buf;

typedef struct shell {
    ksqlite *k;                          /* the engine */
    shell_mode mode;                     /* output mode */
    int header;                          /* print column names (-1: the mode's default) */
    char *zNull;                         /* text shown for NULL (malloc'd) */
    int aWidth[SHELL_MAX_WIDTHS];        /* .width: 0 auto, <0 right-aligned */
    int nWidth;                          /* widths set */
    FILE *out;                           /* current output (stdout, or .output/.once file) */
    int outIsOnce;                       /* close out after the next statement (.once) */
    int bail;                            /* stop at the first error */
    int interactive;                     /* reading from a terminal at the prompt */
    int timer;                           /* print the time each statement took */
    int quit;                            /* .quit was given, or a signal asked to stop */
    int cancel;                          /* Ctrl-C cancelled a statement at the prompt: skip
                                            the rest of what was being read (.read, a line) */
    int nErr;                            /* errors so far */
    int nRowSet;                         /* rows printed in the current result set */
    int64_t nRowStmt;                    /* rows printed by the current statement */
    int push;                            /* the running statement is a push query */
    int pushStarted;                     /* push output began: 1 grid, 2 records */
    int *aPushWidth;                     /* a push query's grid column widths */
    result_buf buf;                      /* rows of the current set or batch (grid modes) */
    int statusShown;                     /* the status line is on the screen */
    int statusOff;                       /* no status line for this statement */
    int64_t statusStartMs, statusLastMs; /* statement start, last redraw */
    volatile sig_atomic_t sigint;        /* Ctrl-C seen */
    volatile sig_atomic_t sigterm;       /* SIGTERM seen: stop gracefully */
    volatile sig_atomic_t busy;          /* a statement is running */
} shell;

/* ---------------------------------------------------------------- output.c */
/* Start printing a statement's results; isPush for a push query. */
void output_begin(shell *sh, int isPush);
/* The ksqlite_row_fn the shell passes to ksqlite_exec(): a row, or NULL to
** end a result set (a batch, for a push query). Returns non-zero after
** Ctrl-C, which stops the statement. */
int output_row(void *pArg, sqlite3_stmt *pStmt);
/* End a statement's results: closes a push query's grid or JSON array. */
void output_end(shell *sh);
/* Forget the rows kept for the current set. */
void output_reset(shell *sh);
/* The mode called z, or -1. */
int output_mode_from_name(const char *z);
/* Columns of the terminal stdout is, or 0 when it is not a terminal. */
int output_terminal_width(void);
/* Display width of UTF-8 text: wide East Asian characters count 2. */
int output_text_width(const char *z);
/* Write one CSV field per RFC 4180: quoted only when needed. */
void output_csv_field(FILE *out, const char *z);

/* ---------------------------------------------------------------- input.c */
/* Script text in, complete statements and dot-commands run. zSource names
** the input in error messages ("file.sql", "stdin", "argument 2"); NULL for
** the interactive prompt, whose errors carry no file position. */
typedef struct shell_input {
    shell *sh;
    const char *zSource; /* name for messages */
    char *zBuf;          /* pending statement text */
    size_t nBuf, nAlloc; /* its length and allocation */
    int startLine;       /* line where the pending statement starts */
    int line;            /* lines read so far */
} shell_input;

/* Start reading input named zSource for sh; input_free() releases it. */
void input_init(shell_input *in, shell *sh, const char *zSource);
/* Process one line (without its newline). Returns non-zero to stop (an
** error with .bail on, .quit, or a signal). */
int input_line(shell_input *in, const char *zLine);
/* Run what is left at the end of input; returns non-zero on error. */
int input_finish(shell_input *in);
/* Is a statement waiting for more lines? */
int input_pending(const shell_input *in);
/* The text of the pending statement ("" when none). */
const char *input_pending_text(const shell_input *in);
/* Drop the pending text (input_init() may follow). */
void input_free(shell_input *in);
/* Run a whole file as a script (also .read); "-" is stdin. Returns non-zero
** on error. */
int input_run_file(shell *sh, const char *zPath);
/* Run SQL text (a command-line argument, the demo script). */
int input_run_text(shell *sh, const char *zText, const char *zSource);

/* ---------------------------------------------------------------- hint.c */
/* Print an error for the statement zSql (which began on line startLine of
** zSource; zSource NULL at the prompt): the message, the statement line with
** a caret under byte offset off (-1: no position), and a hint when one helps
** (unknown column: the columns there are; unknown table: similar names). */
void hint_report(shell *sh, const char *zSource, int startLine, const char *zSql, int off,
                 const char *zMsg);

/* ---------------------------------------------------------------- names.c */
/* A growable list of malloc'd strings. */
typedef struct name_list {
    char **az;     /* the strings */
    int n, nAlloc; /* count, allocation */
} name_list;

void names_add(name_list *p, const char *z, int n); /* copy z[0..n) (n<0: all), no duplicates */
void names_free(name_list *p);                      /* free the strings; p is empty again */
/* Tables, views and streams a user names: not sqlite_ tables, nor the
** engine's internal state tables. */
void names_tables(shell *sh, name_list *p);
/* Streams (the catalog's ksq_streams), or nothing without a catalog. */
void names_streams(shell *sh, name_list *p);
/* Sinks (ksq_sinks), or nothing when there are none. */
void names_sinks(shell *sh, name_list *p);
/* Columns of zTable, hidden ones (a stream's _partition, ...) included.
** Returns the number added, 0 if there is no such table. */
int names_columns(shell *sh, const char *zTable, name_list *p);
/* The tables a statement reads (after FROM and JOIN, and comma-joined), and
** aliases as "alias=table" pairs. Tolerates unfinished statements. */
void names_in_statement(const char *zSql, name_list *tables, name_list *aliases);
/* The table zAlias stands for in aliases, or zAlias itself. */
const char *names_resolve_alias(const name_list *aliases, const char *zAlias);
/* Edit distance between a and b, case-insensitive (for "did you mean"). */
int names_distance(const char *a, const char *b);

/* ---------------------------------------------------------------- complete.c */
/* Install Tab completion for the readline prompt; in holds the pending
** statement (its tables give column names on later lines). */
void complete_install(shell *sh, const shell_input *in);
/* Remove it and free what it kept. */
void complete_uninstall(void);

/* ---------------------------------------------------------------- dotcmd.c */
/* Run a dot-command line (starting with '.'). Returns non-zero on error. */
int dotcmd_run(shell *sh, const char *zLine);
/* The n-th dot-command's name (without the dot), or NULL past the last. */
const char *dotcmd_name(int n);
/* What a dot-command's argument iArg (1-based) is, for completion. */
typedef enum dot_arg {
    DOT_ARG_NONE = 0,
    DOT_ARG_FILE,    /* a file name */
    DOT_ARG_TABLE,   /* a table, view or stream */
    DOT_ARG_MODE,    /* an output mode */
    DOT_ARG_BOOL,    /* on / off */
    DOT_ARG_COMMAND, /* a dot-command's name */
} dot_arg;
dot_arg dotcmd_arg_kind(const char *zCmd, int iArg);

/* ---------------------------------------------------------------- csvio.c */
/* .import: read the CSV file zPath into zTable, creating it from the header
** row when it does not exist; skip nSkip lines first. */
int csvio_import(shell *sh, const char *zPath, const char *zTable, int nSkip);
/* .export: write zWhat (a table, view or stream, or a SELECT) to zPath as
** RFC 4180 CSV with a header; safe prefixes text that looks like a
** spreadsheet formula with a quote. */
int csvio_export(shell *sh, const char *zWhat, const char *zPath, int safe);

/* ---------------------------------------------------------------- status.c */
/* Status line for a statement: installs a progress handler that redraws it
** at most every 100 ms once the statement has run for a moment. Quiet when
** stdout or stderr is not a terminal. */
void status_begin(shell *sh);
/* Remove the handler and clear the line. */
void status_end(shell *sh);
/* Clear the line (before rows go to the terminal). */
void status_clear(shell *sh);
/* At the prompt: while the views lag behind their topics, run them with a
** status line until they catch up, a key is pressed or Ctrl-C. While their
** lag is not known yet (views just created or resumed), wait up to probeMs
** for it. */
void status_catch_up(shell *sh, int probeMs);
/* Monotonic milliseconds. */
int64_t status_now_ms(void);

/* ---------------------------------------------------------------- repl.c */
/* The interactive loop; returns when the user leaves. */
int repl_run(shell *sh);
/* The history file: $XDG_STATE_HOME/ksqlite/history or ~/.ksqlite_history
** (sqlite3_malloc'd), or NULL. */
char *repl_history_path(void);

#endif /* KSQ_SHELL_H */
