/*
** broker.c — `ksqlite-broker`: a standalone embedded Kafka for tests and
** benchmarks, with fault injection.
**
**   ksqlite-broker --brokers 3 --topic weather:8 --topic alerts:1
**   127.0.0.1:39123,127.0.0.1:41001,127.0.0.1:35511     <- first line of stdout
**
** Prints the bootstrap address, creates the topics, and runs until SIGTERM
** or SIGINT. Retention of the mock: each partition keeps at most 5 MiB or
** 100,000 message sets and silently evicts the oldest.
**
** With --control it also reads commands from stdin, one a line, while the
** cluster runs, and answers each on stdout with one line, "ok COMMAND" or
** "error: WHY" (EOF on stdin only ends the commands):
**
**   errors Fetch 10 NOT_LEADER_FOR_PARTITION    the next 10 Fetch requests fail
**   errors ListOffsets 3 _TRANSPORT             ... or the broker disconnects
**   broker-errors 2 Fetch 5 REQUEST_TIMED_OUT 300   on broker 2 only, answered after 300 ms
**   topic-error weather LEADER_NOT_AVAILABLE    Metadata reports the topic so (0 clears it)
**   clear-errors [API]                          drop the queued request errors
**   down 2 | up 2 | down all                    a broker refuses connections, or accepts again
**   leader weather 3 2                          partition 3's leader becomes broker 2 (-1: none)
**   rtt 1 500 | rtt all 0                       answers of broker 1 are delayed 500 ms
**   create alerts 4                             a topic with 4 partitions
**   clear                                       no request errors, every broker up, no delay
**
** APIs are named as in the Kafka protocol (Produce, Fetch, ListOffsets,
** Metadata, OffsetCommit, ... or their numbers); errors by librdkafka's
** names (NOT_LEADER_FOR_PARTITION, _TRANSPORT, ... or numbers). Request
** errors are the mock's (rd_kafka_mock_push_request_errors()): each of the
** next requests of that API, to any broker, gets the error in its response.
** librdkafka 2.0.2's mock answers Metadata without looking at them (they stay
** queued until cleared): use topic-error for Metadata faults.
*/
#define _GNU_SOURCE /* ppoll */
#include "ksq_int.h"
#include "ksqlite.h"

#include <ctype.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
/* SIGTERM and SIGINT are blocked from the start (the cluster's threads
** inherit that) and let in only while serve() waits, in sigsuspend() or
** ppoll() with this mask: a stop can be neither taken by another thread nor
** missed between the test of g_stop and the wait. */
static sigset_t g_waitMask;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(void)
{
    fputs("Usage: ksqlite-broker [--brokers N] [--topic NAME[:PARTITIONS]]... [--control]\n"
          "Starts librdkafka's mock Kafka cluster on loopback, prints its bootstrap\n"
          "address on stdout and runs until SIGTERM or SIGINT. With --control, reads\n"
          "fault-injection commands from stdin (see tools/broker.c) and acknowledges\n"
          "each on stdout.\n",
          stderr);
}

/* The Kafka protocol's request types, by name. */
static const struct {
    const char *zName;
    int16_t key;
} api_keys[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};
#define N_API_KEYS ((int)(sizeof api_keys / sizeof api_keys[0]))

/* Is z a whole decimal integer (optionally negative)? Sets *pv. */
static int parse_int(const char *z, long *pv)
{
    char *end;
    if (!z || !*z) return 0;
    errno = 0;
    long v = strtol(z, &end, 10);
    if (*end || errno) return 0;
    *pv = v;
    return 1;
}

/* An API key from its name (any case) or number; -1 if unknown. */
static int api_key(const char *z)
{
    long v;
    if (parse_int(z, &v)) return v >= 0 && v < 100 ? (int)v : -1;
    for (int i = 0; i < N_API_KEYS; i++) {
        if (strcasecmp(api_keys[i].zName, z) == 0) return api_keys[i].key;
    }
    return -1;
}

/* An error code from librdkafka's name for it (NOT_LEADER_FOR_PARTITION,
** _TRANSPORT; "ERR_" or "RD_KAFKA_RESP_ERR_" in front allowed, any case) or
** its number. Returns 0 and sets *pErr, or -1 if unknown. */
static int error_code(const char *z, rd_kafka_resp_err_t *pErr)
{
    long v;
    if (parse_int(z, &v)) {
        *pErr = (rd_kafka_resp_err_t)v;
        return 0;
    }
    if (strncasecmp(z, "RD_KAFKA_RESP_", 14) == 0) z += 14;
    if (strncasecmp(z, "ERR_", 4) == 0) z += 4;
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && strcasecmp(descs[i].name, z) == 0) {
            *pErr = descs[i].code;
            return 0;
        }
    }
    return -1;
}

