/* test_decode.c — column declarations, JSON and CSV decoding, inference. */
#include <stdlib.h>

#include "check.h"
#include "ksq_int.h"

static ksq_schema schema_of(const char *zCols, ksq_format format, const char *zTs)
{
    ksq_schema s = {0};
    char *zErr = NULL;
    s.ts_col = -1;
    if (ksq_schema_parse(&s, zCols, &zErr) != SQLITE_OK) {
        fprintf(stderr, "schema: %s\n", zErr);
        sqlite3_free(zErr);
    }
    s.format = format;
    s.csv_delim = ',';
    if (zTs && ksq_schema_set_timestamp(&s, zTs, &zErr) != SQLITE_OK) sqlite3_free(zErr);
    return s;
}

static char *schema_err(const char *zCols)
{
    ksq_schema s = {0};
    char *zErr = NULL;
    if (ksq_schema_parse(&s, zCols, &zErr) == SQLITE_OK) ksq_schema_clear(&s);
    return zErr;
}

/* Decode payload with every column; returns the rc. */
static int dec(ksq_decoder *d, const char *payload, ksq_value *v)
{
    return ksq_decode(d, payload, strlen(payload), ~0ULL, v);
}

int main(void)
{
    /* --- declarations */
    ksq_schema s = schema_of("city TEXT, ts TIMESTAMP, temp REAL PATH 'main.temp', n INTEGER, "
                             "ok BOOLEAN, tags JSON, \"odd name\" VARCHAR(20)",
                             KSQ_FORMAT_JSON, "ts");
    CHECK_INT(s.ncol, 7);
    CHECK_STR(s.cols[2].name, "temp");
    CHECK_STR(s.cols[2].path, "main.temp");
    CHECK_INT(s.cols[2].nseg, 2);
    CHECK_INT(s.cols[5].type, KSQ_JSON);
    CHECK_STR(s.cols[6].name, "odd name");
    CHECK_INT(s.cols[6].type, KSQ_TEXT);
    CHECK_INT(s.ts_col, 1);
    char *text = ksq_schema_text(&s);
    CHECK_STR(text, "city TEXT, ts TIMESTAMP, temp REAL PATH 'main.temp', n INTEGER, ok BOOLEAN, "
                    "tags JSON, \"odd name\" TEXT");
    sqlite3_free(text);
    char *e;
    CHECK((e = schema_err("a FOO")) && strstr(e, "unknown type FOO"));
    sqlite3_free(e);
    CHECK((e = schema_err("a TEXT, A INTEGER")) && strstr(e, "duplicate"));
    sqlite3_free(e);
    CHECK((e = schema_err("_offset INTEGER")) && strstr(e, "reserved"));
    sqlite3_free(e);
    CHECK((e = schema_err("")) && strstr(e, "empty"));
    sqlite3_free(e);
    CHECK((e = schema_err("a TEXT b")) != NULL);
    sqlite3_free(e);

    /* --- JSON */
    ksq_decoder *d;
    ksq_value v[8];
    CHECK(ksq_decoder_new(&s, &d) == SQLITE_OK);
    CHECK_INT(dec(d,
                  "{\"city\":\"Oslo\",\"ts\":\"2026-11-21T13:05:00Z\",\"main\":{\"temp\":-1.5},"
                  "\"n\":\"42\",\"ok\":true,\"tags\":[1,\"a\"],\"odd name\":7}",
                  v),
              SQLITE_OK);
    CHECK(v[0].type == SQLITE_TEXT && v[0].n == 4 && memcmp(v[0].u.z, "Oslo", 4) == 0);
    CHECK(v[1].type == SQLITE_INTEGER && v[1].u.i == 1795266300000LL);
    CHECK(v[2].type == SQLITE_FLOAT && v[2].u.r == -1.5);
    CHECK(v[3].type == SQLITE_INTEGER && v[3].u.i == 42);
    CHECK(v[4].type == SQLITE_INTEGER && v[4].u.i == 1);
    CHECK(v[5].type == SQLITE_TEXT && strcmp(v[5].u.z, "[1,\"a\"]") == 0);
    CHECK(v[6].type == SQLITE_TEXT && strcmp(v[6].u.z, "7") == 0);
    /* epoch forms of the event time; integers into REAL; 2.0 into INTEGER */
    CHECK_INT(dec(d, "{\"ts\":1795266300250,\"main\":{\"temp\":3},\"n\":2.0}", v), SQLITE_OK);
    CHECK(v[1].u.i == 1795266300250LL && v[2].type == SQLITE_FLOAT && v[2].u.r == 3.0);
    CHECK(v[3].type == SQLITE_INTEGER && v[3].u.i == 2);
    CHECK(v[0].type == SQLITE_NULL); /* missing is NULL */
    CHECK_INT(dec(d, "{\"ts\":1795266300.5}", v), SQLITE_OK);
    CHECK(v[1].u.i == 1795266300500LL);
    /* errors: the bad column is NULL, the others decode */
    CHECK_INT(dec(d, "{\"city\":\"Oslo\",\"ts\":0,\"main\":{\"temp\":\"warm\"}}", v),
              SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "column temp: expected REAL") != NULL);
    CHECK(v[2].type == SQLITE_NULL && v[0].type == SQLITE_TEXT);
    CHECK_INT(dec(d, "{\"ts\":0,\"n\":2.5}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "column n") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0,\"ok\":\"maybe\"}", v), SQLITE_MISMATCH);
    CHECK_INT(dec(d, "{\"city\":\"x\"}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "event time column ts is missing") != NULL);
    CHECK_INT(dec(d, "{\"ts\":\"yesterday\"}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "expected TIMESTAMP") != NULL);
    CHECK_INT(dec(d, "not json", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "not JSON") != NULL);
    CHECK_INT(dec(d, "[1,2]", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "not a JSON object") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0", v), SQLITE_MISMATCH);
    CHECK_INT(ksq_decode(d, "", 0, ~0ULL, v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "empty") != NULL);
    CHECK_INT(ksq_decode(d, "{\"ts\":0}\0junk", 13, ~0ULL, v), SQLITE_MISMATCH);
    /* deep nesting is an error, not a crash */
    char deep[5000];
    memset(deep, '[', 4000);
    strcpy(deep + 4000, "1");
    CHECK_INT(dec(d, deep, v), SQLITE_MISMATCH);
    /* where the decoder (simdjson) and jansson could differ, the rules hold */
    CHECK_INT(dec(d, "{\"ts\":0,\"n\":1,\"n\":2}", v), SQLITE_OK); /* the last key counts */
    CHECK(v[3].type == SQLITE_INTEGER && v[3].u.i == 2);
    CHECK_INT(dec(d, "{\"ts\":0,\"city\":\"N\\u0000L\"}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "column city: the string contains \\u0000") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0,\"other\":\"N\\u0000L\"}", v), SQLITE_OK); /* unread */
    CHECK_INT(ksq_decode(d, "{\"ts\":0,\"n\":4\0,\"k\":1}", 21, ~0ULL, v), SQLITE_MISMATCH);
    CHECK_INT(dec(d, "{\"ts\":0,\"n\":18446744073709551615}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "expected INTEGER, got an integer above 2^63") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0,\"city\":18446744073709551615,\"main\":{\"temp\":1e19}}", v),
              SQLITE_OK);
    CHECK(v[0].type == SQLITE_TEXT && strcmp(v[0].u.z, "18446744073709551615") == 0);
    CHECK(v[2].type == SQLITE_FLOAT && v[2].u.r == 1e19);
    CHECK_INT(dec(d, "{\"ts\":0,\"n\":123456789012345678901234567890}", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "not JSON: too big integer") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0,\n\"n\":[1,}", v), SQLITE_MISMATCH); /* jansson says where */
    CHECK(strstr(ksq_decoder_error(d), "at line 2 column") != NULL);
    CHECK_INT(dec(d, "\"just text\"", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "not a JSON object but a string") != NULL);
    CHECK_INT(dec(d, "{\"ts\":0,\"tags\":{\"a\":[1,{\"b\":null}],\"c\":0.5}}", v), SQLITE_OK);
    CHECK(v[5].type == SQLITE_TEXT && strcmp(v[5].u.z, "{\"a\":[1,{\"b\":null}],\"c\":0.5}") == 0);
    /* only the masked columns are decoded: a bad unused column is no error */
    const char *partial = "{\"city\":\"a\",\"main\":{\"temp\":\"x\"}}";
    CHECK_INT(ksq_decode(d, partial, strlen(partial), 1, v), SQLITE_OK);
    CHECK(v[0].type == SQLITE_TEXT && v[2].type == SQLITE_NULL);
    ksq_decoder_free(d);
    ksq_schema_clear(&s);

    /* --- CSV */
    s = schema_of("city TEXT, ts TIMESTAMP, temp REAL, n INTEGER, note TEXT", KSQ_FORMAT_CSV, "ts");
    CHECK(ksq_decoder_new(&s, &d) == SQLITE_OK);
    CHECK_INT(dec(d, "Oslo,2026-11-21T13:05:00Z,-1.5,7,\"a, \"\"quoted\"\"\nline\"\r\n", v),
              SQLITE_OK);
    CHECK(v[0].type == SQLITE_TEXT && strcmp(v[0].u.z, "Oslo") == 0);
    CHECK(v[1].u.i == 1795266300000LL && v[2].u.r == -1.5 && v[3].u.i == 7);
    CHECK(v[4].type == SQLITE_TEXT && strcmp(v[4].u.z, "a, \"quoted\"\nline") == 0);
    CHECK_INT(dec(d, "Oslo,1795266300,,,\"\"", v), SQLITE_OK);
    CHECK(v[2].type == SQLITE_NULL && v[3].type == SQLITE_NULL); /* unquoted empty: NULL */
    CHECK(v[4].type == SQLITE_TEXT && v[4].n == 0);              /* quoted empty: '' */
    CHECK_INT(dec(d, " Oslo ,0, 2.5 ,1,x", v), SQLITE_OK);
    CHECK(strcmp(v[0].u.z, " Oslo ") == 0 && v[2].u.r == 2.5); /* spaces are data */
    CHECK_INT(dec(d, "Oslo,0,warm,1,x", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "column temp") != NULL);
    CHECK_INT(dec(d, "Oslo,0", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "has 2 fields") != NULL);
    CHECK_INT(dec(d, "a,0,1,1,x\nb,0,1,1,x", v), SQLITE_MISMATCH);
    CHECK(strstr(ksq_decoder_error(d), "2 CSV records") != NULL);
    CHECK_INT(dec(d, "a,0,1,1,\"unterminated", v), SQLITE_MISMATCH);
    CHECK_INT(dec(d, "Oslo,0,1,1,after an error", v), SQLITE_OK); /* the parser recovers */
    ksq_decoder_free(d);
    ksq_schema_clear(&s);

    /* --- inference */
    const char *json[] = {
        "{\"city\":\"Oslo\",\"ts\":\"2026-11-21T13:05:00Z\",\"main\":{\"temp\":-1,\"hum\":80},"
        "\"ok\":true}",
        "{\"city\":\"Rome\",\"ts\":\"2026-11-21T13:05:01Z\",\"main\":{\"temp\":12.5},\"tags\":[1]}",
        "garbage",
    };
    int njson[] = {(int)strlen(json[0]), (int)strlen(json[1]), (int)strlen(json[2])};
    ksq_schema inf = {0};
    char *zErr = NULL;
    CHECK(ksq_schema_infer(&inf, KSQ_FORMAT_JSON, 0, 3, json, njson, &zErr) == SQLITE_OK);
    text = ksq_schema_text(&inf);
    CHECK_STR(text, "city TEXT, ts TIMESTAMP, main_temp REAL PATH 'main.temp', main_hum INTEGER "
                    "PATH 'main.hum', ok BOOLEAN, tags JSON");
    sqlite3_free(text);
    ksq_schema_clear(&inf);
    const char *csv[] = {"city,ts,temp", "Oslo,2026-11-21T13:05:00Z,1",
                         "Rome,2026-11-21T13:05:01Z,2.5"};
    int ncsv[] = {12, 27, 29};
    CHECK(ksq_schema_infer(&inf, KSQ_FORMAT_CSV, ',', 3, csv, ncsv, &zErr) == SQLITE_OK);
    text = ksq_schema_text(&inf);
    CHECK_STR(text, "city TEXT, ts TIMESTAMP, temp REAL");
    sqlite3_free(text);
    ksq_schema_clear(&inf);
    const char *csv2[] = {"Oslo,5", "Rome,6"};
    int ncsv2[] = {6, 6};
    CHECK(ksq_schema_infer(&inf, KSQ_FORMAT_CSV, ',', 2, csv2, ncsv2, &zErr) == SQLITE_OK);
    text = ksq_schema_text(&inf);
    CHECK_STR(text, "c1 TEXT, c2 INTEGER");
    sqlite3_free(text);
    ksq_schema_clear(&inf);
    const char *none[] = {"x", "y"};
    int nnone[] = {1, 1};
    CHECK(ksq_schema_infer(&inf, KSQ_FORMAT_JSON, 0, 2, none, nnone, &zErr) == SQLITE_ERROR);
    CHECK(zErr && strstr(zErr, "cannot infer"));
    sqlite3_free(zErr);
    return check_done("test_decode");
}
