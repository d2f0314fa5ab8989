/*
** vtab_kafka.c — the `kafka` virtual table: a Kafka topic as an SQLite table.
**
**   CREATE VIRTUAL TABLE weather USING kafka(
**       topic = 'weather', format = 'json', timestamp = 'ts',
**       columns = 'city TEXT, ts TIMESTAMP, temperature REAL');
**   SELECT city, count(*) FROM weather GROUP BY city;
**   SELECT _offset, _value FROM weather WHERE _partition = 2 AND _offset BETWEEN 10 AND 20;
**   SELECT count(*) FROM weather WHERE _timestamp >= '2026-11-21 12:00:00';
**
** A SELECT is a bounded snapshot: each partition is read from its start (or
** the pushed-down bounds) to the high-water mark seen when the scan begins,
** then the scan ends. Hidden columns: _partition, _offset, _timestamp (Kafka
** message time, epoch ms), _key, _value (the raw payload) and _error (why
** the payload does not decode, or NULL). A malformed payload never stops a
** scan: its columns are NULL and _error says what is wrong.
**
** xBestIndex pushes constraints on the hidden columns down to Kafka:
** `_partition =` picks partitions, `_offset` ranges become start and end
** offsets, and a lower bound on `_timestamp` becomes a seek through
** offsets-for-times. They are passed to xFilter in idxStr as
** "<colUsed hex>:<codes>", one two-letter code per argv value: the column
** (p = _partition, o = _offset, t = _timestamp) then the operator
** (= equal, > greater, g greater-or-equal, < less, l less-or-equal).
** colUsed tells xColumn which payload columns to decode.
*/
#include "ksq_int.h"

#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hidden columns, numbered after the payload columns. */
enum { HID_PARTITION, HID_OFFSET, HID_TIMESTAMP, HID_KEY, HID_VALUE, HID_ERROR, HID_COUNT };
static const char *const hidden_decl[HID_COUNT] = {
    "_partition INTEGER HIDDEN", "_offset INTEGER HIDDEN", "_timestamp INTEGER HIDDEN",
    "_key TEXT HIDDEN",          "_value TEXT HIDDEN",     "_error TEXT HIDDEN",
};

typedef struct kafka_vtab {
    sqlite3_vtab base;  /* base class: must be first */
    ksqlite *k;         /* the engine: default brokers, interrupt flag */
    ksq_stream_def def; /* topic, options, columns */
} kafka_vtab;

typedef struct kafka_cursor {
    sqlite3_vtab_cursor base;      /* base class: must be first */
    ksq_kclient client;            /* error state of the scan's consumer */
    ksq_scan *scan;                /* the running scan, or NULL */
    const rd_kafka_message_t *msg; /* current message, NULL at EOF */
    ksq_decoder *dec;              /* decoder for the stream's columns */
    ksq_value *aVal;               /* decoded values of the current message */
    uint64_t mask;                 /* payload columns the query uses */
    int decoded;                   /* aVal holds the current message */
    int decodeRc;                  /* result of that decode */
    int64_t tsLo, tsHi;            /* _timestamp must be in [tsLo, tsHi) */
    int tracked;                   /* counted in the engine's scan progress */
} kafka_cursor;

/* Scan progress for ksqlite_get_status(): a scan with nTotal messages in its
** ranges starts (the figures restart when no other scan runs). */
static void progress_begin(kafka_cursor *cur, ksqlite *k, int64_t nTotal)
{
    if (!cur->tracked) {
        if (k->scan.nActive++ == 0) {
            k->scan.nRead = k->scan.nTotal = 0;
            k->scan.startMs = ksq_monotonic_ms();
        }
        cur->tracked = 1;
    }
    k->scan.nTotal += nTotal;
}

static void progress_end(kafka_cursor *cur, ksqlite *k)
{
    if (cur->tracked) k->scan.nActive--;
    cur->tracked = 0;
}

