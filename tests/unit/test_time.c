/* test_time.c — timestamps, formatting and durations (engine/time.c). */
#include "check.h"
#include "ksq_int.h"

static long long parse(const char *z)
{
    int64_t ms;
    return ksq_time_parse(z, -1, &ms) == 0 ? (long long)ms : -999;
}

static const char *fmt(int64_t ms)
{
    static char buf[32];
    ksq_time_format(ms, buf);
    return buf;
}

static long long dur(const char *z)
{
    int64_t ms;
    return ksq_duration_parse(z, &ms) == 0 ? (long long)ms : -1;
}

int main(void)
{
    /* ISO-8601 forms */
    CHECK_INT(parse("1970-01-01"), 0);
    CHECK_INT(parse("1970-01-01T00:00:01Z"), 1000);
    CHECK_INT(parse("2026-11-21T13:05:00Z"), 1795266300000LL);
    CHECK_INT(parse("2026-11-21 13:05:00"), 1795266300000LL);
    CHECK_INT(parse("2026-11-21T13:05:00.250Z"), 1795266300250LL);
    CHECK_INT(parse("2026-11-21T13:05:00.2509Z"), 1795266300250LL);
    CHECK_INT(parse("2026-11-21T13:05:00.2Z"), 1795266300200LL);
    CHECK_INT(parse("2026-11-21T14:05:00+01:00"), 1795266300000LL);
    CHECK_INT(parse("2026-11-21T08:05:00-0500"), 1795266300000LL);
    CHECK_INT(parse("2026-11-21T13:05Z"), 1795266300000LL);
    CHECK_INT(parse("  2026-11-21T13:05:00Z  "), 1795266300000LL);
    CHECK_INT(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
    CHECK_INT(parse("1969-12-31T23:59:59.999Z"), -1);
    CHECK_INT(parse("2026-11-21T23:59:60Z"), parse("2026-11-21T23:59:59.999Z"));
    /* numbers: seconds below 1e11, milliseconds above */
    CHECK_INT(parse("1795266300"), 1795266300000LL);
    CHECK_INT(parse("1795266300.25"), 1795266300250LL);
    CHECK_INT(parse("1795266300250"), 1795266300250LL);
    CHECK_INT(parse("0"), 0);
    /* rejects */
    CHECK_INT(parse(""), -999);
    CHECK_INT(parse("yesterday"), -999);
    CHECK_INT(parse("2026-13-01"), -999);
    CHECK_INT(parse("2026-02-30"), -999);
    CHECK_INT(parse("2023-02-29"), -999);
    CHECK_INT(parse("2026-11-21T25:00:00Z"), -999);
    CHECK_INT(parse("2026-11-21T13:05:00X"), -999);
    CHECK_INT(parse("2026-11-21T13:05:00.Z"), -999);
    CHECK_INT(parse("1e400"), -999);
    CHECK_INT(parse("12abc"), -999);
    /* explicit length */
    int64_t ms;
    CHECK(ksq_time_parse("2026-11-21T13:05:00Zjunk", 20, &ms) == 0 && ms == 1795266300000LL);
    CHECK(ksq_time_from_double(1795266300.1234, &ms) == 0 && ms == 1795266300123LL);
    CHECK(ksq_time_from_int(1795266300, &ms) == 0 && ms == 1795266300000LL);
    CHECK(ksq_time_from_int(INT64_MAX, &ms) != 0);

    /* formatting */
    CHECK_STR(fmt(0), "1970-01-01 00:00:00.000");
    CHECK_STR(fmt(1795266300250LL), "2026-11-21 13:05:00.250");
    CHECK_STR(fmt(-1), "1969-12-31 23:59:59.999");
    CHECK_STR(fmt(951782400000LL), "2000-02-29 00:00:00.000");
    /* round trip over a range of instants */
    int bad = 0;
    for (int64_t t = -5000000000000LL; t < 5000000000000LL; t += 7777777777LL + 13) {
        int64_t back;
        if (ksq_time_parse(fmt(t), -1, &back) != 0 || back != t) bad++;
    }
    CHECK_INT(bad, 0);

    /* durations */
    CHECK_INT(dur("250 milliseconds"), 250);
    CHECK_INT(dur("10 seconds"), 10000);
    CHECK_INT(dur("1 minute"), 60000);
    CHECK_INT(dur("2 hours"), 7200000);
    CHECK_INT(dur("1 day"), 86400000);
    CHECK_INT(dur("1 hour 30 minutes"), 5400000);
    CHECK_INT(dur("1.5h"), 5400000);
    CHECK_INT(dur("500ms"), 500);
    CHECK_INT(dur("5 SECONDS"), 5000);
    CHECK_INT(dur("1 week"), 604800000);
    CHECK_INT(dur(""), -1);
    CHECK_INT(dur("0 seconds"), -1);
    CHECK_INT(dur("10"), -1);
    CHECK_INT(dur("ten seconds"), -1);
    CHECK_INT(dur("1 fortnight"), -1);
    CHECK_INT(dur("0.5 ms"), -1);
    return check_done("test_time");
}
