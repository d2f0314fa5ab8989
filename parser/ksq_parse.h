/*
** ksq_parse.h — the stream-SQL front end.
**
**   tokenize.c   SQLite-compatible tokens with byte offsets
**   statement.c  split scripts into statements; recognise and parse the stream
**                statements (CREATE STREAM / MATERIALIZED VIEW, DROP, SHOW,
**                DESCRIBE, EXPLAIN); everything else is plain SQLite SQL
**   select.c     take a view's SELECT apart: items, FROM, WHERE, GROUP BY
**                (with its TUMBLE / HOP / SESSION window), HAVING, and the
**                aggregate calls the engine must maintain incrementally
**   rewrite.c    rebuild SQL text from token spans with replacements
**
** The parser never evaluates expressions: SQLite does. It only finds the
** pieces the engine must rearrange, and keeps everything else verbatim.
*/
#ifndef KSQ_PARSE_H
#define KSQ_PARSE_H

#include <stdint.h>

#include "ksq_int.h"

/* ------------------------------------------------------------------ tokens */
enum {
    KSQ_TK_SPACE = 1, /* whitespace and comments (never stored) */
    KSQ_TK_ID,        /* identifier or keyword, bare or quoted */
    KSQ_TK_STRING,    /* 'text' */
    KSQ_TK_NUMBER,    /* 12, 1.5e3, 0x1F */
    KSQ_TK_BLOB,      /* x'00ff' */
    KSQ_TK_VARIABLE,  /* ?, ?1, :name, @name, $name */
    KSQ_TK_PUNCT,     /* operators, parentheses, comma, dot, semicolon */
    KSQ_TK_ILLEGAL    /* anything else, or an unterminated string */
};

typedef struct ksq_token {
    int type; /* KSQ_TK_* */
    int off;  /* byte offset in the text */
    int n;    /* length in bytes */
} ksq_token;

typedef struct ksq_tokens {
    const char *zSql; /* the text (not owned) */
    ksq_token *a;     /* tokens, whitespace dropped */
    int n, nAlloc;    /* count and allocation */
} ksq_tokens;

int ksq_tokenize(const char *zSql, ksq_tokens *pOut);
void ksq_tokens_free(ksq_tokens *t);
/* Token i is the keyword or punctuation zWord (case-insensitive). */
int ksq_tok_is(const ksq_tokens *t, int i, const char *zWord);
/* Token i is an identifier that is not a keyword (quoted ones always are names). */
int ksq_tok_is_name(const ksq_tokens *t, int i);
/* Token i's text, unquoted (identifiers and strings); from sqlite3_malloc. */
char *ksq_tok_text(const ksq_tokens *t, int i);
/* Byte offset just past token i. */
int ksq_tok_end(const ksq_tokens *t, int i);
/* Index of the ')' matching the '(' at i, or -1. */
int ksq_tok_match_paren(const ksq_tokens *t, int i);
int ksq_is_keyword(const char *z, int n);

/* ------------------------------------------------------------------ statements */

/* Find the next statement in zSql starting at byte *pOff: sets *pStart and
** *pEnd (just past its ';', or the end of text). Returns 0 when only blanks
** and comments are left. */
int ksq_next_statement(const char *zSql, int *pOff, int *pStart, int *pEnd);

typedef enum ksq_stmt_kind {
    KSQ_STMT_SQL = 0, /* plain SQLite SQL */
    KSQ_STMT_CREATE_STREAM,
    KSQ_STMT_CREATE_VIEW,
    KSQ_STMT_DROP_STREAM,
    KSQ_STMT_DROP_VIEW,
    KSQ_STMT_SHOW_STREAMS,
    KSQ_STMT_SHOW_VIEWS,
    KSQ_STMT_DESCRIBE,
    KSQ_STMT_EXPLAIN_VIEW,
    KSQ_STMT_PUSH_QUERY, /* SELECT ... EMIT CHANGES */
    KSQ_STMT_CREATE_SINK,
    KSQ_STMT_DROP_SINK,
    KSQ_STMT_SHOW_SINKS,
    KSQ_STMT_COMPACT_SINK,
    KSQ_STMT_EXPORT,      /* EXPORT name TO 'file' */
    KSQ_STMT_ALTER_STREAM /* ALTER STREAM name SET (key = value, ...) */
} ksq_stmt_kind;

typedef enum ksq_emit { KSQ_EMIT_DEFAULT = 0, KSQ_EMIT_FINAL, KSQ_EMIT_CHANGES } ksq_emit;

typedef struct ksq_stmt {
    ksq_stmt_kind kind;
    char *zName;      /* the object's name */
    int ifExists;     /* IF EXISTS / IF NOT EXISTS was given */
    char *zColumns;   /* CREATE STREAM: the column list text, or NULL to infer */
    ksq_options opts; /* CREATE STREAM: the WITH options */
    char *zSelect;    /* CREATE VIEW / push query: the SELECT, without EMIT */
    int selectOff;    /* byte offset of zSelect in the statement */
    ksq_emit emit;    /* the EMIT clause */
    /* CREATE SINK, EXPORT */
    char *zFrom;       /* the view a sink reads; the table or view EXPORT writes */
    int intoTopic;     /* INTO TOPIC (else INTO FILES) */
    char *zTarget;     /* the directory or topic; EXPORT: the file */
    char *zFormat;     /* FORMAT as written (CSV, JSONL, JSON), or NULL */
    int nPart;         /* PARTITION BY items */
    char **azPartExpr; /* their expressions, as written */
    char **azPartName; /* and their names (AS name, or the column's) */
    int *aPartOff;     /* byte offset of each expression, for errors */
    char *zKey;        /* KEY column of a topic sink, or NULL */
} ksq_stmt;