/* Column ids of pushed-down constraints. */
static int vt_ncol(const kafka_vtab *vt)
{
    return vt->def.schema.ncol;
}

/* xCreate and xConnect: parse the arguments, resolve the columns, declare
** the table. Inference (no columns given) reads a sample of the topic. */
static int kafka_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr)
{
    ksqlite *k = pAux;
    kafka_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->k = k;
    char *zErr = NULL;
    int rc = ksq_stream_def_parse(&vt->def, argc - 3, argv + 3, &zErr);
    if (!rc) rc = ksq_stream_def_resolve(&vt->def, k->zDefaultBrokers, &k->interrupted, &zErr);
    if (!rc) {
        sqlite3_str *s = sqlite3_str_new(NULL);
        sqlite3_str_appendall(s, "CREATE TABLE x(");
        for (int i = 0; i < vt->def.schema.ncol; i++) {
            const ksq_column *c = &vt->def.schema.cols[i];
            sqlite3_str_appendf(s, "\"%w\" %s, ", c->name, ksq_type_name(c->type));
        }
        for (int i = 0; i < HID_COUNT; i++) {
            sqlite3_str_appendf(s, "%s%s", hidden_decl[i], i + 1 < HID_COUNT ? ", " : ")");
        }
        char *zDecl = sqlite3_str_finish(s);
        rc = zDecl ? sqlite3_declare_vtab(db, zDecl) : SQLITE_NOMEM;
        if (rc && !zErr) zErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
        sqlite3_free(zDecl);
    }
    if (rc) {
        *pzErr = sqlite3_mprintf("%s: %s", argv[2], zErr ? zErr : sqlite3_errstr(rc));
        sqlite3_free(zErr);
        ksq_stream_def_clear(&vt->def);
        sqlite3_free(vt);
        return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
    }
    *ppVtab = &vt->base;
    return SQLITE_OK;
}

static int kafka_disconnect(sqlite3_vtab *pVtab)
{
    kafka_vtab *vt = (kafka_vtab *)pVtab;
    ksq_stream_def_clear(&vt->def);
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* Is column iCol (0-based, hidden columns after payload) used per colUsed? */
static int col_used(sqlite3_uint64 colUsed, int iCol)
{
    return (int)((colUsed >> (iCol < 63 ? iCol : 63)) & 1);
}

static int kafka_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info)
{
    kafka_vtab *vt = (kafka_vtab *)pVtab;
    int ncol = vt_ncol(vt), nArg = 0;
    char codes[64];
    double cost = 1e6;
    for (int i = 0; i < info->nConstraint && nArg < 30; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable) continue;
        int h = c->iColumn - ncol;
        char col = h == HID_PARTITION ? 'p' : h == HID_OFFSET ? 'o' : h == HID_TIMESTAMP ? 't' : 0;
        char op = 0;
        switch (c->op) {
        case SQLITE_INDEX_CONSTRAINT_EQ: op = '='; break;
        case SQLITE_INDEX_CONSTRAINT_GT: op = '>'; break;
        case SQLITE_INDEX_CONSTRAINT_GE: op = 'g'; break;
        case SQLITE_INDEX_CONSTRAINT_LT: op = '<'; break;
        case SQLITE_INDEX_CONSTRAINT_LE: op = 'l'; break;
        }
        if (!col || !op || (col == 'p' && op != '=')) continue;
        codes[2 * nArg] = col;
        codes[2 * nArg + 1] = op;
        info->aConstraintUsage[i].argvIndex = ++nArg;
        info->aConstraintUsage[i].omit = 1;
        cost /= (col == 'p' || op == '=') ? 20 : 4;
    }
    codes[2 * nArg] = 0;
    uint64_t mask = 0;
    int needAll = col_used(info->colUsed, ncol + HID_ERROR);
    for (int i = 0; i < ncol; i++) {
        if (needAll || col_used(info->colUsed, i)) mask |= 1ULL << i;
    }
    info->idxStr = sqlite3_mprintf("%llx:%s", (unsigned long long)mask, codes);
    if (!info->idxStr) return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    info->estimatedCost = cost;
    info->estimatedRows = (sqlite3_int64)cost;
    return SQLITE_OK;
}

