/* test_options.c — option lists, ${NAME} expansion, refused properties. */
#include <stdlib.h>

#include "check.h"
#include "ksq_int.h"

static char *add_err(ksq_options *o, const char *arg)
{
    char *zErr = NULL;
    if (ksq_options_add_arg(o, arg, &zErr) == SQLITE_OK) return NULL;
    return zErr ? zErr : sqlite3_mprintf("error");
}

static char *check_opts(const char *const *args, int n)
{
    ksq_options o = {0};
    char *zErr = NULL;
    for (int i = 0; i < n && !zErr; i++) zErr = add_err(&o, args[i]);
    if (!zErr) ksq_kafka_conf_check(&o, &zErr);
    ksq_options_clear(&o);
    return zErr;
}

int main(void)
{
    ksq_options o = {0};
    CHECK(add_err(&o, "topic='weather'") == NULL);
    CHECK(add_err(&o, " Format = json ") == NULL);
    CHECK(add_err(&o, "'fetch.min.bytes' = 1") == NULL);
    CHECK(add_err(&o, "columns='a TEXT, b REAL PATH ''x.y'''") == NULL);
    CHECK(add_err(&o, "\"sasl.username\" = \"bob\"") == NULL);
    CHECK_INT(o.n, 5);
    CHECK_STR(ksq_options_get(&o, "topic"), "weather");
    CHECK_STR(ksq_options_get(&o, "FORMAT"), "json");
    CHECK_STR(o.a[1].key, "format");
    CHECK_INT(o.a[2].quoted, 1);
    CHECK_STR(o.a[2].key, "fetch.min.bytes");
    CHECK_STR(o.a[2].value, "1");
    CHECK_STR(ksq_options_get(&o, "columns"), "a TEXT, b REAL PATH 'x.y'");
    CHECK_STR(o.a[4].value, "bob");
    CHECK(ksq_options_get(&o, "missing") == NULL);
    ksq_options_clear(&o);

    char *e;
    CHECK((e = add_err(&o, "novalue")) != NULL);
    sqlite3_free(e);
    CHECK((e = add_err(&o, "k=")) != NULL);
    sqlite3_free(e);
    CHECK((e = add_err(&o, "k='unterminated")) != NULL);
    sqlite3_free(e);
    ksq_options_clear(&o);

    /* ${NAME} expansion from the environment */
    setenv("KSQ_TEST_SECRET", "s3cr3t", 1);
    unsetenv("KSQ_TEST_UNSET");
    char *zErr = NULL;
    char *v = ksq_options_expand("user:${KSQ_TEST_SECRET}!", "k", &zErr);
    CHECK_STR(v, "user:s3cr3t!");
    sqlite3_free(v);
    v = ksq_options_expand("$HOME ${ not a ref", "k", &zErr);
    CHECK_STR(v, "$HOME ${ not a ref");
    sqlite3_free(v);
    v = ksq_options_expand("${KSQ_TEST_UNSET}", "sasl.password", &zErr);
    CHECK(v == NULL && zErr && strstr(zErr, "KSQ_TEST_UNSET") && strstr(zErr, "sasl.password"));
    sqlite3_free(zErr);

    /* secrets and refused properties */
    CHECK(ksq_option_is_secret("sasl.password"));
    CHECK(ksq_option_is_secret("ssl.key.password"));
    CHECK(ksq_option_is_secret("sasl.oauthbearer.client.secret"));
    CHECK(!ksq_option_is_secret("security.protocol"));
    const char *refused1[] = {"'plugin.library.paths'='x.so'"};
    const char *refused2[] = {"'sasl.kerberos.kinit.cmd'='rm -rf /'"};
    const char *refused3[] = {"'ssl.engine.location'='/x'"};
    const char *literalSecret[] = {"'sasl.password'='hunter2'"};
    const char *envSecret[] = {"'sasl.password'='${KAFKA_PASSWORD}'"};
    const char *noVerify[] = {"'enable.ssl.certificate.verification'='false'"};
    const char *noVerifyOk[] = {"'enable.ssl.certificate.verification'='false'",
                                "insecure_tls='yes'"};
    const char *autoCommit[] = {"'enable.auto.commit'='true'"};
    CHECK((e = check_opts(refused1, 1)) && strstr(e, "refused"));
    sqlite3_free(e);
    CHECK((e = check_opts(refused2, 1)) && strstr(e, "refused"));
    sqlite3_free(e);
    CHECK((e = check_opts(refused3, 1)) && strstr(e, "refused"));
    sqlite3_free(e);
    CHECK((e = check_opts(literalSecret, 1)) && strstr(e, "secret") && !strstr(e, "hunter2"));
    sqlite3_free(e);
    CHECK(check_opts(envSecret, 1) == NULL);
    CHECK((e = check_opts(noVerify, 1)) && strstr(e, "insecure_tls"));
    sqlite3_free(e);
    CHECK(check_opts(noVerifyOk, 2) == NULL);
    CHECK((e = check_opts(autoCommit, 1)) && strstr(e, "managed"));
    sqlite3_free(e);
    return check_done("test_options");
}
