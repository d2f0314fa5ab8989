/*
** fuzz.h — helpers shared by the libFuzzer targets in tests/fuzz/.
**
** Each target defines LLVMFuzzerTestOneInput(data, size). Built with
** KSQ_FUZZ=ON (clang) it links libFuzzer; otherwise replay.c supplies a
** main() that runs the target over the files of its corpus, so every saved
** input (the crash regressions included) runs in the ordinary test suite.
**
** A target fails by crashing: a sanitizer report, or FUZZ_ASSERT() on a
** property the engine promises (round trips, error messages that are valid
** UTF-8, spans inside their token list).
*/
#ifndef KSQ_FUZZ_H
#define KSQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksq_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with the failed property and where it is: libFuzzer saves the input
** as a crash artifact. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated copy of the input (from malloc; the caller frees it).
** Bytes after an embedded NUL are kept but C string functions stop there. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);
    if (!z) abort();
    if (size) memcpy(z, data, size);
    z[size] = 0;
    return z;
}

/* Is z[0..n) valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF)? */
static inline int fuzz_utf8_valid(const char *z, size_t n)
{
    const unsigned char *p = (const unsigned char *)z, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || (size_t)(end - p) < len) return 0;
        unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += len;
    }
    return 1;
}

/* An error message a user sees: non-empty, printable (no control
** characters), valid UTF-8. */
static inline int fuzz_message_ok(const char *z)
{
    if (!z || !z[0]) return 0;
    for (const char *p = z; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7F) return 0;
    }
    return fuzz_utf8_valid(z, strlen(z));
}

#endif /* KSQ_FUZZ_H */
