/*
** metrics_http.c — the metrics over HTTP, for Prometheus (libmicrohttpd).
**
**   ksqlite_metrics_listen(k, "127.0.0.1:9464", &port, &zErr);
**   curl http://127.0.0.1:9464/metrics
**
** libmicrohttpd answers requests in its own thread. The engine is not
** thread-safe, so that thread never touches it: the thread that runs the
** views renders the text (metrics.c) into a snapshot at most once a second
** (ksq_metrics_tick(), from each runtime step), and the HTTP thread serves
** the latest snapshot under a mutex.
*/
#include "runtime.h"
#include "ksqlite.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define REFRESH_MS 1000 /* the snapshot is rendered at most this often */

typedef struct ksq_metrics_server {
    struct MHD_Daemon *daemon; /* the HTTP server */
    pthread_mutex_t mu;        /* guards zText */
    char *zText;               /* the latest snapshot (sqlite3_malloc'd) */
    int64_t renderedMs;        /* monotonic time it was rendered */
} ksq_metrics_server;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *uploadSize, void **reqCls)
{
    (void)version;
    (void)upload;
    (void)uploadSize;
    (void)reqCls;
    ksq_metrics_server *m = cls;
    struct MHD_Response *r;
    unsigned status = MHD_HTTP_OK;
    const char *zType = "text/plain; version=0.0.4; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(url, "/metrics") == 0) {
        pthread_mutex_lock(&m->mu);
        const char *z = m->zText ? m->zText : "";
        r = MHD_create_response_from_buffer(strlen(z), (void *)z, MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&m->mu);
    } else {
        status = strcmp(url, "/") == 0 ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND;
        static const char page[] = "ksqlite: the metrics are at /metrics\n";
        r = MHD_create_response_from_buffer(sizeof page - 1, (void *)page, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, zType);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Render a fresh snapshot now. */
static void refresh(ksqlite *k)
{
    ksq_metrics_server *m = k->metrics;
    char *z = ksq_metrics_prometheus(k);
    if (!z) return; /* out of memory: keep the old one */
    pthread_mutex_lock(&m->mu);
    char *old = m->zText;
    m->zText = z;
    pthread_mutex_unlock(&m->mu);
    sqlite3_free(old);
    m->renderedMs = ksq_monotonic_ms();
}

void ksq_metrics_tick(ksqlite *k)
{
    if (k->metrics && ksq_monotonic_ms() - k->metrics->renderedMs >= REFRESH_MS) refresh(k);
}

void ksq_metrics_stop(ksqlite *k)
{
    ksq_metrics_server *m = k->metrics;
    if (!m) return;
    if (m->daemon) MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->mu);
    sqlite3_free(m->zText);
    sqlite3_free(m);
    k->metrics = NULL;
}

/* "HOST:PORT", ":PORT" or "PORT" into an IPv4 socket address (host
** default 127.0.0.1: loopback unless asked). */
static int parse_addr(const char *zAddr, struct sockaddr_in *sa, char **pzErr)
{
    char host[64] = "127.0.0.1";
    const char *colon = strrchr(zAddr, ':');
    const char *zPort = colon ? colon + 1 : zAddr;
    if (colon && colon > zAddr) {
        size_t n = (size_t)(colon - zAddr);
        if (n >= sizeof host) n = sizeof host - 1;
        memcpy(host, zAddr, n);
        host[n] = 0;
        if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    }
    char *end;
    long port = strtol(zPort, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!zPort[0] || *end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        *pzErr = sqlite3_mprintf("--metrics %s: expected HOST:PORT with an IPv4 address, e.g. "
                                 "127.0.0.1:9464 (0.0.0.0 to listen on every interface)",
                                 zAddr);
        return SQLITE_ERROR;
    }
    return SQLITE_OK;
}

int ksqlite_metrics_listen(ksqlite *k, const char *zAddr, int *pPort, char **pzErr)
{
    struct sockaddr_in sa;
    char *zErr = NULL;
    if (k->metrics) {
        zErr = sqlite3_mprintf("the metrics are already served");
    } else if (parse_addr(zAddr, &sa, &zErr) == SQLITE_OK) {
        ksq_metrics_server *m = sqlite3_malloc(sizeof *m);
        if (!m) return KSQLITE_NOMEM;
        memset(m, 0, sizeof *m);
        pthread_mutex_init(&m->mu, NULL);
        k->metrics = m;
        refresh(k);
        m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                     NULL, answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                     MHD_OPTION_CONNECTION_LIMIT, 32u,
                                     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
        if (!m->daemon) {
            zErr = sqlite3_mprintf("cannot serve the metrics on %s (is the port in use?)", zAddr);
            ksq_metrics_stop(k);
        } else if (pPort) {
            const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
            *pPort = info ? info->port : ntohs(sa.sin_port);
        }
    }
    if (zErr) {
        if (pzErr) {
            *pzErr = zErr;
        } else {
            sqlite3_free(zErr);
        }
        return KSQLITE_ERROR;
    }
    return KSQLITE_OK;
}

char *ksqlite_metrics_text(ksqlite *k)
{
    return ksq_metrics_prometheus(k);
}