/* A broker id, or "all" (-1). Returns 0 and sets *pId, or -1. */
static int broker_id(const char *z, int32_t *pId)
{
    long v;
    if (z && strcasecmp(z, "all") == 0) {
        *pId = -1;
        return 0;
    }
    if (!parse_int(z, &v) || v < -1) return -1;
    *pId = (int32_t)v;
    return 0;
}

/* Split line (modified in place) into at most nMax words; returns the count. */
static int split_words(char *line, char **azWord, int nMax)
{
    int n = 0;
    char *p = line;
    while (n < nMax) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        azWord[n++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = 0;
    }
    return n;
}

/* Run one command on the cluster. Returns NULL on success, or a message
** saying what was wrong (static text or zBuf). */
static const char *run_command(ksqlite_mock *m, char **az, int n, char *zBuf, size_t nBuf)
{
    rd_kafka_mock_cluster_t *mc = ksq_mock_cluster(m);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    const char *cmd = n > 0 ? az[0] : "";
    long count, v;
    int32_t id;
    if (strcmp(cmd, "errors") == 0) {
        int key = n == 4 ? api_key(az[1]) : -1;
        rd_kafka_resp_err_t e;
        if (n != 4 || key < 0 || !parse_int(az[2], &count) || count < 0 || count > 100000 ||
            error_code(az[3], &e))
            return "usage: errors API COUNT ERROR";
        for (long i = 0; i < count; i++) rd_kafka_mock_push_request_errors(mc, (int16_t)key, 1, e);
    } else if (strcmp(cmd, "broker-errors") == 0) {
        int key = n == 6 ? api_key(az[2]) : -1;
        rd_kafka_resp_err_t e;
        long rtt;
        if (n != 6 || broker_id(az[1], &id) || id < 0 || key < 0 || !parse_int(az[3], &count) ||
            count < 0 || count > 100000 || error_code(az[4], &e) || !parse_int(az[5], &rtt) ||
            rtt < 0)
            return "usage: broker-errors BROKER API COUNT ERROR RTT_MS";
        for (long i = 0; i < count && !err; i++)
            err =
                rd_kafka_mock_broker_push_request_error_rtts(mc, id, (int16_t)key, 1, e, (int)rtt);
    } else if (strcmp(cmd, "topic-error") == 0) {
        rd_kafka_resp_err_t e;
        if (n != 3 || error_code(az[2], &e)) return "usage: topic-error TOPIC ERROR";
        rd_kafka_mock_topic_set_error(mc, az[1], e);
    } else if (strcmp(cmd, "clear-errors") == 0 || strcmp(cmd, "clear") == 0) {
        int key = n == 2 ? api_key(az[1]) : -1;
        if (n > 2 || (n == 2 && (key < 0 || strcmp(cmd, "clear") == 0)))
            return "usage: clear-errors [API] | clear";
        if (key >= 0) {
            rd_kafka_mock_clear_request_errors(mc, (int16_t)key);
        } else {
            for (int i = 0; i < N_API_KEYS; i++)
                rd_kafka_mock_clear_request_errors(mc, api_keys[i].key);
        }
        if (strcmp(cmd, "clear") == 0) {
            err = rd_kafka_mock_broker_set_up(mc, -1);
            if (!err) err = rd_kafka_mock_broker_set_rtt(mc, -1, 0);
        }
    } else if (strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) {
        if (n != 2 || broker_id(az[1], &id)) return "usage: down BROKER | up BROKER";
        err = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                            : rd_kafka_mock_broker_set_up(mc, id);
    } else if (strcmp(cmd, "leader") == 0) {
        if (n != 4 || !parse_int(az[2], &v) || v < 0 || broker_id(az[3], &id))
            return "usage: leader TOPIC PARTITION BROKER";
        err = rd_kafka_mock_partition_set_leader(mc, az[1], (int32_t)v, id);
    } else if (strcmp(cmd, "rtt") == 0) {
        if (n != 3 || broker_id(az[1], &id) || !parse_int(az[2], &v) || v < 0 || v > 600000)
            return "usage: rtt BROKER MS";
        err = rd_kafka_mock_broker_set_rtt(mc, id, (int)v);
    } else if (strcmp(cmd, "create") == 0) {
        char *zErr = NULL;
        if (n != 3 || !parse_int(az[2], &v) || v < 1 || v > 10000)
            return "usage: create TOPIC PARTITIONS";
        if (ksqlite_mock_create_topic(m, az[1], (int)v, &zErr) != KSQLITE_OK) {
            snprintf(zBuf, nBuf, "%s", zErr ? zErr : "cannot create the topic");
            ksqlite_free(zErr);
            return zBuf;
        }
    } else {
        return "unknown command (errors, broker-errors, topic-error, clear-errors, down, up, "
               "leader, rtt, create, clear)";
    }
    if (err) {
        snprintf(zBuf, nBuf, "%s", rd_kafka_err2str(err));
        return zBuf;
    }
    return NULL;
}