/* Parse the statement zSql[0..n). Plain SQL gives kind KSQ_STMT_SQL. On a
** syntax error returns SQLITE_ERROR with *pzErr and *pErrOff (byte offset). */
int ksq_stmt_parse(const char *zSql, int n, ksq_stmt *p, char **pzErr, int *pErrOff);
void ksq_stmt_clear(ksq_stmt *p);

/* ------------------------------------------------------------------ SELECT analysis */
typedef enum ksq_window_kind {
    KSQ_WIN_NONE = 0,
    KSQ_WIN_TUMBLE,
    KSQ_WIN_HOP,
    KSQ_WIN_SESSION
} ksq_window_kind;

typedef enum ksq_agg_fn {
    KSQ_AGG_COUNT_STAR = 1,
    KSQ_AGG_COUNT,
    KSQ_AGG_SUM,
    KSQ_AGG_TOTAL,
    KSQ_AGG_AVG,
    KSQ_AGG_MIN,
    KSQ_AGG_MAX,
    KSQ_AGG_GROUP_CONCAT,
    KSQ_AGG_VAR_SAMP,
    KSQ_AGG_VAR_POP,
    KSQ_AGG_STDDEV_SAMP,
    KSQ_AGG_STDDEV_POP,
    KSQ_AGG_FIRST,
    KSQ_AGG_LAST
} ksq_agg_fn;

typedef struct ksq_span {
    int start, end; /* token indices [start, end); start == end is empty */
} ksq_span;

typedef struct ksq_agg_call {
    ksq_agg_fn fn;   /* which aggregate */
    int distinct;    /* fn(DISTINCT x) */
    ksq_span call;   /* the whole call, FILTER clause included */
    ksq_span arg;    /* the argument (empty for count(*)) */
    ksq_span sep;    /* group_concat's separator, or empty */
    ksq_span filter; /* the FILTER (WHERE ...) condition, or empty */
} ksq_agg_call;

typedef struct ksq_select_item {
    ksq_span expr; /* the expression, without its alias */
    char *zName;   /* the result column's name (alias, column name or text) */
    int isStar;    /* `*` or `t.*` */
} ksq_select_item;

typedef struct ksq_select {
    char *zSql;      /* the SELECT text (owned) */
    ksq_tokens toks; /* its tokens */
    int nItem;       /* result columns */
    ksq_select_item *aItem;
    ksq_span from;  /* tokens after FROM */
    ksq_span where; /* WHERE condition, or empty */
    int nGroup;     /* GROUP BY expressions other than the window */
    ksq_span *aGroup;
    int hasGroupBy;          /* a GROUP BY clause is present */
    ksq_span having;         /* HAVING condition, or empty */
    ksq_window_kind winKind; /* the window in GROUP BY */
    ksq_span winTime;        /* its time column argument */
    int winTok;              /* token index of TUMBLE/HOP/SESSION, for errors */
    int64_t sizeMs;          /* TUMBLE/HOP size */
    int64_t slideMs;         /* HOP slide (TUMBLE: size) */
    int64_t gapMs;           /* SESSION gap */
    int nAgg;                /* aggregate calls in the items and HAVING */
    ksq_agg_call *aAgg;
} ksq_select;

/* Analyse a view's SELECT. Errors carry a byte offset into zSelect. */
int ksq_select_parse(const char *zSelect, ksq_select *p, char **pzErr, int *pErrOff);
void ksq_select_clear(ksq_select *p);
/* The SQL name of an aggregate function, for messages. */
const char *ksq_agg_name(ksq_agg_fn fn);

/* ------------------------------------------------------------------ rewriting */
typedef struct ksq_replace {
    ksq_span span; /* tokens replaced */
    char *zText;   /* replacement text (owned by the caller) */
} ksq_replace;

/* Text of tokens [span) with the (sorted, non-overlapping) replacements
** applied; the original spacing between tokens is kept. sqlite3_malloc'd. */
char *ksq_rewrite(const ksq_tokens *t, ksq_span span, const ksq_replace *aRep, int nRep);
/* Verbatim text of a token span. */
char *ksq_span_text(const ksq_tokens *t, ksq_span span);
/* Is token i where a FROM clause starting at token fromStart names a table
** (after FROM, JOIN or a comma, possibly as schema.name)? */
int ksq_tok_table_position(const ksq_tokens *t, int i, int fromStart);
/* The text of span with the table named at token i (possibly schema.name)
** replaced by zTable (SQL text, e.g. temp."ksq_b_v"), keeping how the query
** refers to it: its alias, or zName as the alias when it has none. The alias
** comes back through *pzAlias when pzAlias is not NULL. NULL on OOM. */
char *ksq_rewrite_table(const ksq_tokens *t, ksq_span span, int i, const char *zTable,
                        const char *zName, char **pzAlias);

#endif /* KSQ_PARSE_H */
