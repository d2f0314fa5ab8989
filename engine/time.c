/*
** time.c — event time: timestamp parsing and formatting, durations, clocks.
**
**   ksq_time_parse("2026-11-21T13:05:00.250+01:00", -1, &ms)  -> 12:05:00.250 UTC
**   ksq_time_parse("1763730300.25", -1, &ms)                  -> epoch seconds
**   ksq_time_parse("1763730300250", -1, &ms)                  -> epoch milliseconds
**   ksq_time_format(ms, buf)  -> "2026-11-21 12:05:00.250"
**   ksq_duration_parse("1 hour 30 minutes", &ms) -> 5400000
**
** Calendar arithmetic uses the proleptic Gregorian calendar (days_from_civil
** and civil_from_days, after H. Hinnant's public-domain algorithms).
*/
#include "ksq_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MS_PER_DAY         86400000LL
#define MIN_MS             (-62167219200000LL) /* 0000-01-01 00:00:00 */
#define MAX_MS             (253402300799999LL) /* 9999-12-31 23:59:59.999 */
#define EPOCH_MS_THRESHOLD 1e11                /* below: seconds, at or above: milliseconds */

/* Days since 1970-01-01 of a civil date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Civil date of a count of days since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *py, int *pm, int *pd)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *pd = (int)(doy - (153 * mp + 2) / 5 + 1);
    *pm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *py = yoe + era * 400 + (*pm <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dim[m - 1];
}

int ksq_time_from_double(double v, int64_t *pMs)
{
    if (!isfinite(v)) return -1;
    double ms = fabs(v) >= EPOCH_MS_THRESHOLD ? v : v * 1000.0;
    ms = floor(ms + 0.5);
    if (ms < (double)MIN_MS || ms > (double)MAX_MS) return -1;
    *pMs = (int64_t)ms;
    return 0;
}

int ksq_time_from_int(int64_t v, int64_t *pMs)
{
    int64_t ms;
    if (v >= (int64_t)EPOCH_MS_THRESHOLD || v <= -(int64_t)EPOCH_MS_THRESHOLD) {
        ms = v;
    } else {
        ms = v * 1000;
    }
    if (ms < MIN_MS || ms > MAX_MS) return -1;
    *pMs = ms;
    return 0;
}

/* Read exactly n digits at z into *pv. */
static int read_digits(const char *z, const char *end, int n, int *pv)
{
    int v = 0;
    if (end - z < n) return -1;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)z[i])) return -1;
        v = v * 10 + (z[i] - '0');
    }
    *pv = v;
    return 0;
}

/* A plain decimal number, optionally signed, with optional fraction. */
static int parse_number(const char *z, const char *end, int64_t *pMs)
{
    const char *p = z;
    int isInt = 1;
    if (p < end && (*p == '-' || *p == '+')) p++;
    if (p == end) return -1;
    int nDigit = 0;
    while (p < end && isdigit((unsigned char)*p)) p++, nDigit++;
    if (p < end && *p == '.') {
        isInt = 0;
        p++;
        while (p < end && isdigit((unsigned char)*p)) p++, nDigit++;
    }
    if (p != end || nDigit == 0) return -1;
    char buf[64];
    size_t n = (size_t)(end - z);
    if (n >= sizeof buf) return -1;
    memcpy(buf, z, n);
    buf[n] = 0;
    if (isInt && n < 19) return ksq_time_from_int(strtoll(buf, 0, 10), pMs);
    return ksq_time_from_double(strtod(buf, 0), pMs);
}

int ksq_time_parse(const char *z, int n, int64_t *pMs)
{
    if (!z) return -1;
    if (n < 0) n = (int)strlen(z);
    const char *end = z + n;
    while (z < end && isspace((unsigned char)*z)) z++;
    while (end > z && isspace((unsigned char)end[-1])) end--;
    if (z == end) return -1;

    /* ISO-8601 starts with four digits and a dash; anything else is a number. */
    if (end - z < 5 || z[4] != '-') return parse_number(z, end, pMs);

    int y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
    const char *p = z;
    if (read_digits(p, end, 4, &y) || p[4] != '-' || read_digits(p + 5, end, 2, &mo)) return -1;
    p += 7;
    if (p >= end || *p != '-' || read_digits(p + 1, end, 2, &d)) return -1;
    p += 3;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
    if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
        p++;
        if (read_digits(p, end, 2, &h) || p + 2 >= end || p[2] != ':' ||
            read_digits(p + 3, end, 2, &mi))
            return -1;
        p += 5;
        if (p < end && *p == ':') {
            if (read_digits(p + 1, end, 2, &s)) return -1;
            p += 3;
            if (p < end && (*p == '.' || *p == ',')) {
                int nf = 0;
                p++;
                if (p >= end || !isdigit((unsigned char)*p)) return -1;
                while (p < end && isdigit((unsigned char)*p)) {
                    if (nf < 3) frac = frac * 10 + (*p - '0');
                    nf++, p++;
                }
                while (nf < 3) frac *= 10, nf++;
            }
        }
        if (h > 23 || mi > 59 || s > 60) return -1;
        if (s == 60) s = 59, frac = 999; /* a leap second is its minute's last instant */
    }
    int64_t offset_min = 0;
    if (p < end) {
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (read_digits(p, end, 2, &oh)) return -1;
            p += 2;
            if (p < end && *p == ':') p++;
            if (p < end) {
                if (read_digits(p, end, 2, &om)) return -1;
                p += 2;
            }
            if (oh > 18 || om > 59) return -1;
            offset_min = sign * (oh * 60 + om);
        }
    }
    if (p != end) return -1;
    int64_t ms = days_from_civil(y, mo, d) * MS_PER_DAY + h * 3600000LL + mi * 60000LL +
                 s * 1000LL + frac - offset_min * 60000LL;
    if (ms < MIN_MS || ms > MAX_MS) return -1;
    *pMs = ms;
    return 0;
}

