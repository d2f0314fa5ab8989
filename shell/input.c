/*
** input.c — script text into complete statements and dot-commands, run.
**
** Lines accumulate until they form a complete SQL statement (per
** sqlite3_complete(), so triggers and strings with ';' work); a line that
** starts with '.' while no statement is pending is a dot-command. The
** statements of a complete text run one at a time, each with its status
** line, timer and error report:
**
**   Error: pipeline.sql:3:8: no such column: tempp
**     SELECT tempp FROM weather;
**            ^
**   hint: did you mean temperature? weather has city, country, ts, temperature, ...
**
** A push query (SELECT ... EMIT CHANGES) runs until Ctrl-C, which ends it
** normally; Ctrl-C during any other statement cancels it. In a script,
** Ctrl-C also stops the script, and SIGTERM stops it gracefully.
*/
#include "shell.h"
#include "ksq_parse.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void input_init(shell_input *in, shell *sh, const char *zSource)
{
    memset(in, 0, sizeof *in);
    in->sh = sh;
    in->zSource = zSource;
}

void input_free(shell_input *in)
{
    free(in->zBuf);
    in->zBuf = NULL;
    in->nBuf = in->nAlloc = 0;
}

int input_pending(const shell_input *in)
{
    return in->nBuf > 0;
}

const char *input_pending_text(const shell_input *in)
{
    return in->nBuf > 0 ? in->zBuf : "";
}

/* Is z only blanks and SQL comments? */
static int all_blank(const char *z)
{
    while (*z) {
        if (isspace((unsigned char)*z)) {
            z++;
        } else if (z[0] == '-' && z[1] == '-') {
            while (*z && *z != '\n') z++;
        } else if (z[0] == '/' && z[1] == '*') {
            const char *e = strstr(z + 2, "*/");
            if (!e) return 1;
            z = e + 2;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Is zSql (one statement) a push query? */
static int is_push_query(const char *zSql)
{
    ksq_stmt st;
    char *zErr = NULL;
    int errOff = -1;
    memset(&st, 0, sizeof st);
    int rc = ksq_stmt_parse(zSql, (int)strlen(zSql), &st, &zErr, &errOff);
    int push = rc == SQLITE_OK && st.kind == KSQ_STMT_PUSH_QUERY;
    ksq_stmt_clear(&st);
    sqlite3_free(zErr);
    return push;
}

/* A struct timeval in seconds. */
static double tv_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Run one statement zSql, which starts on line `line` of the input. Returns
** non-zero on error. */
static int run_statement(shell_input *in, const char *zSql, int line)
{
    shell *sh = in->sh;
    char *zErr = NULL;
    struct timespec t0, t1;
    struct rusage r0, r1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    getrusage(RUSAGE_SELF, &r0);
    int push = is_push_query(zSql);
    output_begin(sh, push);
    sh->sigint = 0;
    if (!push) status_begin(sh);
    sh->busy = 1;
    int rc = ksqlite_exec(sh->k, zSql, output_row, sh, &zErr);
    sh->busy = 0;
    status_end(sh);
    output_end(sh);
    int64_t nRow = sh->nRowStmt;
    if (sh->timer) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        getrusage(RUSAGE_SELF, &r1);
        fprintf(sh->out, "Run Time: real %.3f user %.6f sys %.6f\n",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                tv_seconds(r1.ru_utime) - tv_seconds(r0.ru_utime),
                tv_seconds(r1.ru_stime) - tv_seconds(r0.ru_stime));
    }
    int failed = 0;
    if (rc == KSQLITE_INTERRUPT && (sh->sigint || sh->sigterm)) {
        /* Ctrl-C ends a push query normally and cancels anything else. */
        if (push) {
            fprintf(stderr, "push query stopped after %lld row%s\n", (long long)nRow,
                    nRow == 1 ? "" : "s");
        } else if (!sh->sigterm) {
            fprintf(stderr, "Interrupted.\n");
            failed = !sh->interactive;
            sh->cancel = sh->interactive;
        }
        if (!sh->interactive) sh->quit = 1;
    } else if (rc != KSQLITE_OK) {
        hint_report(sh, in->zSource, line, zSql, ksqlite_error_offset(sh->k),
                    zErr ? zErr : "error");
        failed = 1;
    }
    if (failed) sh->nErr++;
    ksqlite_free(zErr);
    sh->sigint = 0;
    return failed;
}

/* Run the pending statement text, one statement at a time. Returns non-zero
** on error. */
static int run_pending(shell_input *in)
{
    shell *sh = in->sh;
    int off = 0, start, end, failed = 0, line = in->startLine, lineOff = 0;
    while (!(failed && sh->bail) && !sh->quit && !sh->sigterm && !sh->cancel &&
           ksq_next_statement(in->zBuf, &off, &start, &end)) {
        for (; lineOff < start; lineOff++) line += in->zBuf[lineOff] == '\n';
        char *zStmt = malloc((size_t)(end - start) + 1);
        if (!zStmt) {
            fprintf(stderr, "Error: out of memory\n");
            failed = 1;
            break;
        }
        memcpy(zStmt, in->zBuf + start, (size_t)(end - start));
        zStmt[end - start] = 0;
        failed |= run_statement(in, zStmt, line);
        free(zStmt);
    }
    if (sh->outIsOnce) {
        if (sh->out != stdout) fclose(sh->out);
        sh->out = stdout;
        sh->outIsOnce = 0;
    }
    in->nBuf = 0;
    if (in->zBuf) in->zBuf[0] = 0;
    return failed;
}

int input_line(shell_input *in, const char *zLine)
{
    shell *sh = in->sh;
    in->line++;
    if (in->nBuf == 0) {
        const char *p = zLine;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '.') {
            int rc = dotcmd_run(sh, p);
            if (rc) sh->nErr++;
            return (rc && sh->bail) || sh->quit || sh->sigterm || sh->cancel;
        }
        if (all_blank(zLine)) return 0;
        in->startLine = in->line;
    }
    size_t n = strlen(zLine);
    if (in->nBuf + n + 2 > in->nAlloc) {
        size_t cap = (in->nBuf + n + 2) * 2;
        char *b = realloc(in->zBuf, cap);
        if (!b) {
            fprintf(stderr, "Error: out of memory\n");
            return 1;
        }
        in->zBuf = b;
        in->nAlloc = cap;
    }
    memcpy(in->zBuf + in->nBuf, zLine, n);
    in->nBuf += n;
    in->zBuf[in->nBuf++] = '\n';
    in->zBuf[in->nBuf] = 0;
    if (!sqlite3_complete(in->zBuf)) return 0;
    int err = run_pending(in);
    return (err && sh->bail) || sh->quit || sh->sigterm || sh->cancel;
}

int input_finish(shell_input *in)
{
    if (in->nBuf == 0 || all_blank(in->zBuf)) {
        in->nBuf = 0;
        return 0;
    }
    return run_pending(in);
}

int input_run_text(shell *sh, const char *zText, const char *zSource)
{
    shell_input in;
    input_init(&in, sh, zSource);
    int stop = 0, nErr0 = sh->nErr;
    const char *p = zText;
    while (*p && !stop) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *line = malloc(n + 1);
        if (!line) break;
        memcpy(line, p, n);
        line[n] = 0;
        stop = input_line(&in, line);
        free(line);
        p = e ? e + 1 : p + n;
    }
    if (!stop) input_finish(&in);
    input_free(&in);
    return sh->nErr != nErr0;
}

