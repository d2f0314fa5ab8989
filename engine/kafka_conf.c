/*
** kafka_conf.c — librdkafka configurations built from stream options.
**
**   WITH (brokers = 'kafka1:9092', 'security.protocol' = 'SASL_SSL',
**         'sasl.password' = '${KAFKA_PASSWORD}')
**
** Quoted keys are librdkafka properties; `${NAME}` is taken from the
** environment when the connection is made. Three kinds of property are
** refused: those that load or run code (plugins, kinit commands, OpenSSL
** engines), secrets written literally (they would be stored in the
** database), and TLS verification turned off without `insecure_tls = 'yes'`.
*/
#include "ksq_int.h"

#include <ctype.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Properties that make librdkafka load a library or run a command:
** plugins (dlopen), the Kerberos kinit command (a shell), OpenSSL engines
** (a library path, or an engine id looked up as a dynamic engine) and
** OpenSSL 3 providers (a provider name can be the path of a module). */
static const char *const refused_properties[] = {
    "plugin.library.paths",     "sasl.kerberos.kinit.cmd", "ssl.engine.location", "ssl.engine.id",
    "ssl_engine_callback_data", "ssl.providers",           "interceptors",
};

/* Properties librdkafka pastes into its default kinit command, which runs
** in a shell: their values must not hold shell syntax. */
static const char *const kinit_properties[] = {"sasl.kerberos.principal", "sasl.kerberos.keytab"};

/* Properties ksqlite must control for exactly-once consumption. */
static const char *const owned_properties[] = {"enable.auto.commit", "enable.auto.offset.store",
                                               "auto.offset.reset"};

static int in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(key, list[i]) == 0) return 1;
    }
    return 0;
}

/* Does the value switch TLS verification off? (librdkafka reads "false",
** "f" and "0", in any case, as false.) */
static int disables_tls_verify(const char *key, const char *value)
{
    if (strcasecmp(key, "enable.ssl.certificate.verification") == 0) {
        return strcasecmp(value, "false") == 0 || strcasecmp(value, "f") == 0 ||
               strcmp(value, "0") == 0;
    }
    if (strcasecmp(key, "ssl.endpoint.identification.algorithm") == 0) {
        return strcasecmp(value, "none") == 0;
    }
    return 0;
}

/* Is the value safe inside a shell command line: letters, digits and
** . _ - / @ + = : , only? */
static int shell_safe(const char *z)
{
    for (; *z; z++) {
        if (!isalnum((unsigned char)*z) && !strchr("._-/@+=:,", *z)) return 0;
    }
    return 1;
}

/* Check one option's value, as written (fromEnv 0) or as expanded from
** the environment (fromEnv 1, and then the value is never quoted in the
** message): TLS verification turned off without the opt-in, or shell
** syntax in a value the kinit command runs (a written value with `${NAME}`
** is checked once expanded). */
static int check_value(const ksq_option *o, const char *value, int allowInsecure, int fromEnv,
                       char **pzErr)
{
    char *zWhat = fromEnv ? sqlite3_mprintf("option '%s' (from the environment)", o->key)
                          : sqlite3_mprintf("option '%s' = '%s'", o->key, value);
    if (!zWhat) return SQLITE_NOMEM;
    int rc = SQLITE_OK;
    if (disables_tls_verify(o->key, value) && !allowInsecure) {
        *pzErr = sqlite3_mprintf("%s turns TLS certificate verification off; add insecure_tls "
                                 "= 'yes' if that is really meant",
                                 zWhat);
        rc = SQLITE_ERROR;
    } else if (in_list(o->key, kinit_properties, sizeof kinit_properties / sizeof(char *)) &&
               !shell_safe(value) && (fromEnv || !strstr(value, "${"))) {
        *pzErr = sqlite3_mprintf("%s holds characters the Kerberos kinit command would pass to a "
                                 "shell (allowed: letters, digits and . _ - / @ + = : ,)",
                                 zWhat);
        rc = SQLITE_ERROR;
    }
    sqlite3_free(zWhat);
    return rc;
}

/* insecure_tls = 'yes' (or 'true'): TLS verification may be turned off. */
static int insecure_allowed(const ksq_options *opts)
{
    const char *insecure = ksq_options_get(opts, "insecure_tls");
    return insecure && (strcasecmp(insecure, "yes") == 0 || strcasecmp(insecure, "true") == 0);
}

int ksq_kafka_conf_check(const ksq_options *opts, char **pzErr)
{
    int allowInsecure = insecure_allowed(opts);
    for (int i = 0; i < opts->n; i++) {
        const ksq_option *o = &opts->a[i];
        if (!o->quoted) continue;
        if (in_list(o->key, refused_properties, sizeof refused_properties / sizeof(char *))) {
            *pzErr = sqlite3_mprintf("option '%s' is refused: it would make the Kafka client "
                                     "load or run code",
                                     o->key);
            return SQLITE_ERROR;
        }
        if (in_list(o->key, owned_properties, sizeof owned_properties / sizeof(char *))) {
            *pzErr = sqlite3_mprintf("option '%s' is managed by ksqlite (offsets live in the "
                                     "database) and cannot be set",
                                     o->key);
            return SQLITE_ERROR;
        }
        if (ksq_option_is_secret(o->key) && !strstr(o->value, "${")) {
            *pzErr = sqlite3_mprintf("option '%s' holds a secret: take it from the environment "
                                     "with '${NAME}' so it is never stored in the database",
                                     o->key);
            return SQLITE_ERROR;
        }
        int rc = check_value(o, o->value, allowInsecure, 0, pzErr);
        if (rc) return rc;
    }
    return SQLITE_OK;
}

/* librdkafka error callback: remember the last error for our messages. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)err;
    ksq_kclient *client = opaque;
    if (client) snprintf(client->zLastError, sizeof client->zLastError, "%s", reason);
}

/* librdkafka log callback: its logs are debug detail; our errors say what
** went wrong in terms of the statement. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    ksq_log(level <= 3 ? KSQ_LOG_INFO : KSQ_LOG_DEBUG, "librdkafka %s: %s", fac, buf);
}

/* Set one property. librdkafka's message may quote the value ("Invalid
** value "..." for ..."): when the value came from the environment
** (zWritten, the value as written, differs from it), every copy of it in
** the message is replaced by the value as written, `${NAME}` and all; a
** message that may have been cut inside a copy is not shown at all. */
static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *zWritten,
                    char **pzErr)
{
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) == RD_KAFKA_CONF_OK) return SQLITE_OK;
    int expanded = zWritten && strcmp(zWritten, value) != 0;
    if (expanded && strlen(err) + 1 >= sizeof err) {
        *pzErr = sqlite3_mprintf("option '%s': invalid value (taken from the environment; not "
                                 "shown)",
                                 key);
        return SQLITE_ERROR;
    }
    sqlite3_str *s = sqlite3_str_new(NULL);
    size_t n = strlen(value);
    const char *p = err;
    if (expanded && n > 0) {
        for (const char *hit; (hit = strstr(p, value)) != NULL; p = hit + n) {
            sqlite3_str_append(s, p, (int)(hit - p));
            sqlite3_str_appendall(s, zWritten);
        }
    }
    sqlite3_str_appendall(s, p);
    char *zMsg = sqlite3_str_finish(s);
    *pzErr = sqlite3_mprintf("option '%s': %s", key, zMsg ? zMsg : "invalid value");
    sqlite3_free(zMsg);
    return SQLITE_ERROR;
}

/* The configuration as librdkafka will use it: does it verify TLS
** certificates and host names? Whatever spelling turned verification off,
** it is refused without insecure_tls, and with it a warning says so each
** time a client is configured: never silently. */
static int check_tls(rd_kafka_conf_t *conf, int allowInsecure, const char *zBrokers, char **pzErr)
{
    char v[32];
    size_t n = sizeof v;
    int noCert =
        rd_kafka_conf_get(conf, "enable.ssl.certificate.verification", v, &n) == RD_KAFKA_CONF_OK &&
        strcmp(v, "false") == 0;
    n = sizeof v;
    int noHost = rd_kafka_conf_get(conf, "ssl.endpoint.identification.algorithm", v, &n) ==
                     RD_KAFKA_CONF_OK &&
                 strcasecmp(v, "none") == 0;
    if (!noCert && !noHost) return SQLITE_OK;
    if (!allowInsecure) {
        *pzErr = sqlite3_mprintf("the options turn TLS certificate verification off; add "
                                 "insecure_tls = 'yes' if that is really meant");
        return SQLITE_ERROR;
    }
    ksq_log(KSQ_LOG_WARN,
            "TLS %s verification is OFF for Kafka brokers %s (insecure_tls = 'yes'): the "
            "connection can be intercepted",
            noCert ? "certificate" : "host name", zBrokers);
    return SQLITE_OK;
}

int ksq_kafka_conf_new(const ksq_options *opts, const char *zDefaultBrokers, ksq_kclient *pClient,
                       rd_kafka_conf_t **ppConf, char **pzErr)
{
    int rc = ksq_kafka_conf_check(opts, pzErr);
    if (rc) return rc;
    int allowInsecure = insecure_allowed(opts);
    const char *brokers = ksq_options_get(opts, "brokers");
    if (!brokers) brokers = zDefaultBrokers;
    for (int i = 0; i < opts->n && !brokers; i++) {
        if (opts->a[i].quoted && strcmp(opts->a[i].key, "bootstrap.servers") == 0)
            brokers = opts->a[i].value;
    }
    if (!brokers || !brokers[0]) {
        *pzErr = sqlite3_mprintf("no Kafka brokers: give brokers = 'host:9092', or start ksqlite "
                                 "with --brokers, KSQLITE_BROKERS or --mock");
        return SQLITE_ERROR;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char *zBrokers = ksq_options_expand(brokers, "brokers", pzErr);
    if (!zBrokers) {
        rd_kafka_conf_destroy(conf);
        return SQLITE_ERROR;
    }
    memset(pClient, 0, sizeof *pClient);
    snprintf(pClient->zBrokers, sizeof pClient->zBrokers, "%s", zBrokers);
    rc = conf_set(conf, "bootstrap.servers", zBrokers, brokers, pzErr);
    sqlite3_free(zBrokers);
    if (!rc) rc = conf_set(conf, "client.id", "ksqlite", NULL, pzErr);
    if (!rc) rc = conf_set(conf, "log.connection.close", "false", NULL, pzErr);
    if (!rc) rc = conf_set(conf, "enable.auto.commit", "false", NULL, pzErr);
    if (!rc) rc = conf_set(conf, "enable.auto.offset.store", "false", NULL, pzErr);
    if (!rc) rc = conf_set(conf, "enable.partition.eof", "true", NULL, pzErr);
    if (!rc) rc = conf_set(conf, "auto.offset.reset", "earliest", NULL, pzErr);
    /* librdkafka's assign() needs a group id; ksqlite never joins or commits
    ** to the group (offsets live in the database). */
    if (!rc) rc = conf_set(conf, "group.id", "ksqlite", NULL, pzErr);
    /* Bounded prefetch: memory stays flat however far behind a reader is.
    ** (A full queue stalls librdkafka 2.0's fetcher for up to a second;
    ** readers that starve kick it with ksq_meta_kick().) */
    if (!rc) rc = conf_set(conf, "queued.max.messages.kbytes", KSQ_QUEUE_KBYTES, NULL, pzErr);
    if (!rc) rc = conf_set(conf, "queued.min.messages", KSQ_QUEUE_MESSAGES, NULL, pzErr);
    for (int i = 0; i < opts->n && !rc; i++) {
        const ksq_option *o = &opts->a[i];
        if (!o->quoted || strcmp(o->key, "bootstrap.servers") == 0) continue;
        char *value = ksq_options_expand(o->value, o->key, pzErr);
        if (!value) {
            rc = SQLITE_ERROR;
            break;
        }
        /* Expanded values are checked again: '${VERIFY}' may say false. */
        if (strcmp(value, o->value) != 0) rc = check_value(o, value, allowInsecure, 1, pzErr);
        if (!rc) rc = conf_set(conf, o->key, value, o->value, pzErr);
        sqlite3_free(value);
    }
    if (!rc) rc = check_tls(conf, allowInsecure, pClient->zBrokers, pzErr);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, pClient);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    *ppConf = conf;
    return SQLITE_OK;
}

int ksq_kafka_consumer_new(const ksq_options *opts, const char *zDefaultBrokers, int strict,
                           ksq_kclient *pClient, rd_kafka_t **ppRk, char **pzErr)
{
    rd_kafka_conf_t *conf;
    char err[512];
    int rc = ksq_kafka_conf_new(opts, zDefaultBrokers, pClient, &conf, pzErr);
    if (rc) return rc;
    /* A view's offset that the topic no longer holds is an error to handle
    ** (a gap), never a silent jump to another offset. And a view reads what
    ** arrives at once: a caught-up fetch waits for data at most 10 ms. */
    if (strict && (rd_kafka_conf_set(conf, "auto.offset.reset", "error", err, sizeof err) ||
                   rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", err, sizeof err))) {
        rd_kafka_conf_destroy(conf);
        *pzErr = sqlite3_mprintf("cannot configure the consumer: %s", err);
        return SQLITE_ERROR;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        *pzErr = sqlite3_mprintf("cannot create a Kafka consumer: %s", err);
        return SQLITE_ERROR;
    }
    *ppRk = rk;
    return SQLITE_OK;
}
