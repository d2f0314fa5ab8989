/*
** log.c — one-line logs on stderr, for services and the shell alike:
**
**   ksqlite: WARN: partition weather[3] idle for 30 s, not holding the watermark
**
** Callers never pass secrets; option values are logged only after redaction.
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
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ksqlite: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], buf);
}

void ksq_crash_point(const char *zPoint)
{
    const char *z = getenv("KSQLITE_CRASH_AT");
    if (z && strcmp(z, zPoint) == 0) _exit(137);
}
