/*
** test_hardening.c — bad input and secrets: the fixes the fuzzers and the
** security review led to, each checked where it lives.
**
**   durations      exact decimals ("1.1 hours"), no hex or exponents, no overflow
**   decoding       every byte of a number counts; errors are printable UTF-8
**   inference      NUL bytes in CSV fields, JSON keys with dots
**   views' SELECT  empty aggregate arguments and FILTER conditions
**   options        code-loading options refused, TLS verification off refused
**                  in every spelling (and from the environment), kinit values
**                  without shell syntax, secrets expanded into librdkafka but
**                  never into a message
*/
#include <librdkafka/rdkafka.h>
#include <stdlib.h>

#include "check.h"
#include "ksq_int.h"
#include "ksq_parse.h"

#define CANARY "canary-0b5e55ed"

static long long dur(const char *z)
{
    int64_t ms;
    return ksq_duration_parse(z, &ms) == 0 ? (long long)ms : -1;
}

/* Is z valid UTF-8 without control characters? */
static int printable_utf8(const char *z)
{
    const unsigned char *p = (const unsigned char *)z;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        if (*p < 0x20 || *p == 0x7F || (*p >= 0x80 && *p < 0xC2) || *p > 0xF4) return 0;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
        }
        p += len;
    }
    return 1;
}

/* Decode payload[0..n) with a one-schema decoder; returns the rc and
** copies the error into zErr. */
static int decode1(const char *zCols, ksq_format fmt, const char *payload, size_t n,
                   ksq_value *aOut, char *zErr, size_t nErr)
{
    ksq_schema s;
    memset(&s, 0, sizeof s);
    char *e = NULL;
    if (ksq_schema_parse(&s, zCols, &e) != SQLITE_OK) {
        sqlite3_free(e);
        return -1;
    }
    s.format = fmt;
    s.ts_col = -1;
    ksq_decoder *dec;
    ksq_decoder_new(&s, &dec);
    int rc = ksq_decode(dec, payload, n, ~0ULL, aOut);
    snprintf(zErr, nErr, "%s", ksq_decoder_error(dec));
    ksq_decoder_free(dec);
    ksq_schema_clear(&s);
    return rc;
}

/* Parse option lines into a list; NULL or the first error. */
static char *options_of(ksq_options *o, const char *const *az, int n)
{
    char *zErr = NULL;
    memset(o, 0, sizeof *o);
    for (int i = 0; i < n; i++) {
        if (ksq_options_add_arg(o, az[i], &zErr) != SQLITE_OK) return zErr;
    }
    return NULL;
}

/* ksq_kafka_conf_check() of the lines: NULL when accepted, else the message. */
static char *check_err(const char *const *az, int n)
{
    ksq_options o;
    char *zErr = options_of(&o, az, n);
    if (!zErr) ksq_kafka_conf_check(&o, &zErr);
    ksq_options_clear(&o);
    return zErr;
}

/* ksq_kafka_conf_new() of the lines: NULL when accepted (and *ppConf set,
** unless ppConf is NULL), else the message. */
static char *conf_err(const char *const *az, int n, rd_kafka_conf_t **ppConf)
{
    ksq_options o;
    ksq_kclient client;
    rd_kafka_conf_t *conf = NULL;
    char *zErr = options_of(&o, az, n);
    if (!zErr && ksq_kafka_conf_new(&o, "127.0.0.1:9", &client, &conf, &zErr) == SQLITE_OK) {
        if (ppConf) {
            *ppConf = conf;
        } else {
            rd_kafka_conf_destroy(conf);
        }
    }
    ksq_options_clear(&o);
    return zErr;
}

/* The value librdkafka holds for key, in a static buffer. */
static const char *conf_value(rd_kafka_conf_t *conf, const char *key)
{
    static char v[1024];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK) return "(unset)";
    return v;
}

#define EXPECT_ERR(zErr, zPart)                                                                    \
    do {                                                                                           \
        char *e_ = (zErr);                                                                         \
        CHECK(e_ != NULL && strstr(e_, zPart) != NULL);                                            \
        if (e_ && !strstr(e_, zPart)) fprintf(stderr, "  message: %s\n", e_);                      \
        sqlite3_free(e_);                                                                          \
    } while (0)

static void test_durations(void)
{
    /* decimals are exact: binary doubles made these 3960000.0000000005 ms */
    CHECK_INT(dur("1.1 hours"), 3960000);
    CHECK_INT(dur("4.1 minutes"), 246000);
    CHECK_INT(dur("1.001 s"), 1001);
    CHECK_INT(dur("2.2h"), 7920000);
    CHECK_INT(dur("1.50000000000000000000000 seconds"), 1500);
    CHECK_INT(dur(".5s"), 500);
    CHECK_INT(dur("1 hour 30 minutes"), 5400000);
    CHECK_INT(dur("1000000000000000 ms"), 1000000000000000LL);
    /* rejects: fractions of a millisecond, hex, exponents, overflow */
    CHECK_INT(dur("0.0001 s"), -1);
    CHECK_INT(dur("0x10 s"), -1);
    CHECK_INT(dur("1e3 ms"), -1);
    CHECK_INT(dur("1000000000000001 ms"), -1);
    CHECK_INT(dur("9223372036854775808 ms"), -1);
    CHECK_INT(dur("99999999999999999999 weeks"), -1);
    CHECK_INT(dur("1000000000000000 ms 1000000000000000 ms"), -1);
    CHECK_INT(dur("0 s"), -1);
}

static void test_decoding(void)
{
    ksq_value v[4];
    char e[KSQ_ERRMAX];
    /* a CSV field "12<NUL>abc" is not the integer 12 */
    static const char nul[] = "12\0abc,x";
    CHECK_INT(decode1("n INTEGER, t TEXT", KSQ_FORMAT_CSV, nul, sizeof nul - 1, v, e, sizeof e),
              SQLITE_MISMATCH);
    CHECK(strstr(e, "column n: expected INTEGER") != NULL);
    CHECK(printable_utf8(e));
    /* hex is not decimal data, for INTEGER as for REAL */
    CHECK_INT(decode1("n INTEGER", KSQ_FORMAT_CSV, "0x10", 4, v, e, sizeof e), SQLITE_MISMATCH);
    CHECK_INT(decode1("n INTEGER", KSQ_FORMAT_CSV, " 1e3 ", 5, v, e, sizeof e), SQLITE_OK);
    CHECK_INT(v[0].u.i, 1000);
    /* jansson quotes the bad byte: the stored error must stay printable */
    static const char ctl[] = "[1,2,3\x04[1]]";
    CHECK_INT(decode1("a TEXT", KSQ_FORMAT_JSON, ctl, sizeof ctl - 1, v, e, sizeof e),
              SQLITE_MISMATCH);
    CHECK(strncmp(e, "not JSON: ", 10) == 0);
    CHECK(printable_utf8(e));
    /* a long bad value is cut before a character, not inside one */
    char bad[128] = "x,";
    for (int i = 0; i < 30; i++) strcat(bad, "\xc3\xa9"); /* é */
    CHECK_INT(decode1("a TEXT, r REAL", KSQ_FORMAT_CSV, bad, strlen(bad), v, e, sizeof e),
              SQLITE_MISMATCH);
    CHECK(strstr(e, "\xc3\xa9...\"") != NULL);
    CHECK(printable_utf8(e));
    /* invalid UTF-8 and control bytes quoted from a CSV field become '?' */
    static const char raw[] = "\xff\x01\xc3";
    CHECK_INT(decode1("r REAL", KSQ_FORMAT_CSV, raw, sizeof raw - 1, v, e, sizeof e),
              SQLITE_MISMATCH);
    CHECK_STR(e, "column r: expected REAL, got \"???\"");
}

static void test_inference(void)
{
    ksq_schema s;
    char *zErr = NULL;
    /* a NUL inside a field: judged on all its bytes, so it is TEXT */
    static const char rec[] = "7,12\0abc";
    const char *az[] = {rec};
    int an[] = {(int)sizeof rec - 1};
    memset(&s, 0, sizeof s);
    CHECK_INT(ksq_schema_infer(&s, KSQ_FORMAT_CSV, ',', 1, az, an, &zErr), SQLITE_OK);
    CHECK_INT(s.ncol, 2);
    if (s.ncol == 2) {
        CHECK_INT(s.cols[0].type, KSQ_INTEGER);
        CHECK_INT(s.cols[1].type, KSQ_TEXT);
    }
    ksq_schema_clear(&s);
    /* keys with a dot are no path segment, nor is anything under them */
    const char *js = "{\"a.b\":{\"c\":1},\"a\":{\"b\":{\"c\":\"x\"}},\"d.e\":2,\"f\":3}";
    az[0] = js;
    an[0] = (int)strlen(js);
    memset(&s, 0, sizeof s);
    CHECK_INT(ksq_schema_infer(&s, KSQ_FORMAT_JSON, 0, 1, az, an, &zErr), SQLITE_OK);
    char *zText = ksq_schema_text(&s);
    CHECK_STR(zText, "a_b_c TEXT PATH 'a.b.c', f INTEGER");
    sqlite3_free(zText);
    ksq_schema_clear(&s);
}

static char *select_err(const char *zSelect)
{
    ksq_select sel;
    char *zErr = NULL;
    int off;
    if (ksq_select_parse(zSelect, &sel, &zErr, &off) == SQLITE_OK) zErr = NULL;
    ksq_select_clear(&sel);
    return zErr;
}

static void test_select(void)
{
    EXPECT_ERR(select_err("SELECT group_concat(, x) FROM s"), "empty argument to group_concat()");
    EXPECT_ERR(select_err("SELECT group_concat(x, ) FROM s"), "empty argument to group_concat()");
    EXPECT_ERR(select_err("SELECT sum(x) FILTER (WHERE) FROM s"), "expected FILTER (WHERE");
    CHECK(select_err("SELECT sum(x) FILTER (WHERE x > 0), count(*) FROM s") == NULL);
}

static void test_refused(void)
{
    static const char *const code[] = {
        "'plugin.library.paths' = 'libevil.so'", "'sasl.kerberos.kinit.cmd' = 'touch /tmp/x'",
        "'ssl.engine.location' = '/tmp/e.so'",   "'ssl.engine.id' = 'dynamic'",
        "'ssl.providers' = '/tmp/evil'",
    };
    for (size_t i = 0; i < sizeof code / sizeof code[0]; i++) {
        EXPECT_ERR(check_err(&code[i], 1), "refused: it would make the Kafka client load or run");
    }
    /* TLS verification off, in each spelling librdkafka reads as false */
    static const char *const off[] = {
        "'enable.ssl.certificate.verification' = 'false'",
        "'enable.ssl.certificate.verification' = 'FALSE'",
        "'enable.ssl.certificate.verification' = 'f'",
        "'enable.ssl.certificate.verification' = 'F'",
        "'enable.ssl.certificate.verification' = '0'",
        "'ssl.endpoint.identification.algorithm' = 'none'",
        "'ssl.endpoint.identification.algorithm' = 'NONE'",
    };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        EXPECT_ERR(check_err(&off[i], 1), "turns TLS certificate verification off; add "
                                          "insecure_tls = 'yes'");
        const char *both[] = {off[i], "insecure_tls = 'yes'"};
        CHECK(check_err(both, 2) == NULL);
    }
    /* ... and from the environment, where only the expanded value says so */
    setenv("KSQ_TEST_VERIFY", "f", 1);
    const char *env[] = {"'enable.ssl.certificate.verification' = '${KSQ_TEST_VERIFY}'"};
    CHECK(check_err(env, 1) == NULL);
    EXPECT_ERR(conf_err(env, 1, NULL), "option 'enable.ssl.certificate.verification' (from the "
                                       "environment) turns TLS certificate verification off");
    const char *envOk[] = {env[0], "insecure_tls = 'true'"};
    rd_kafka_conf_t *conf = NULL;
    CHECK(conf_err(envOk, 2, &conf) == NULL);
    if (conf) {
        CHECK_STR(conf_value(conf, "enable.ssl.certificate.verification"), "false");
        rd_kafka_conf_destroy(conf);
    }
    /* values pasted into the default kinit shell command */
    const char *inject[] = {"'sasl.kerberos.principal' = 'kafka; touch /tmp/pwned'"};
    EXPECT_ERR(check_err(inject, 1), "would pass to a shell");
    const char *keytab[] = {"'sasl.kerberos.keytab' = '/etc/k.keytab\" $(id) \"'"};
    EXPECT_ERR(check_err(keytab, 1), "would pass to a shell");
    setenv("KSQ_TEST_PRINCIPAL", "kafka`id`", 1);
    const char *fromEnv[] = {"'sasl.kerberos.principal' = '${KSQ_TEST_PRINCIPAL}'"};
    CHECK(check_err(fromEnv, 1) == NULL);
    EXPECT_ERR(conf_err(fromEnv, 1, NULL), "(from the environment) holds characters");
    setenv("KSQ_TEST_PRINCIPAL", "kafka/broker1.example.com@EXAMPLE.COM", 1);
    CHECK(conf_err(fromEnv, 1, NULL) == NULL);
}

static void test_secrets(void)
{
    setenv("KSQ_TEST_CANARY", CANARY, 1);
    /* a ${NAME} secret reaches librdkafka expanded */
    const char *pw[] = {"'sasl.password' = '${KSQ_TEST_CANARY}'",
                        "'sasl.username' = 'user-${KSQ_TEST_CANARY}'"};
    rd_kafka_conf_t *conf = NULL;
    CHECK(conf_err(pw, 2, &conf) == NULL);
    if (conf) {
        CHECK_STR(conf_value(conf, "sasl.password"), CANARY);
        CHECK_STR(conf_value(conf, "sasl.username"), "user-" CANARY);
        rd_kafka_conf_destroy(conf);
    }
    /* but not into librdkafka's message about a bad value */
    const char *mech[] = {"'security.protocol' = 'X${KSQ_TEST_CANARY}'"};
    char *e = conf_err(mech, 1, NULL);
    CHECK(e && strstr(e, "option 'security.protocol': Invalid value") && !strstr(e, CANARY));
    CHECK(e && strstr(e, "X${KSQ_TEST_CANARY}"));
    sqlite3_free(e);
    const char *size[] = {"'fetch.min.bytes' = '${KSQ_TEST_CANARY}'"};
    e = conf_err(size, 1, NULL);
    CHECK(e && !strstr(e, CANARY));
    sqlite3_free(e);
    /* a message librdkafka may have cut inside the value is not shown */
    char big[700];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big + 600, CANARY, strlen(CANARY));
    setenv("KSQ_TEST_BIG", big, 1);
    const char *longv[] = {"'security.protocol' = '${KSQ_TEST_BIG}'"};
    e = conf_err(longv, 1, NULL);
    CHECK(e && strstr(e, "not shown") && !strstr(e, "kkkk") && !strstr(e, CANARY));
    sqlite3_free(e);
    /* a secret written literally is refused, and not repeated */
    const char *lit[] = {"'sasl.password' = 'hunter2'"};
    e = check_err(lit, 1);
    CHECK(e && strstr(e, "take it from the environment") && !strstr(e, "hunter2"));
    sqlite3_free(e);
    /* an unset variable is named, not guessed */
    unsetenv("KSQ_TEST_UNSET");
    const char *unset[] = {"'sasl.password' = '${KSQ_TEST_UNSET}'"};
    EXPECT_ERR(conf_err(unset, 1, NULL), "environment variable KSQ_TEST_UNSET is not set");
}

int main(void)
{
    ksq_log_level = KSQ_LOG_ERROR; /* the insecure_tls warnings are expected here */
    test_durations();
    test_decoding();
    test_inference();
    test_select();
    test_refused();
    test_secrets();
    return check_done("test_hardening");
}