static int kafka_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur)
{
    kafka_vtab *vt = (kafka_vtab *)pVtab;
    kafka_cursor *cur = sqlite3_malloc(sizeof *cur);
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof *cur);
    cur->aVal = sqlite3_malloc64(sizeof(ksq_value) * (size_t)(vt_ncol(vt) + 1));
    if (!cur->aVal || ksq_decoder_new(&vt->def.schema, &cur->dec)) {
        sqlite3_free(cur->aVal);
        sqlite3_free(cur);
        return SQLITE_NOMEM;
    }
    *ppCur = &cur->base;
    return SQLITE_OK;
}

static int kafka_close(sqlite3_vtab_cursor *pCur)
{
    kafka_cursor *cur = (kafka_cursor *)pCur;
    progress_end(cur, ((kafka_vtab *)pCur->pVtab)->k);
    ksq_scan_close(cur->scan);
    ksq_decoder_free(cur->dec);
    sqlite3_free(cur->aVal);
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* Narrow [*pLo, *pHi) by "x OP v" for integer x. SQLite orders every number
** before every text or blob, and NULL matches nothing; a text bound on a
** time column is read as a timestamp. Returns 1 when nothing can match. */
static int narrow(sqlite3_value *v, char op, int isTime, int64_t *pLo, int64_t *pHi)
{
    double d;
    int64_t ms;
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return 1;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: d = sqlite3_value_double(v); break;
    default:
        if (isTime && ksq_time_parse((const char *)sqlite3_value_text(v), -1, &ms) == 0) {
            d = (double)ms;
            break;
        }
        /* x < text and x <= text hold for every number; the rest never do. */
        return !(op == '<' || op == 'l');
    }
    if (d > 9e18) d = 9e18;
    if (d < -9e18) d = -9e18;
    int64_t lo = *pLo, hi = *pHi, f = (int64_t)floor(d), c = (int64_t)ceil(d);
    switch (op) {
    case '=':
        if (f != c) return 1;
        if (f > lo) lo = f;
        if (f + 1 < hi) hi = f + 1;
        break;
    case '>':
        if (f + 1 > lo) lo = f + 1;
        break;
    case 'g':
        if (c > lo) lo = c;
        break;
    case '<':
        if (c < hi) hi = c;
        break;
    case 'l':
        if (f + 1 < hi) hi = f + 1;
        break;
    }
    *pLo = lo;
    *pHi = hi;
    return lo >= hi;
}

/* Advance to the next message inside the _timestamp bounds. */
static int cursor_advance(kafka_cursor *cur)
{
    kafka_vtab *vt = (kafka_vtab *)cur->base.pVtab;
    cur->decoded = 0;
    for (;;) {
        char *zErr = NULL;
        int rc = ksq_scan_next(cur->scan, &cur->msg, &vt->k->interrupted, &zErr);
        if (rc == SQLITE_DONE) {
            cur->msg = NULL;
            return SQLITE_OK;
        }
        if (rc != SQLITE_ROW) {
            cur->msg = NULL;
            sqlite3_free(vt->base.zErrMsg);
            vt->base.zErrMsg = zErr;
            return rc;
        }
        vt->k->scan.nRead++;
        int64_t ts = rd_kafka_message_timestamp(cur->msg, NULL);
        if (ts >= cur->tsLo && ts < cur->tsHi) return SQLITE_OK;
    }
}

