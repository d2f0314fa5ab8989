/*
** fuzz_time.c — timestamps and durations (engine/time.c).
**
** The input is parsed as a timestamp (with an explicit length: it is not
** NUL-terminated) and as a duration; its first 8 bytes are also read as an
** int64 and a double and turned into timestamps. Properties:
**
**   - a parsed timestamp lies in years 0000-9999, and formatting it then
**     parsing the text gives the same milliseconds;
**   - ksq_time_format() always writes "YYYY-MM-DD HH:MM:SS.SSS";
**   - a parsed duration is 1 ms .. 1e15 ms, and "<ms> milliseconds" and the
**     largest-unit spelling ("<n> minutes") parse back to it.
*/
#include "fuzz.h"

#define MIN_MS (-62167219200000LL) /* 0000-01-01 00:00:00.000 */
#define MAX_MS (253402300799999LL) /* 9999-12-31 23:59:59.999 */

/* ms formats to the fixed pattern and parses back to itself. */
static void check_round_trip(int64_t ms)
{
    char text[KSQ_TIME_TEXT_LEN + 1];
    int64_t back = 0;
    FUZZ_ASSERT(ms >= MIN_MS && ms <= MAX_MS);
    ksq_time_format(ms, text);
    FUZZ_ASSERT(strlen(text) == KSQ_TIME_TEXT_LEN);
    static const char pattern[] = "dddd-dd-dd dd:dd:dd.ddd";
    for (int i = 0; i < KSQ_TIME_TEXT_LEN; i++) {
        FUZZ_ASSERT(pattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == pattern[i]);
    }
    FUZZ_ASSERT(ksq_time_parse(text, -1, &back) == 0);
    FUZZ_ASSERT(back == ms);
}

/* A parsed duration reads back from its spelling in milliseconds and in its
** largest whole unit. */
static void check_duration(int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *name;
    } units[] = {{604800000, "weeks"}, {86400000, "days"}, {3600000, "hours"},
                 {60000, "minutes"},   {1000, "seconds"},  {1, "milliseconds"}};
    char text[64];
    int64_t back = 0;
    FUZZ_ASSERT(ms >= 1 && ms <= 1000000000000000LL);
    snprintf(text, sizeof text, "%lld ms", (long long)ms);
    FUZZ_ASSERT(ksq_duration_parse(text, &back) == 0 && back == ms);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (ms % units[u].ms) continue;
        snprintf(text, sizeof text, "%lld %s", (long long)(ms / units[u].ms), units[u].name);
        back = 0;
        FUZZ_ASSERT(ksq_duration_parse(text, &back) == 0 && back == ms);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t ms;
    if (size > 4096) return 0;

    /* Timestamps, read with an explicit length from a buffer without NUL. */
    if (ksq_time_parse((const char *)data, (int)size, &ms) == 0) check_round_trip(ms);

    /* The same text, NUL-terminated, as a duration. */
    char *z = fuzz_cstr(data, size);
    if (ksq_duration_parse(z, &ms) == 0) check_duration(ms);
    free(z);

    /* Numbers as event times: epoch seconds below 1e11, milliseconds above. */
    if (size >= 8) {
        int64_t v;
        double d;
        memcpy(&v, data, 8);
        memcpy(&d, data, 8);
        if (ksq_time_from_int(v, &ms) == 0) check_round_trip(ms);
        if (ksq_time_from_double(d, &ms) == 0) check_round_trip(ms);
        /* Any instant in range formats and reads back. */
        int64_t span = MAX_MS - MIN_MS + 1;
        int64_t r = v % span;
        if (r < 0) r += span;
        check_round_trip(MIN_MS + r);
    }
    return 0;
}
