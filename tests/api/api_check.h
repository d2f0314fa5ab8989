/*
** api_check.h — what the C API tests (tests/api/test_*.c) share: the cluster
** and topic they run against, CHECK (one "ok" line a check, exit 1 at the
** first failure), and the clocks they wait with. Each test is one program
** that includes this once.
*/
#ifndef KSQ_API_CHECK_H
#define KSQ_API_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *g_brokers, *g_topic; /* from the command line */
static int g_checks;                    /* checks passed so far */

#define CHECK(what, cond)                                                                          \
    do {                                                                                           \
        g_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: %s (%s:%d)\n", what, __FILE__, __LINE__);                       \
            exit(1);                                                                               \
        }                                                                                          \
        printf("ok %d - %s\n", g_checks, what);                                                    \
    } while (0)

/* Sleep for ms milliseconds. */
static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Milliseconds on the monotonic clock. */
static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif
