/*
** fuzz_options.c — stream options and column lists (engine/options.c,
** kafka_conf.c, schema.c, stream.c).
**
** The input is read two ways. Line by line, each line is one vtab-style
** argument ("key = 'value'") for ksq_options_add_arg(); the list is then
** checked (ksq_kafka_conf_check), turned into a librdkafka configuration
** (ksq_kafka_conf_new, `${NAME}` expanded) and into a stream definition
** (ksq_stream_def_parse). As a whole, it is a column list for
** ksq_schema_parse(). Properties:
**
**   - a parsed option re-quoted as key = 'value' parses back to itself;
**   - errors come with a message, and no message ever holds the value of
**     an environment variable a `${NAME}` reference expanded;
**   - a configuration that is accepted never turns TLS verification off
**     without insecure_tls;
**   - a column list printed by ksq_schema_text() parses back to the same
**     columns, and prints the same again.
*/
#include <librdkafka/rdkafka.h>
#include <strings.h>

#include "fuzz.h"

#define CANARY  "canary-7f3a9e"
#define MAXLINE 32

/* The option a line gave re-quoted, parsed back: the same key, value and
** quoting. */
static void check_requote(const ksq_option *o)
{
    ksq_options back = {0};
    char *zErr = NULL;
    char *zArg = o->quoted ? sqlite3_mprintf("'%q' = '%q'", o->key, o->value)
                           : sqlite3_mprintf("%s = '%q'", o->key, o->value);
    if (!zArg) return;
    int rc = ksq_options_add_arg(&back, zArg, &zErr);
    if (rc != SQLITE_NOMEM) {
        FUZZ_ASSERT(rc == SQLITE_OK && back.n == 1);
        FUZZ_ASSERT(strcmp(back.a[0].key, o->key) == 0);
        FUZZ_ASSERT(strcmp(back.a[0].value, o->value) == 0);
        FUZZ_ASSERT(back.a[0].quoted == o->quoted);
    }
    sqlite3_free(zErr);
    sqlite3_free(zArg);
    ksq_options_clear(&back);
}

/* An error message: present, and free of the expanded secret. */
static void check_error(const char *zErr, int inputHasCanary)
{
    FUZZ_ASSERT(zErr && zErr[0]);
    if (!inputHasCanary) FUZZ_ASSERT(strstr(zErr, CANARY) == NULL);
}

/* The option lines: parse, check, configure, define a stream. */
static void fuzz_option_lines(char *z, int hasCanary)
{
    const char *azLine[MAXLINE];
    int nLine = 0;
    ksq_options opts = {0};
    for (char *line = z; line && nLine < MAXLINE;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        azLine[nLine++] = line;
        char *zErr = NULL;
        int n = opts.n;
        int rc = ksq_options_add_arg(&opts, line, &zErr);
        if (rc == SQLITE_OK) {
            FUZZ_ASSERT(opts.n == n + 1 && zErr == NULL);
            const ksq_option *o = &opts.a[n];
            FUZZ_ASSERT(o->key && o->value);
            if (!o->quoted) {
                for (const char *p = o->key; *p; p++) FUZZ_ASSERT(!(*p >= 'A' && *p <= 'Z'));
            }
            check_requote(o);
            (void)ksq_option_is_secret(o->key);
            char *zExp = ksq_options_expand(o->value, o->key, &zErr);
            if (zExp == NULL && zErr) check_error(zErr, hasCanary);
            sqlite3_free(zExp);
        } else if (rc != SQLITE_NOMEM) {
            FUZZ_ASSERT(opts.n == n);
            check_error(zErr, 1); /* a syntax error quotes the line as written */
        }
        sqlite3_free(zErr);
        line = nl ? nl + 1 : NULL;
    }

    char *zErr = NULL;
    int rc = ksq_kafka_conf_check(&opts, &zErr);
    if (rc != SQLITE_OK) check_error(zErr, hasCanary);
    sqlite3_free(zErr);
    zErr = NULL;
    if (rc == SQLITE_OK) {
        ksq_kclient client;
        rd_kafka_conf_t *conf = NULL;
        rc = ksq_kafka_conf_new(&opts, "127.0.0.1:9", &client, &conf, &zErr);
        if (rc == SQLITE_OK) {
            const char *insecure = ksq_options_get(&opts, "insecure_tls");
            int allowed =
                insecure && (!strcasecmp(insecure, "yes") || !strcasecmp(insecure, "true"));
            char v[64];
            size_t n = sizeof v;
            if (!allowed && rd_kafka_conf_get(conf, "enable.ssl.certificate.verification", v, &n) ==
                                RD_KAFKA_CONF_OK)
                FUZZ_ASSERT(strcmp(v, "true") == 0);
            n = sizeof v;
            if (!allowed && rd_kafka_conf_get(conf, "ssl.endpoint.identification.algorithm", v,
                                              &n) == RD_KAFKA_CONF_OK)
                FUZZ_ASSERT(strcmp(v, "none") != 0);
            rd_kafka_conf_destroy(conf);
        } else {
            check_error(zErr, hasCanary);
        }
        sqlite3_free(zErr);
        zErr = NULL;
    }
    ksq_options_clear(&opts);

    ksq_stream_def def;
    rc = ksq_stream_def_parse(&def, nLine, azLine, &zErr);
    if (rc == SQLITE_OK) {
        FUZZ_ASSERT(def.zTopic && def.zTopic[0]);
        FUZZ_ASSERT(def.watermarkMs >= 0 && def.idleTimeoutMs >= 0 && def.maxFutureMs >= 0);
    } else if (rc != SQLITE_NOMEM) {
        check_error(zErr, hasCanary);
    }
    sqlite3_free(zErr);
    ksq_stream_def_clear(&def);
}

/* The whole input as a column list; printed columns parse back the same. */
static void fuzz_column_list(const char *z)
{
    ksq_schema a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.ts_col = b.ts_col = -1;
    char *zErr = NULL;
    int rc = ksq_schema_parse(&a, z, &zErr);
    if (rc != SQLITE_OK) {
        FUZZ_ASSERT(rc == SQLITE_NOMEM || (zErr && zErr[0] && a.ncol == 0));
        sqlite3_free(zErr);
        return;
    }
    char *zText = ksq_schema_text(&a);
    if (zText) {
        rc = ksq_schema_parse(&b, zText, &zErr);
        if (rc != SQLITE_OK) fprintf(stderr, "%s\n  -> %s\n  -> %s\n", z, zText, zErr);
        FUZZ_ASSERT(rc == SQLITE_OK || rc == SQLITE_NOMEM);
        if (rc == SQLITE_OK) {
            FUZZ_ASSERT(a.ncol == b.ncol);
            for (int i = 0; i < a.ncol; i++) {
                FUZZ_ASSERT(strcmp(a.cols[i].name, b.cols[i].name) == 0);
                FUZZ_ASSERT(a.cols[i].type == b.cols[i].type);
                FUZZ_ASSERT(a.cols[i].field == b.cols[i].field);
                FUZZ_ASSERT(a.cols[i].nseg == b.cols[i].nseg);
                FUZZ_ASSERT((a.cols[i].path == NULL) == (b.cols[i].path == NULL));
                if (a.cols[i].path) FUZZ_ASSERT(strcmp(a.cols[i].path, b.cols[i].path) == 0);
            }
            char *zText2 = ksq_schema_text(&b);
            if (zText2) FUZZ_ASSERT(strcmp(zText, zText2) == 0);
            sqlite3_free(zText2);
        }
        sqlite3_free(zErr);
    }
    sqlite3_free(zText);
    ksq_schema_clear(&a);
    ksq_schema_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        /* ${KSQ_FUZZ_SECRET} and ${KSQ_FUZZ_FALSE} in inputs expand to these. */
        setenv("KSQ_FUZZ_SECRET", CANARY, 1);
        setenv("KSQ_FUZZ_FALSE", "false", 1);
        init = 1;
    }
    if (size > 4096) return 0;
    char *z = fuzz_cstr(data, size);
    int hasCanary = strstr(z, CANARY) != NULL;
    fuzz_column_list(z);
    fuzz_option_lines(z, hasCanary);
    free(z);
    return 0;
}