static int kafka_filter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv)
{
    kafka_cursor *cur = (kafka_cursor *)pCur;
    kafka_vtab *vt = (kafka_vtab *)pCur->pVtab;
    (void)idxNum;
    ksq_scan_close(cur->scan);
    cur->scan = NULL;
    cur->msg = NULL;
    progress_end(cur, vt->k);

    const char *codes = strchr(idxStr, ':');
    cur->mask = strtoull(idxStr, NULL, 16);
    codes = codes ? codes + 1 : "";
    int64_t offLo = 0, offHi = INT64_MAX, partLo = 0, partHi = INT64_MAX;
    cur->tsLo = INT64_MIN;
    cur->tsHi = INT64_MAX;
    int empty = 0;
    for (int i = 0; i < argc && codes[2 * i]; i++) {
        char col = codes[2 * i], op = codes[2 * i + 1];
        if (col == 'p') empty |= narrow(argv[i], op, 0, &partLo, &partHi);
        if (col == 'o') empty |= narrow(argv[i], op, 0, &offLo, &offHi);
        if (col == 't') empty |= narrow(argv[i], op, 1, &cur->tsLo, &cur->tsHi);
    }
    if (empty) return SQLITE_OK;

    rd_kafka_t *rk = NULL;
    int32_t *aPart = NULL;
    int nPart = 0, nRange = 0;
    ksq_partition_range *aRange = NULL;
    char *zErr = NULL;
    const char *zTopic = vt->def.zTopic;
    int rc =
        ksq_kafka_consumer_new(&vt->def.opts, vt->k->zDefaultBrokers, 0, &cur->client, &rk, &zErr);
    if (!rc)
        rc = ksq_meta_partitions(rk, &cur->client, zTopic, KSQ_META_TIMEOUT_MS, &aPart, &nPart,
                                 &zErr);
    if (!rc) {
        aRange = sqlite3_malloc64(sizeof(ksq_partition_range) * (size_t)(nPart + 1));
        if (!aRange) rc = SQLITE_NOMEM;
    }
    for (int i = 0; i < nPart && !rc; i++) {
        if (aPart[i] >= partLo && aPart[i] < partHi) aRange[nRange++].partition = aPart[i];
    }
    if (!rc) rc = ksq_meta_watermarks(rk, zTopic, aRange, nRange, KSQ_META_TIMEOUT_MS, &zErr);
    for (int i = 0; i < nRange && !rc; i++) {
        if (aRange[i].start < offLo) aRange[i].start = offLo;
        if (aRange[i].end > offHi) aRange[i].end = offHi;
    }
    if (!rc && cur->tsLo > 0) {
        rc = ksq_meta_offsets_for_time(rk, zTopic, aRange, nRange, cur->tsLo, KSQ_META_TIMEOUT_MS,
                                       &zErr);
    }
    if (!rc) {
        int64_t nTotal = 0;
        for (int i = 0; i < nRange; i++)
            nTotal += aRange[i].end > aRange[i].start ? aRange[i].end - aRange[i].start : 0;
        rc = ksq_scan_open(rk, &cur->client, zTopic, aRange, nRange, &cur->scan, &zErr);
        rk = NULL;
        if (!rc) progress_begin(cur, vt->k, nTotal);
    }
    if (rk) rd_kafka_destroy(rk);
    sqlite3_free(aPart);
    sqlite3_free(aRange);
    if (!rc) return cursor_advance(cur);
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = zErr;
    return rc;
}

static int kafka_next(sqlite3_vtab_cursor *pCur)
{
    return cursor_advance((kafka_cursor *)pCur);
}

static int kafka_eof(sqlite3_vtab_cursor *pCur)
{
    return ((kafka_cursor *)pCur)->msg == NULL;
}

/* Decode the current message's used payload columns (once per row). */
static void cursor_decode(kafka_cursor *cur)
{
    if (cur->decoded) return;
    cur->decodeRc = ksq_decode(cur->dec, cur->msg->payload, cur->msg->len, cur->mask, cur->aVal);
    cur->decoded = 1;
}