void ksq_time_format(int64_t ms, char *out)
{
    if (ms < MIN_MS) ms = MIN_MS;
    if (ms > MAX_MS) ms = MAX_MS;
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) rem += MS_PER_DAY, days--;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60);
    int f = (int)(rem % 1000);
    /* Fixed-width digits by hand: this runs once per emitted row and event. */
    char *o = out;
    int yy = (int)y;
    o[0] = (char)('0' + yy / 1000), o[1] = (char)('0' + yy / 100 % 10);
    o[2] = (char)('0' + yy / 10 % 10), o[3] = (char)('0' + yy % 10), o[4] = '-';
    o[5] = (char)('0' + m / 10), o[6] = (char)('0' + m % 10), o[7] = '-';
    o[8] = (char)('0' + d / 10), o[9] = (char)('0' + d % 10), o[10] = ' ';
    o[11] = (char)('0' + h / 10), o[12] = (char)('0' + h % 10), o[13] = ':';
    o[14] = (char)('0' + mi / 10), o[15] = (char)('0' + mi % 10), o[16] = ':';
    o[17] = (char)('0' + s / 10), o[18] = (char)('0' + s % 10), o[19] = '.';
    o[20] = (char)('0' + f / 100), o[21] = (char)('0' + f / 10 % 10), o[22] = (char)('0' + f % 10);
    o[23] = 0;
}

/* Milliseconds in one unit named z[0..n), or 0 when it is not a unit. */
static int64_t unit_ms(const char *z, size_t n)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {
        {"ms", 1},
        {"msec", 1},
        {"msecs", 1},
        {"millisecond", 1},
        {"milliseconds", 1},
        {"s", 1000},
        {"sec", 1000},
        {"secs", 1000},
        {"second", 1000},
        {"seconds", 1000},
        {"m", 60000},
        {"min", 60000},
        {"mins", 60000},
        {"minute", 60000},
        {"minutes", 60000},
        {"h", 3600000},
        {"hr", 3600000},
        {"hrs", 3600000},
        {"hour", 3600000},
        {"hours", 3600000},
        {"d", MS_PER_DAY},
        {"day", MS_PER_DAY},
        {"days", MS_PER_DAY},
        {"w", 7 * MS_PER_DAY},
        {"week", 7 * MS_PER_DAY},
        {"weeks", 7 * MS_PER_DAY},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == n && strncasecmp(units[i].name, z, n) == 0) return units[i].ms;
    }
    return 0;
}

/* Read a decimal number ("12", "1.5", ".25") at *pp exactly, as
** *pMant / *pScale with *pScale a power of ten: binary floating point
** would make "1.1 hours" 3960000.0000000005 ms. Trailing zeros of the
** fraction are dropped. Returns 0, or -1 when there is no number or it
** has too many significant digits. */
static int read_decimal(const char **pp, int64_t *pMant, int64_t *pScale)
{
    const char *p = *pp;
    int64_t mant = 0, scale = 1;
    int nDigit = 0, inFrac = 0, nZero = 0;
    for (;; p++) {
        if (*p == '.' && !inFrac) {
            inFrac = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p)) break;
        int d = *p - '0';
        nDigit++;
        if (inFrac && d == 0) {
            nZero++; /* applied when a non-zero digit follows */
            continue;
        }
        for (int k = 0; k < nZero + 1; k++) {
            if (__builtin_mul_overflow(mant, 10, &mant)) return -1;
            if (inFrac && __builtin_mul_overflow(scale, 10, &scale)) return -1;
        }
        nZero = 0;
        if (__builtin_add_overflow(mant, d, &mant)) return -1;
    }
    if (nDigit == 0) return -1;
    *pp = p;
    *pMant = mant;
    *pScale = scale;
    return 0;
}

int ksq_duration_parse(const char *z, int64_t *pMs)
{
    int64_t total = 0;
    int nTerm = 0;
    if (!z) return -1;
    const char *p = z;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        int64_t mant, scale, term;
        if (read_decimal(&p, &mant, &scale)) return -1;
        while (isspace((unsigned char)*p)) p++;
        const char *u = p;
        while (isalpha((unsigned char)*p)) p++;
        int64_t ms = unit_ms(u, (size_t)(p - u));
        if (ms == 0) return -1;
        /* A term must be a whole number of milliseconds. */
        if (__builtin_mul_overflow(mant, ms, &term) || term % scale != 0) return -1;
        if (term / scale > 1000000000000000LL - total) return -1; /* at most 1e15 ms */
        total += term / scale;
        nTerm++;
    }
    if (nTerm == 0 || total < 1) return -1;
    *pMs = total;
    return 0;
}

int64_t ksq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ksq_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ksq_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int64_t ksq_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