/* Answer one command line on stdout. */
static void handle_line(ksqlite_mock *m, char *line)
{
    char copy[512], msg[512];
    snprintf(copy, sizeof copy, "%s", line);
    char *az[8];
    int n = split_words(line, az, 8);
    if (n == 0) return;
    const char *zWhy = run_command(m, az, n, msg, sizeof msg);
    if (zWhy) {
        printf("error: %s\n", zWhy);
    } else {
        char *p = copy;
        while (isspace((unsigned char)*p)) p++;
        p[strcspn(p, "\r\n")] = 0;
        printf("ok %s\n", p);
    }
    fflush(stdout);
}

/* Until SIGTERM or SIGINT: with control, read and run commands from stdin
** (until its end; then just wait). */
static void serve(ksqlite_mock *m, int control)
{
    char buf[4096];
    size_t used = 0;
    while (!g_stop) {
        if (!control) {
            sigsuspend(&g_waitMask);
            continue;
        }
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        struct timespec wait = {.tv_sec = 0, .tv_nsec = 500 * 1000000L};
        int r = ppoll(&pfd, 1, &wait, &g_waitMask);
        if (r <= 0) continue; /* a signal, or nothing yet */
        ssize_t got = read(STDIN_FILENO, buf + used, sizeof buf - 1 - used);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            control = 0; /* end of the commands */
            continue;
        }
        used += (size_t)got;
        buf[used] = 0;
        char *start = buf, *nl;
        while ((nl = strchr(start, '\n')) != NULL) {
            *nl = 0;
            handle_line(m, start);
            start = nl + 1;
        }
        used = strlen(start);
        memmove(buf, start, used + 1);
        if (used == sizeof buf - 1) {
            printf("error: line too long\n");
            fflush(stdout);
            used = 0;
        }
    }
}

int main(int argc, char **argv)
{
    int nBrokers = 1, control = 0;
    const char *azTopic[64];
    int nTopic = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-') a++;
        if (strcmp(a, "brokers") == 0 && i + 1 < argc) {
            nBrokers = atoi(argv[++i]);
        } else if (strcmp(a, "topic") == 0 && i + 1 < argc && nTopic < 64) {
            azTopic[nTopic++] = argv[++i];
        } else if (strcmp(a, "control") == 0) {
            control = 1;
        } else {
            usage();
            return strcmp(a, "help") == 0 ? 0 : 1;
        }
    }
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stops, &g_waitMask);
    ksqlite_mock *m;
    char *zErr = NULL;
    if (ksqlite_mock_start(nBrokers, &m, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "ksqlite-broker: %s\n", zErr ? zErr : "cannot start");
        return 1;
    }
    for (int t = 0; t < nTopic; t++) {
        char name[256];
        snprintf(name, sizeof name, "%s", azTopic[t]);
        char *colon = strrchr(name, ':');
        int parts = 4;
        if (colon) {
            *colon = 0;
            parts = atoi(colon + 1);
        }
        if (parts < 1 || ksqlite_mock_create_topic(m, name, parts, &zErr) != KSQLITE_OK) {
            fprintf(stderr, "ksqlite-broker: topic %s: %s\n", azTopic[t],
                    zErr ? zErr : "bad partition count");
            ksqlite_mock_stop(m);
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("%s\n", ksqlite_mock_bootstrap(m));
    fflush(stdout);
    serve(m, control);
    ksqlite_mock_stop(m);
    return 0;
}
