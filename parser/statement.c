/*
** statement.c — split scripts into statements and recognise the stream
** statements; everything else is left to SQLite.
**
**   CREATE STREAM [IF NOT EXISTS] name [(columns)] WITH (key = value, ...)
**   CREATE MATERIALIZED VIEW [IF NOT EXISTS] name AS SELECT ... [EMIT FINAL|CHANGES]
**   DROP STREAM [IF EXISTS] name
**   DROP MATERIALIZED VIEW [IF EXISTS] name
**   SHOW STREAMS | SHOW VIEWS
**   DESCRIBE name
**   EXPLAIN [MATERIALIZED VIEW] name
**   SELECT ... EMIT CHANGES                      (a push query)
**   CREATE SINK [IF NOT EXISTS] name FROM view
**       INTO FILES 'dir' FORMAT CSV|JSONL [PARTITION BY (expr [AS name], ...)]
**       [WITH (key = value, ...)]
**   CREATE SINK [IF NOT EXISTS] name FROM view
**       INTO TOPIC 'topic' FORMAT JSON|CSV [KEY column] [WITH (...)]
**   DROP SINK [IF EXISTS] name | SHOW SINKS | COMPACT SINK name
**   EXPORT name TO 'file' [FORMAT CSV|JSONL]
**   ALTER STREAM name SET (key = value, ...)
*/
#include "ksq_parse.h"

#include <string.h>
#include <strings.h>

int ksq_next_statement(const char *zSql, int *pOff, int *pStart, int *pEnd)
{
    ksq_tokens t;
    const char *z = zSql + *pOff;
    if (ksq_tokenize(z, &t) != SQLITE_OK || t.n == 0) {
        ksq_tokens_free(&t);
        return 0;
    }
    int start = t.a[0].off, end = (int)strlen(z);
    for (int i = 0; i < t.n; i++) {
        if (!ksq_tok_is(&t, i, ";")) continue;
        /* A ';' ends the statement unless it is inside a trigger body. */
        int e = ksq_tok_end(&t, i);
        char *zPrefix = sqlite3_mprintf("%.*s", e - start, z + start);
        int complete = zPrefix ? sqlite3_complete(zPrefix) : 1;
        sqlite3_free(zPrefix);
        if (complete) {
            end = e;
            break;
        }
    }
    ksq_tokens_free(&t);
    *pStart = *pOff + start;
    *pEnd = *pOff + end;
    *pOff = *pEnd;
    return 1;
}

void ksq_stmt_clear(ksq_stmt *p)
{
    sqlite3_free(p->zName);
    sqlite3_free(p->zColumns);
    sqlite3_free(p->zSelect);
    sqlite3_free(p->zFrom);
    sqlite3_free(p->zTarget);
    sqlite3_free(p->zFormat);
    sqlite3_free(p->zKey);
    for (int i = 0; i < p->nPart; i++) {
        sqlite3_free(p->azPartExpr[i]);
        sqlite3_free(p->azPartName[i]);
    }
    sqlite3_free(p->azPartExpr);
    sqlite3_free(p->azPartName);
    sqlite3_free(p->aPartOff);
    ksq_options_clear(&p->opts);
    memset(p, 0, sizeof *p);
}

/* Parser state for one statement. */
typedef struct stmt_parser {
    ksq_tokens t; /* tokens of the statement */
    int i;        /* next token */
    int n;        /* tokens before a trailing ';' */
    char **pzErr;
    int *pErrOff;
} stmt_parser;

static int syntax_error(stmt_parser *sp, const char *zWant)
{
    int at = sp->i < sp->t.n ? sp->i : sp->t.n - 1;
    if (sp->i < sp->n) {
        *sp->pzErr = sqlite3_mprintf("syntax error near \"%.*s\": expected %s", sp->t.a[at].n,
                                     sp->t.zSql + sp->t.a[at].off, zWant);
    } else {
        *sp->pzErr = sqlite3_mprintf("incomplete statement: expected %s", zWant);
    }
    *sp->pErrOff = at >= 0 ? sp->t.a[at].off : 0;
    return SQLITE_ERROR;
}