/* Read a script from a pipe or socket: lines run as they arrive, and while
** no input is waiting, continuous views run. */
static int run_stream_fd(shell *sh, int fd, const char *zSource)
{
    shell_input in;
    input_init(&in, sh, zSource);
    int stop = 0, nErr0 = sh->nErr, eof = 0;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    while (!stop && !eof && !sh->sigterm && !sh->quit) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int views = ksqlite_view_count(sh->k) > 0;
        int r = poll(&pfd, 1, views ? 20 : 500);
        if (r < 0 && errno != EINTR) break;
        if (r == 0) {
            if (views) ksqlite_run(sh->k, 50);
            continue;
        }
        if (r < 0) continue;
        if (cap - n < 4096) {
            char *b = realloc(buf, cap + 65536);
            if (!b) break;
            buf = b;
            cap += 65536;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            eof = 1;
            if (n == 0) break;
            buf[n++] = '\n'; /* a last line without a newline */
        } else {
            n += (size_t)got;
        }
        size_t start = 0;
        for (size_t i = 0; i < n && !stop; i++) {
            if (buf[i] != '\n') continue;
            size_t end = i;
            if (end > start && buf[end - 1] == '\r') end--;
            buf[end] = 0;
            stop = input_line(&in, buf + start);
            start = i + 1;
        }
        memmove(buf, buf + start, n - start);
        n -= start;
    }
    free(buf);
    if (!stop && !sh->sigterm) input_finish(&in);
    input_free(&in);
    return sh->nErr != nErr0;
}

int input_run_file(shell *sh, const char *zPath)
{
    int isStdin = strcmp(zPath, "-") == 0;
    if (isStdin) {
        struct stat st;
        if (fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode))
            return run_stream_fd(sh, STDIN_FILENO, "stdin");
    }
    FILE *f = isStdin ? stdin : fopen(zPath, "r");
    if (!f) {
        fprintf(stderr, "Error: cannot open \"%s\": %s\n", zPath, strerror(errno));
        sh->nErr++;
        return 1;
    }
    shell_input in;
    input_init(&in, sh, isStdin ? "stdin" : zPath);
    int stop = 0, nErr0 = sh->nErr;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (!stop && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        stop = input_line(&in, line);
    }
    free(line);
    if (!stop) input_finish(&in);
    input_free(&in);
    if (f != stdin) fclose(f);
    return sh->nErr != nErr0;
}
