/*
** fuzz_hive.c — Hive partition paths and CSV fields of the file sinks
** (engine/sink_format.c).
**
** The input is a partition value. Properties:
**
**   - the escaped value holds no '/', no control byte and none of the bytes
**     Hive escapes, so "key=<escaped>" is one path component that cannot
**     leave the sink's root (it is never "." or "..", since it starts with
**     "key=");
**   - it fits a file name: at most KSQ_HIVE_MAX_VALUE bytes plus the cut
**     marker and hash;
**   - an uncut value unescapes back to the input exactly; an empty one is
**     __HIVE_DEFAULT_PARTITION__;
**   - the value as a CSV field reads back (RFC 4180 quoting undone) to the
**     input, with the formula guard's apostrophe only where it applies.
*/
#include "fuzz.h"
#include "sink.h"

/* Undo RFC 4180 quoting of one field; returns the length written to out. */
static int csv_unquote(const char *z, int n, char *out)
{
    if (n == 0 || z[0] != '"') {
        memcpy(out, z, (size_t)n);
        return n;
    }
    FUZZ_ASSERT(n >= 2 && z[n - 1] == '"');
    int j = 0;
    for (int i = 1; i < n - 1; i++) {
        if (z[i] == '"') {
            FUZZ_ASSERT(i + 1 < n - 1 && z[i + 1] == '"'); /* quotes inside are doubled */
            i++;
        }
        out[j++] = z[i];
    }
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = (int)size;
    sqlite3_str *s = sqlite3_str_new(NULL);
    int cut = ksq_hive_escape(s, data, n);
    int m = sqlite3_str_length(s);
    char *esc = sqlite3_str_finish(s);
    FUZZ_ASSERT(esc != NULL);
    for (int i = 0; i < m; i++) {
        unsigned char c = (unsigned char)esc[i];
        FUZZ_ASSERT(c >= 0x20 && c != 0x7f && !strchr("\"#'*/:=?\\{[]^", c));
    }
    FUZZ_ASSERT(m <= KSQ_HIVE_MAX_VALUE + 3 + 1 + 16);
    if (n == 0) FUZZ_ASSERT(strcmp(esc, "__HIVE_DEFAULT_PARTITION__") == 0);
    if (!cut && n > 0) {
        char *back = malloc((size_t)m + 1);
        int k = ksq_hive_unescape(esc, m, back);
        FUZZ_ASSERT(k == n && memcmp(back, data, (size_t)n) == 0);
        free(back);
    }
    sqlite3_free(esc);

    /* The same bytes as a CSV field, with and without the formula guard. */
    for (int guard = 0; guard <= 1; guard++) {
        s = sqlite3_str_new(NULL);
        ksq_csv_text(s, (const char *)data, n, guard);
        int f = sqlite3_str_length(s);
        char *field = sqlite3_str_finish(s);
        FUZZ_ASSERT(field != NULL || f == 0);
        char *back = malloc((size_t)f + 1);
        int k = csv_unquote(field ? field : "", f, back);
        int guarded = guard && n > 0 && data[0] && strchr("=+-@\t\r", data[0]);
        FUZZ_ASSERT(k == n + guarded);
        FUZZ_ASSERT(!guarded || back[0] == '\'');
        FUZZ_ASSERT(memcmp(back + guarded, data, (size_t)n) == 0);
        free(back);
        sqlite3_free(field);
    }
    return 0;
}
