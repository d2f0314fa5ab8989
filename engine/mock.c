/*
** mock.c — the embedded Kafka: librdkafka's mock cluster, in-process.
**
**   ksqlite_mock *m;
**   ksqlite_mock_start(1, &m, &zErr);
**   printf("%s\n", ksqlite_mock_bootstrap(m));      // 127.0.0.1:40123
**   ksqlite_mock_create_topic(m, "weather", 4, &zErr);
**
** The brokers listen on loopback TCP, so kcat and other processes can use
** them. Limits of the mock (librdkafka 2.0.2): each partition keeps at most
** 5 MiB or 100,000 message sets and silently drops the oldest beyond that;
** no SASL/TLS, no transaction markers.
*/
#include "ksq_int.h"
#include "ksqlite.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

struct ksqlite_mock {
    rd_kafka_t *rk;                    /* the handle that owns the cluster */
    rd_kafka_mock_cluster_t *mcluster; /* the cluster */
    char *zBootstrap;                  /* "127.0.0.1:port,..." */
};

int ksqlite_mock_start(int nBrokers, ksqlite_mock **ppMock, char **pzErr)
{
    char err[512];
    if (nBrokers < 1 || nBrokers > 16) {
        if (pzErr) *pzErr = sqlite3_mprintf("--mock takes 1 to 16 brokers, not %d", nBrokers);
        return SQLITE_ERROR;
    }
    ksqlite_mock *m = sqlite3_malloc(sizeof *m);
    if (!m) return SQLITE_NOMEM;
    memset(m, 0, sizeof *m);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* This handle only hosts the cluster; it never connects anywhere. */
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!m->rk) {
        rd_kafka_conf_destroy(conf);
        if (pzErr) *pzErr = sqlite3_mprintf("cannot start the embedded Kafka: %s", err);
        sqlite3_free(m);
        return SQLITE_ERROR;
    }
    m->mcluster = rd_kafka_mock_cluster_new(m->rk, nBrokers);
    if (!m->mcluster) {
        if (pzErr) *pzErr = sqlite3_mprintf("cannot start the embedded Kafka (mock cluster)");
        rd_kafka_destroy(m->rk);
        sqlite3_free(m);
        return SQLITE_ERROR;
    }
    m->zBootstrap = sqlite3_mprintf("%s", rd_kafka_mock_cluster_bootstraps(m->mcluster));
    if (!m->zBootstrap) {
        ksqlite_mock_stop(m);
        return SQLITE_NOMEM;
    }
    *ppMock = m;
    return SQLITE_OK;
}

const char *ksqlite_mock_bootstrap(const ksqlite_mock *m)
{
    return m->zBootstrap;
}

int ksqlite_mock_create_topic(ksqlite_mock *m, const char *zTopic, int nPartition, char **pzErr)
{
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(m->mcluster, zTopic, nPartition, 1);
    if (err) {
        if (pzErr)
            *pzErr = sqlite3_mprintf("cannot create topic '%s': %s", zTopic, rd_kafka_err2str(err));
        return SQLITE_ERROR;
    }
    return SQLITE_OK;
}

void *ksq_mock_cluster(ksqlite_mock *m)
{
    return m->mcluster;
}

void ksqlite_mock_stop(ksqlite_mock *m)
{
    if (!m) return;
    if (m->mcluster) rd_kafka_mock_cluster_destroy(m->mcluster);
    if (m->rk) rd_kafka_destroy(m->rk);
    sqlite3_free(m->zBootstrap);
    sqlite3_free(m);
}