static int kafka_column(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int iCol)
{
    kafka_cursor *cur = (kafka_cursor *)pCur;
    kafka_vtab *vt = (kafka_vtab *)pCur->pVtab;
    const rd_kafka_message_t *m = cur->msg;
    int ncol = vt_ncol(vt);
    if (iCol < ncol) {
        cursor_decode(cur);
        const ksq_value *v = &cur->aVal[iCol];
        switch (v->type) {
        case SQLITE_INTEGER:
            if (vt->def.schema.cols[iCol].type == KSQ_TIMESTAMP) {
                char buf[KSQ_TIME_TEXT_LEN + 1];
                ksq_time_format(v->u.i, buf);
                sqlite3_result_text(ctx, buf, KSQ_TIME_TEXT_LEN, SQLITE_TRANSIENT);
            } else {
                sqlite3_result_int64(ctx, v->u.i);
            }
            break;
        case SQLITE_FLOAT: sqlite3_result_double(ctx, v->u.r); break;
        case SQLITE_TEXT: sqlite3_result_text(ctx, v->u.z, v->n, SQLITE_TRANSIENT); break;
        default: break;
        }
        return SQLITE_OK;
    }
    switch (iCol - ncol) {
    case HID_PARTITION: sqlite3_result_int(ctx, m->partition); break;
    case HID_OFFSET: sqlite3_result_int64(ctx, m->offset); break;
    case HID_TIMESTAMP: {
        int64_t ts = rd_kafka_message_timestamp(m, NULL);
        if (ts >= 0) sqlite3_result_int64(ctx, ts);
        break;
    }
    case HID_KEY:
        if (m->key) sqlite3_result_text(ctx, m->key, (int)m->key_len, SQLITE_TRANSIENT);
        break;
    case HID_VALUE:
        if (m->payload) sqlite3_result_text(ctx, m->payload, (int)m->len, SQLITE_TRANSIENT);
        break;
    case HID_ERROR:
        cursor_decode(cur);
        if (cur->decodeRc == SQLITE_NOMEM) return SQLITE_NOMEM;
        if (cur->decodeRc)
            sqlite3_result_text(ctx, ksq_decoder_error(cur->dec), -1, SQLITE_TRANSIENT);
        break;
    }
    return SQLITE_OK;
}

static int kafka_rowid(sqlite3_vtab_cursor *pCur, sqlite3_int64 *pRowid)
{
    const rd_kafka_message_t *m = ((kafka_cursor *)pCur)->msg;
    *pRowid = ((sqlite3_int64)m->partition << 40) | (m->offset & 0xFFFFFFFFFFLL);
    return SQLITE_OK;
}

static sqlite3_module kafka_module = {
    /* iVersion    */ 0,
    /* xCreate     */ kafka_connect, /* no shadow tables: create is connect */
    /* xConnect    */ kafka_connect,
    /* xBestIndex  */ kafka_best_index,
    /* xDisconnect */ kafka_disconnect,
    /* xDestroy    */ kafka_disconnect,
    /* xOpen       */ kafka_open,
    /* xClose      */ kafka_close,
    /* xFilter     */ kafka_filter,
    /* xNext       */ kafka_next,
    /* xEof        */ kafka_eof,
    /* xColumn     */ kafka_column,
    /* xRowid      */ kafka_rowid,
    /* xUpdate     */ 0, /* read-only */
    /* xBegin      */ 0,
    /* xSync       */ 0,
    /* xCommit     */ 0,
    /* xRollback   */ 0,
    /* xFindMethod */ 0,
    /* xRename     */ 0,
    /* xSavepoint  */ 0,
    /* xRelease    */ 0,
    /* xRollbackTo */ 0,
    /* xShadowName */ 0,
};

int ksq_vtab_register(sqlite3 *db, ksqlite *k)
{
    return sqlite3_create_module_v2(db, "kafka", &kafka_module, k, NULL);
}
