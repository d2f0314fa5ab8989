/*
** fuzz_csv.c — the CSV decoder and column inference (engine/decode.c,
** decode_csv.c, infer.c).
**
** Input: one selector byte, then the payload of one Kafka message. The
** selector picks a schema (weather records, fields by PATH number, every
** type), a delimiter (, ; TAB |) and a decode mask; the payload is decoded
** with it (see decode_check.h for the properties). The payload's columns
** are then inferred, and it must decode cleanly with the schema inferred
** from it.
*/
#include "decode_check.h"

static const struct {
    const char *zCols; /* column declarations */
    const char *zTs;   /* event-time column, or NULL */
} schemas[] = {
    {"city TEXT, country TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL, humidity INTEGER, "
     "weathercode INTEGER",
     "ts"},
    {"temp REAL PATH '4', city TEXT PATH '1', ts TIMESTAMP PATH '3', far TEXT PATH '100'", "ts"},
    {"a TEXT, b INTEGER, c REAL, d BOOLEAN, e TIMESTAMP, f JSON", NULL},
};
#define NSCHEMA (sizeof schemas / sizeof schemas[0])

static const char delims[] = {',', ';', '\t', '|'};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    uint8_t sel = data[0];
    const char *payload = (const char *)data + 1;
    size_t len = size - 1;
    char delim = delims[(sel >> 2) & 3];

    ksq_schema s;
    size_t which = (size_t)(sel >> 4) % NSCHEMA;
    schema_make(&s, schemas[which].zCols, KSQ_FORMAT_CSV, delim, schemas[which].zTs);
    decode_check(&s, payload, len, mask_of(sel));
    ksq_schema_clear(&s);

    /* Inference from this one record; the record fits what it implies. */
    ksq_schema inferred;
    memset(&inferred, 0, sizeof inferred);
    inferred.ts_col = -1;
    char *zErr = NULL;
    const char *az[1] = {payload};
    int an[1] = {(int)len};
    int rc = ksq_schema_infer(&inferred, KSQ_FORMAT_CSV, delim, 1, az, an, &zErr);
    if (rc == SQLITE_OK) {
        FUZZ_ASSERT(inferred.ncol > 0 && inferred.format == KSQ_FORMAT_CSV);
        rc = decode_check(&inferred, payload, len, ~0ULL);
        FUZZ_ASSERT(rc == SQLITE_OK || rc == SQLITE_NOMEM);
    } else {
        FUZZ_ASSERT(rc == SQLITE_NOMEM || (zErr && zErr[0]));
    }
    sqlite3_free(zErr);
    ksq_schema_clear(&inferred);
    return 0;
}
