/*
** log.c — one-line logs on stderr, for services and the shell alike:
**
**   2026-11-23T19:59:12.992Z ksqlite[4242] WARN: sink alerts: cannot write ...: No space left
**
** Each line is the UTC time, the program and its pid, the level (ERROR, WARN,
** INFO, DEBUG) and the message, with line breaks turned into spaces so one
** event is one line (journald, docker logs and grep keep it whole). Callers
** never pass secrets: option values are left out of messages (kafka_conf.c).
*/
#include "ksq_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ksq_log_level = KSQ_LOG_WARN;

void ksq_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if (level > ksq_log_level) return;
    char buf[1024], when[KSQ_TIME_TEXT_LEN + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r') *p = ' ';
    }
    ksq_time_format(ksq_now_ms(), when);
    when[10] = 'T';
    fprintf(stderr, "%sZ ksqlite[%d] %s: %s\n", when, (int)getpid(),
            names[level < 0   ? 0
                  : level > 3 ? 3
                              : level],
            buf);
}

void ksq_crash_point(const char *zPoint)
{
    const char *z = getenv("KSQLITE_CRASH_AT");
    if (z && strcmp(z, zPoint) == 0) _exit(137);
}
