/*
** broker.c — `ksqlite-broker`: a standalone embedded Kafka for tests and
** benchmarks.
**
**   ksqlite-broker --brokers 3 --topic weather:8 --topic alerts:1
**   127.0.0.1:39123,127.0.0.1:41001,127.0.0.1:35511     <- first line of stdout
**
** Prints the bootstrap address, creates the topics, and runs until SIGTERM
** or SIGINT. Retention of the mock: each partition keeps at most 5 MiB or
** 100,000 message sets and silently evicts the oldest.
*/
#include "ksqlite.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(void)
{
    fputs("Usage: ksqlite-broker [--brokers N] [--topic NAME[:PARTITIONS]]...\n"
          "Starts librdkafka's mock Kafka cluster on loopback, prints its bootstrap\n"
          "address on stdout and runs until SIGTERM or SIGINT.\n",
          stderr);
}

int main(int argc, char **argv)
{
    int nBrokers = 1;
    const char *azTopic[64];
    int nTopic = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-') a++;
        if (strcmp(a, "brokers") == 0 && i + 1 < argc) {
            nBrokers = atoi(argv[++i]);
        } else if (strcmp(a, "topic") == 0 && i + 1 < argc && nTopic < 64) {
            azTopic[nTopic++] = argv[++i];
        } else {
            usage();
            return strcmp(a, "help") == 0 ? 0 : 1;
        }
    }
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
    while (!g_stop) pause();
    ksqlite_mock_stop(m);
    return 0;
}