static int accept(stmt_parser *sp, const char *zWord)
{
    if (sp->i < sp->n && ksq_tok_is(&sp->t, sp->i, zWord)) {
        sp->i++;
        return 1;
    }
    return 0;
}

/* IF [NOT] EXISTS */
static int parse_if(stmt_parser *sp, int wantNot, int *pIf)
{
    if (!accept(sp, "IF")) return SQLITE_OK;
    if (wantNot && !accept(sp, "NOT")) return syntax_error(sp, "NOT EXISTS");
    if (!accept(sp, "EXISTS")) return syntax_error(sp, "EXISTS");
    *pIf = 1;
    return SQLITE_OK;
}

static int parse_name(stmt_parser *sp, char **pzName)
{
    if (sp->i >= sp->n || sp->t.a[sp->i].type != KSQ_TK_ID) return syntax_error(sp, "a name");
    /* schema.name: only main is meaningful for streams and views */
    if (sp->i + 2 < sp->n && ksq_tok_is(&sp->t, sp->i + 1, ".")) {
        char *zSchema = ksq_tok_text(&sp->t, sp->i);
        int isMain = zSchema && strcasecmp(zSchema, "main") == 0;
        sqlite3_free(zSchema);
        if (!isMain) {
            *sp->pzErr = sqlite3_mprintf("streams and views live in the main schema");
            *sp->pErrOff = sp->t.a[sp->i].off;
            return SQLITE_ERROR;
        }
        sp->i += 2;
    }
    *pzName = ksq_tok_text(&sp->t, sp->i++);
    return *pzName ? SQLITE_OK : SQLITE_NOMEM;
}

static int at_end(stmt_parser *sp)
{
    return sp->i >= sp->n;
}

static int expect_end(stmt_parser *sp)
{
    return at_end(sp) ? SQLITE_OK : syntax_error(sp, "the end of the statement");
}

/* WITH ( key = value [, ...] ) */
static int parse_with(stmt_parser *sp, ksq_options *opts)
{
    if (!accept(sp, "(")) return syntax_error(sp, "'(' after WITH");
    for (;;) {
        if (sp->i >= sp->n) return syntax_error(sp, "an option");
        int kt = sp->t.a[sp->i].type;
        if (kt != KSQ_TK_ID && kt != KSQ_TK_STRING) return syntax_error(sp, "an option name");
        char *key = ksq_tok_text(&sp->t, sp->i++);
        /* dotted bare keys (fetch.min.bytes) are librdkafka's too */
        int dotted = 0;
        while (key && sp->i + 1 < sp->n && ksq_tok_is(&sp->t, sp->i, ".") &&
               sp->t.a[sp->i + 1].type == KSQ_TK_ID) {
            char *part = ksq_tok_text(&sp->t, sp->i + 1);
            char *joined = sqlite3_mprintf("%s.%s", key, part);
            sqlite3_free(key);
            sqlite3_free(part);
            key = joined;
            sp->i += 2;
            dotted = 1;
        }
        if (!key) return SQLITE_NOMEM;
        if (!accept(sp, "=")) {
            sqlite3_free(key);
            return syntax_error(sp, "'=' after the option name");
        }
        char *value = NULL;
        int neg = accept(sp, "-");
        if (sp->i < sp->n) {
            int vt = sp->t.a[sp->i].type;
            if (vt == KSQ_TK_STRING || vt == KSQ_TK_NUMBER || vt == KSQ_TK_ID) {
                char *v = ksq_tok_text(&sp->t, sp->i++);
                value = neg && v ? sqlite3_mprintf("-%s", v) : v;
                if (neg) sqlite3_free(v);
            }
        }
        if (!value) {
            sqlite3_free(key);
            return syntax_error(sp, "a value");
        }
        int rc = ksq_options_add(opts, key, value, kt == KSQ_TK_STRING || dotted);
        sqlite3_free(key);
        sqlite3_free(value);
        if (rc) return rc;
        if (accept(sp, ")")) return SQLITE_OK;
        if (!accept(sp, ",")) return syntax_error(sp, "',' or ')'");
    }
}

/* CREATE STREAM [IF NOT EXISTS] name [(columns)] [WITH (...)] */
static int parse_create_stream(stmt_parser *sp, ksq_stmt *p)
{
    int rc = parse_if(sp, 1, &p->ifExists);
    if (!rc) rc = parse_name(sp, &p->zName);
    if (rc) return rc;
    if (sp->i < sp->n && ksq_tok_is(&sp->t, sp->i, "(")) {
        int close = ksq_tok_match_paren(&sp->t, sp->i);
        if (close < 0 || close >= sp->n) return syntax_error(sp, "')' closing the column list");
        int from = ksq_tok_end(&sp->t, sp->i), to = sp->t.a[close].off;
        p->zColumns = sqlite3_mprintf("%.*s", to - from, sp->t.zSql + from);
        if (!p->zColumns) return SQLITE_NOMEM;
        sp->i = close + 1;
    }
    if (accept(sp, "WITH")) {
        rc = parse_with(sp, &p->opts);
        if (rc) return rc;
    }
    return expect_end(sp);
}

/* Strip a trailing EMIT FINAL / EMIT CHANGES; returns the new end. */
static int strip_emit(stmt_parser *sp, ksq_emit *pEmit)
{
    int n = sp->n;
    if (n >= 2 && ksq_tok_is(&sp->t, n - 2, "EMIT")) {
        if (ksq_tok_is(&sp->t, n - 1, "FINAL")) *pEmit = KSQ_EMIT_FINAL;
        if (ksq_tok_is(&sp->t, n - 1, "CHANGES")) *pEmit = KSQ_EMIT_CHANGES;
        if (*pEmit) return n - 2;
    }
    return n;
}

/* CREATE MATERIALIZED VIEW [IF NOT EXISTS] name AS select [EMIT ...] */
static int parse_create_view(stmt_parser *sp, ksq_stmt *p)
{
    int rc = parse_if(sp, 1, &p->ifExists);
    if (!rc) rc = parse_name(sp, &p->zName);
    if (rc) return rc;
    if (!accept(sp, "AS")) return syntax_error(sp, "AS");
    if (!ksq_tok_is(&sp->t, sp->i, "SELECT") && !ksq_tok_is(&sp->t, sp->i, "WITH"))
        return syntax_error(sp, "SELECT");
    int end = strip_emit(sp, &p->emit);
    if (sp->i >= end) return syntax_error(sp, "a SELECT");
    int from = sp->t.a[sp->i].off, to = ksq_tok_end(&sp->t, end - 1);
    p->selectOff = from;
    p->zSelect = sqlite3_mprintf("%.*s", to - from, sp->t.zSql + from);
    return p->zSelect ? SQLITE_OK : SQLITE_NOMEM;
}

/* A string literal: its text, unquoted. */
static int parse_string(stmt_parser *sp, const char *zWhat, char **pz)
{
    if (sp->i >= sp->n || sp->t.a[sp->i].type != KSQ_TK_STRING) return syntax_error(sp, zWhat);
    *pz = ksq_tok_text(&sp->t, sp->i++);
    return *pz ? SQLITE_OK : SQLITE_NOMEM;
}

/* FORMAT word */
static int parse_format(stmt_parser *sp, char **pz)
{
    if (!accept(sp, "FORMAT")) return SQLITE_OK;
    if (sp->i >= sp->n || sp->t.a[sp->i].type != KSQ_TK_ID)
        return syntax_error(sp, "a format (CSV, JSONL, JSON)");
    *pz = ksq_tok_text(&sp->t, sp->i++);
    return *pz ? SQLITE_OK : SQLITE_NOMEM;
}

/* PARTITION BY ( expr [AS name] [, ...] ): a bare column names itself. */
static int parse_partition_by(stmt_parser *sp, ksq_stmt *p)
{
    if (!accept(sp, "(")) return syntax_error(sp, "'(' after PARTITION BY");
    int close = ksq_tok_match_paren(&sp->t, sp->i - 1);
    if (close < 0 || close >= sp->n) return syntax_error(sp, "')' closing PARTITION BY");
    while (sp->i < close) {
        int start = sp->i, depth = 0, end = sp->i;
        while (end < close && (depth > 0 || !ksq_tok_is(&sp->t, end, ","))) {
            if (ksq_tok_is(&sp->t, end, "(")) depth++;
            if (ksq_tok_is(&sp->t, end, ")")) depth--;
            end++;
        }
        int exprEnd = end;
        char *zName = NULL;
        if (end - start >= 3 && ksq_tok_is(&sp->t, end - 2, "AS") &&
            sp->t.a[end - 1].type == KSQ_TK_ID) {
            zName = ksq_tok_text(&sp->t, end - 1);
            exprEnd = end - 2;
        } else if (end - start == 1 && sp->t.a[start].type == KSQ_TK_ID) {
            zName = ksq_tok_text(&sp->t, start);
        } else if (end > start) {
            sp->i = start;
            *sp->pzErr = sqlite3_mprintf("name this partition expression: expr AS name");
            *sp->pErrOff = sp->t.a[start].off;
            return SQLITE_ERROR;
        }
        if (exprEnd <= start) {
            sqlite3_free(zName);
            sp->i = start;
            return syntax_error(sp, "a partition column or expression");
        }
        char **ae = sqlite3_realloc64(p->azPartExpr, sizeof(char *) * (size_t)(p->nPart + 1));
        if (ae) p->azPartExpr = ae;
        char **an = sqlite3_realloc64(p->azPartName, sizeof(char *) * (size_t)(p->nPart + 1));
        if (an) p->azPartName = an;
        int *ao = sqlite3_realloc64(p->aPartOff, sizeof(int) * (size_t)(p->nPart + 1));
        if (ao) p->aPartOff = ao;
        char *zExpr = ksq_span_text(&sp->t, (ksq_span){start, exprEnd});
        if (!ae || !an || !ao || !zExpr || !zName) {
            sqlite3_free(zExpr);
            sqlite3_free(zName);
            return SQLITE_NOMEM;
        }
        p->azPartExpr[p->nPart] = zExpr;
        p->azPartName[p->nPart] = zName;
        p->aPartOff[p->nPart] = sp->t.a[start].off;
        p->nPart++;
        sp->i = end;
        if (sp->i < close && !accept(sp, ",")) return syntax_error(sp, "','");
    }
    sp->i = close + 1;
    return p->nPart > 0 ? SQLITE_OK : syntax_error(sp, "a partition column");
}

/* CREATE SINK [IF NOT EXISTS] name FROM view INTO FILES 'dir' | TOPIC 't' ... */
static int parse_create_sink(stmt_parser *sp, ksq_stmt *p)
{
    int rc = parse_if(sp, 1, &p->ifExists);
    if (!rc) rc = parse_name(sp, &p->zName);
    if (!rc && !accept(sp, "FROM")) rc = syntax_error(sp, "FROM and the view the sink reads");
    if (!rc) rc = parse_name(sp, &p->zFrom);
    if (!rc && !accept(sp, "INTO")) rc = syntax_error(sp, "INTO FILES or INTO TOPIC");
    if (rc) return rc;
    if (accept(sp, "TOPIC")) {
        p->intoTopic = 1;
        rc = parse_string(sp, "the topic, quoted", &p->zTarget);
    } else if (accept(sp, "FILES")) {
        rc = parse_string(sp, "the directory, quoted", &p->zTarget);
    } else {
        rc = syntax_error(sp, "FILES or TOPIC");
    }
    while (!rc && !at_end(sp)) {
        if (ksq_tok_is(&sp->t, sp->i, "FORMAT") && !p->zFormat) {
            rc = parse_format(sp, &p->zFormat);
        } else if (!p->intoTopic && p->nPart == 0 && accept(sp, "PARTITION")) {
            rc = accept(sp, "BY") ? parse_partition_by(sp, p) : syntax_error(sp, "BY");
        } else if (p->intoTopic && !p->zKey && accept(sp, "KEY")) {
            rc = parse_name(sp, &p->zKey);
        } else if (accept(sp, "WITH")) {
            rc = parse_with(sp, &p->opts);
        } else {
            rc = syntax_error(sp, p->intoTopic ? "FORMAT, KEY or WITH"
                                               : "FORMAT, PARTITION BY or WITH");
        }
    }
    return rc;
}

/* EXPORT name TO 'file' [FORMAT CSV|JSONL] */
static int parse_export(stmt_parser *sp, ksq_stmt *p)
{
    int rc = parse_name(sp, &p->zFrom);
    if (!rc && !accept(sp, "TO")) rc = syntax_error(sp, "TO 'file'");
    if (!rc) rc = parse_string(sp, "the file name, quoted", &p->zTarget);
    if (!rc) rc = parse_format(sp, &p->zFormat);
    if (!rc) rc = expect_end(sp);
    return rc;
}

int ksq_stmt_parse(const char *zSql, int n, ksq_stmt *p, char **pzErr, int *pErrOff)
{
    stmt_parser sp;
    memset(p, 0, sizeof *p);
    memset(&sp, 0, sizeof sp);
    char *z = sqlite3_mprintf("%.*s", n, zSql);
    if (!z) return SQLITE_NOMEM;
    int rc = ksq_tokenize(z, &sp.t);
    if (rc) {
        sqlite3_free(z);
        return rc;
    }
    sp.n = sp.t.n;
    while (sp.n > 0 && ksq_tok_is(&sp.t, sp.n - 1, ";")) sp.n--;
    sp.pzErr = pzErr;
    sp.pErrOff = pErrOff;
    ksq_tokens *t = &sp.t;

    if (accept(&sp, "CREATE")) {
        if (accept(&sp, "STREAM")) {
            p->kind = KSQ_STMT_CREATE_STREAM;
            rc = parse_create_stream(&sp, p);
        } else if (accept(&sp, "MATERIALIZED")) {
            p->kind = KSQ_STMT_CREATE_VIEW;
            rc = accept(&sp, "VIEW") ? parse_create_view(&sp, p) : syntax_error(&sp, "VIEW");
        } else if (accept(&sp, "SINK")) {
            p->kind = KSQ_STMT_CREATE_SINK;
            rc = parse_create_sink(&sp, p);
        }
    } else if (accept(&sp, "DROP")) {
        if (accept(&sp, "STREAM")) {
            p->kind = KSQ_STMT_DROP_STREAM;
        } else if (accept(&sp, "SINK")) {
            p->kind = KSQ_STMT_DROP_SINK;
        } else if (accept(&sp, "MATERIALIZED")) {
            p->kind = KSQ_STMT_DROP_VIEW;
            if (!accept(&sp, "VIEW")) rc = syntax_error(&sp, "VIEW");
        }
        if (p->kind && !rc) rc = parse_if(&sp, 0, &p->ifExists);
        if (p->kind && !rc) rc = parse_name(&sp, &p->zName);
        if (p->kind && !rc) rc = expect_end(&sp);
    } else if (accept(&sp, "SHOW")) {
        if (accept(&sp, "STREAMS")) {
            p->kind = KSQ_STMT_SHOW_STREAMS;
        } else if (accept(&sp, "VIEWS") || (accept(&sp, "MATERIALIZED") && accept(&sp, "VIEWS"))) {
            p->kind = KSQ_STMT_SHOW_VIEWS;
        } else if (accept(&sp, "SINKS")) {
            p->kind = KSQ_STMT_SHOW_SINKS;
        } else {
            p->kind = KSQ_STMT_SHOW_STREAMS;
            rc = syntax_error(&sp, "STREAMS, VIEWS or SINKS after SHOW");
        }
        if (!rc) rc = expect_end(&sp);
    } else if (ksq_tok_is(t, 0, "ALTER") && ksq_tok_is(t, 1, "STREAM")) {
        sp.i = 2;
        p->kind = KSQ_STMT_ALTER_STREAM;
        rc = parse_name(&sp, &p->zName);
        if (!rc && !accept(&sp, "SET")) rc = syntax_error(&sp, "SET (option = value, ...)");
        if (!rc) rc = parse_with(&sp, &p->opts);
        if (!rc) rc = expect_end(&sp);
    } else if (ksq_tok_is(t, 0, "COMPACT") && ksq_tok_is(t, 1, "SINK")) {
        sp.i = 2;
        p->kind = KSQ_STMT_COMPACT_SINK;
        rc = parse_name(&sp, &p->zName);
        if (!rc) rc = expect_end(&sp);
    } else if (ksq_tok_is(t, 0, "EXPORT")) {
        sp.i = 1;
        p->kind = KSQ_STMT_EXPORT;
        rc = parse_export(&sp, p);
    } else if (accept(&sp, "DESCRIBE")) {
        p->kind = KSQ_STMT_DESCRIBE;
        if (!accept(&sp, "STREAM") && accept(&sp, "MATERIALIZED")) (void)accept(&sp, "VIEW");
        rc = parse_name(&sp, &p->zName);
        if (!rc) rc = expect_end(&sp);
    } else if (ksq_tok_is(t, 0, "EXPLAIN")) {
        /* EXPLAIN MATERIALIZED VIEW v, or EXPLAIN v where v is a bare name;
        ** anything else (EXPLAIN SELECT, EXPLAIN QUERY PLAN) is SQLite's. */
        if (ksq_tok_is(t, 1, "MATERIALIZED") && ksq_tok_is(t, 2, "VIEW")) {
            sp.i = 3;
            p->kind = KSQ_STMT_EXPLAIN_VIEW;
        } else if (sp.n == 2 && ksq_tok_is_name(t, 1)) {
            sp.i = 1;
            p->kind = KSQ_STMT_EXPLAIN_VIEW;
        }
        if (p->kind) {
            rc = parse_name(&sp, &p->zName);
            if (!rc) rc = expect_end(&sp);
        }
    } else if (ksq_tok_is(t, 0, "SELECT") || ksq_tok_is(t, 0, "WITH")) {
        ksq_emit emit = 0;
        int end = strip_emit(&sp, &emit);
        if (emit == KSQ_EMIT_CHANGES && end > 0) {
            p->kind = KSQ_STMT_PUSH_QUERY;
            p->emit = emit;
            p->zSelect = sqlite3_mprintf("%.*s", ksq_tok_end(t, end - 1), z);
            if (!p->zSelect) rc = SQLITE_NOMEM;
        } else if (emit == KSQ_EMIT_FINAL) {
            *pzErr = sqlite3_mprintf("EMIT FINAL belongs to CREATE MATERIALIZED VIEW; a query "
                                     "can only EMIT CHANGES");
            *pErrOff = t->a[end].off;
            rc = SQLITE_ERROR;
        }
    }
    ksq_tokens_free(&sp.t);
    sqlite3_free(z);
    if (rc) {
        int kind = p->kind;
        ksq_stmt_clear(p);
        p->kind = kind;
    }
    return rc;
}
