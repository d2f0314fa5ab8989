/*
** status.c — a status line on stderr, redrawn in place, while a pull query
** scans a topic or the continuous views catch up with theirs:
**
**   scanning 45.2% · 450,123 of 996,000 messages · 128,400 ev/s · lag 545,877
**   views catching up 60.0% · lag 4,000 · 12,000 ev/s · watermark 2026-11-23 19:40:00 · ...
**
** It appears only when stdout and stderr are both terminals, only once the
** work has taken 300 ms, is redrawn at most every 100 ms (from an SQLite
** progress handler during a statement) and is cleared before rows are
** printed and when the work ends. The figures come from ksqlite_get_status().
*/
#include "shell.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define STATUS_DELAY_MS   300  /* work shorter than this shows no line */
#define STATUS_REDRAW_MS  100  /* redraw at most this often */
#define CATCH_UP_LAG      1000 /* views this far behind are catching up */
#define CATCH_UP_DONE_LAG 100  /* ... and have caught up below this */

int64_t status_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A status line only on a terminal, for a person to read. */
static int status_wanted(void)
{
    return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

/* n with thousands separators into buf. */
static const char *group_digits(int64_t n, char *buf, size_t size)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", (long long)(n < 0 ? -n : n));
    size_t o = 0;
    if (n < 0 && o + 1 < size) buf[o++] = '-';
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* Write the line: blanks out the old one, truncated to the terminal. */
static void draw(shell *sh, const char *zText)
{
    int term = output_terminal_width();
    int max = term > 1 ? term - 1 : 79;
    /* Cut at a character boundary within max columns. */
    int n = 0, w = 0;
    while (zText[n] && w < max) {
        n++;
        while (((unsigned char)zText[n] & 0xC0) == 0x80) n++;
        w++;
    }
    fprintf(stderr, "\r\033[K%.*s", n, zText);
    fflush(stderr);
    sh->statusShown = 1;
}

void status_clear(shell *sh)
{
    if (!sh->statusShown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    sh->statusShown = 0;
}

/* The status of a pull query's scan. */
static void format_scan(const ksqlite_status *s, char *buf, size_t n)
{
    char a[32], b[32], c[32], d[32];
    double pct = s->nTotal > 0 ? 100.0 * (double)s->nRead / (double)s->nTotal : 0.0;
    snprintf(buf, n, "scanning %.1f%% · %s of %s messages · %s ev/s · lag %s", pct,
             group_digits(s->nRead, a, sizeof a), group_digits(s->nTotal, b, sizeof b),
             group_digits((int64_t)s->eventsPerSec, c, sizeof c),
             s->lag >= 0 ? group_digits(s->lag, d, sizeof d) : "?");
}

/* The status of the views catching up. */
static void format_views(const ksqlite_status *s, char *buf, size_t n)
{
    char a[32], b[32], wm[40] = "-";
    double pct = s->nTotal > 0 ? 100.0 * (double)s->nRead / (double)s->nTotal : 0.0;
    if (s->watermark >= 0) {
        time_t t = (time_t)(s->watermark / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(wm, sizeof wm, "%Y-%m-%d %H:%M:%S", &tm);
    }
    snprintf(buf, n,
             "views catching up %.1f%% · lag %s · %s ev/s · watermark %s · any key for the "
             "prompt",
             pct, group_digits(s->lag, a, sizeof a),
             group_digits((int64_t)s->eventsPerSec, b, sizeof b), wm);
}

/* SQLite's progress handler during a statement: redraw now and then. */
static int on_progress(void *pArg)
{
    shell *sh = pArg;
    if (sh->statusOff) return 0;
    int64_t now = status_now_ms();
    if (now - sh->statusStartMs < STATUS_DELAY_MS || now - sh->statusLastMs < STATUS_REDRAW_MS)
        return 0;
    sh->statusLastMs = now;
    ksqlite_status s;
    memset(&s, 0, sizeof s);
    ksqlite_get_status(sh->k, &s);
    if (!s.scanning) return 0;
    char buf[256];
    format_scan(&s, buf, sizeof buf);
    draw(sh, buf);
    return 0;
}

void status_begin(shell *sh)
{
    sh->statusOff = !status_wanted();
    sh->statusStartMs = status_now_ms();
    sh->statusLastMs = 0;
    if (!sh->statusOff) sqlite3_progress_handler(ksqlite_db(sh->k), 1000, on_progress, sh);
}

void status_end(shell *sh)
{
    sqlite3_progress_handler(ksqlite_db(sh->k), 0, NULL, NULL);
    status_clear(sh);
    sh->statusOff = 1;
}

void status_catch_up(shell *sh, int probeMs)
{
    if (!status_wanted() || ksqlite_view_count(sh->k) == 0) return;
    ksqlite_status s;
    memset(&s, 0, sizeof s);
    /* New views know their lag only once their sources have fetched the
    ** topics' metadata (until then it reads 0 or unknown): run them first. */
    if (probeMs > 0) ksqlite_run(sh->k, STATUS_REDRAW_MS);
    ksqlite_get_status(sh->k, &s);
    if (s.lag < 0 ? probeMs <= 0 : s.lag < CATCH_UP_LAG) return;
    /* Keys must reach us one by one (not a line at a time) and stay queued
    ** for readline; Ctrl-C still raises SIGINT. */
    struct termios saved, raw;
    int tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    int64_t start = status_now_ms(), last = 0, read0 = s.nRead;
    int catching = 0; /* the lag was seen above CATCH_UP_LAG */
    sh->sigint = 0;
    while (!sh->sigint && !sh->sigterm) {
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        if (poll(&pfd, 1, 0) > 0) break;
        memset(&s, 0, sizeof s);
        ksqlite_get_status(sh->k, &s);
        int64_t now = status_now_ms();
        if (s.lag < 0 && (catching || now - start > probeMs)) break; /* unknown */
        if (s.lag >= CATCH_UP_LAG) catching = 1;
        if (s.lag >= 0 && s.lag < (catching ? CATCH_UP_DONE_LAG : CATCH_UP_LAG)) break;
        if (catching && now - start >= STATUS_DELAY_MS && now - last >= STATUS_REDRAW_MS) {
            /* The views' own rate needs a few seconds; until then, ours. */
            double rate = (double)(s.nRead - read0) * 1000.0 / (double)(now - start);
            if (s.eventsPerSec < rate) s.eventsPerSec = rate;
            char buf[256];
            format_views(&s, buf, sizeof buf);
            draw(sh, buf);
            last = now;
        }
        if (ksqlite_run(sh->k, STATUS_REDRAW_MS) != KSQLITE_OK) break;
    }
    status_clear(sh);
    if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    sh->sigint = 0;
}
