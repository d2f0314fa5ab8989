/*
** fuzz_json.c — the JSON decoder and column inference (engine/decode.c,
** decode_json.c, infer.c).
**
** Input: one selector byte, then the payload of one Kafka message. The
** selector picks a schema (weather events, nested paths and arrays, every
** type, 70 columns) and a decode mask; the payload is decoded with it (see
** decode_check.h for the properties). The payload's columns are then
** inferred as a stream without `columns` would, and it must decode
** cleanly with the schema inferred from it.
*/
#include "decode_check.h"

static const struct {
    const char *zCols; /* column declarations */
    const char *zTs;   /* event-time column, or NULL */
} schemas[] = {
    {"city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP, temperature REAL, "
     "windspeed REAL, humidity INTEGER, weathercode INTEGER",
     "ts"},
    {"city TEXT PATH 'name', ts TIMESTAMP PATH 'meta.time', temp REAL PATH 'main.temp', "
     "first JSON PATH 'tags.0', ok BOOLEAN, main JSON, deep INTEGER PATH 'a.b.c.d.e', "
     "second TEXT PATH 'tags.1', raw TEXT PATH 'main'",
     "ts"},
    {"a TEXT, b INTEGER, c REAL, d BOOLEAN, e TIMESTAMP, f JSON", NULL},
    {NULL, "c3"}, /* 70 INTEGER columns c0..c69, built below */
};
#define NSCHEMA (sizeof schemas / sizeof schemas[0])

static ksq_schema aSchema[NSCHEMA];

/* Build the fixed schemas once. */
static void init_schemas(void)
{
    static int done;
    if (done) return;
    done = 1;
    for (size_t i = 0; i < NSCHEMA; i++) {
        if (schemas[i].zCols) {
            schema_make(&aSchema[i], schemas[i].zCols, KSQ_FORMAT_JSON, 0, schemas[i].zTs);
            continue;
        }
        char zCols[2048] = "";
        for (int c = 0; c < 70; c++) {
            size_t n = strlen(zCols);
            snprintf(zCols + n, sizeof zCols - n, "%sc%d INTEGER", c ? ", " : "", c);
        }
        schema_make(&aSchema[i], zCols, KSQ_FORMAT_JSON, 0, schemas[i].zTs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    init_schemas();
    uint8_t sel = data[0];
    const char *payload = (const char *)data + 1;
    size_t len = size - 1;

    decode_check(&aSchema[(sel >> 2) % NSCHEMA], payload, len, mask_of(sel));

    /* Inference from this one message; the message fits what it implies. */
    ksq_schema inferred;
    memset(&inferred, 0, sizeof inferred);
    inferred.ts_col = -1;
    char *zErr = NULL;
    const char *az[1] = {payload};
    int an[1] = {(int)len};
    int rc = ksq_schema_infer(&inferred, KSQ_FORMAT_JSON, 0, 1, az, an, &zErr);
    if (rc == SQLITE_OK) {
        FUZZ_ASSERT(inferred.ncol > 0);
        char *zText = ksq_schema_text(&inferred);
        FUZZ_ASSERT(zText != NULL);
        sqlite3_free(zText);
        rc = decode_check(&inferred, payload, len, ~0ULL);
        FUZZ_ASSERT(rc == SQLITE_OK || rc == SQLITE_NOMEM);
    } else {
        FUZZ_ASSERT(rc == SQLITE_NOMEM || (zErr && zErr[0]));
    }
    sqlite3_free(zErr);
    ksq_schema_clear(&inferred);
    return 0;
}
