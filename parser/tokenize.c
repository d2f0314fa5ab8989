/*
** tokenize.c — an SQLite-compatible tokenizer for the stream-SQL front end.
**
**   ksq_tokens t;
**   ksq_tokenize("SELECT city, count(*) FROM weather;", &t);
**   // t.a[0] = {KSQ_TK_ID "SELECT"}, {KSQ_TK_ID "city"}, {KSQ_TK_PUNCT ","}, ...
**
** Tokens keep their byte offset into the text, so rewritten SQL can copy
** spans verbatim and errors can point at a position. Whitespace and comments
** are dropped. Keywords are identifiers; ksq_tok_is() compares them.
*/
#include "ksq_parse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Every SQLite keyword (for telling aliases from syntax). */
static const char *const sqlite_keywords[] = {
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
};

int ksq_is_keyword(const char *z, int n)
{
    for (size_t i = 0; i < sizeof sqlite_keywords / sizeof sqlite_keywords[0]; i++) {
        if ((int)strlen(sqlite_keywords[i]) == n &&
            strncasecmp(sqlite_keywords[i], z, (size_t)n) == 0)
            return 1;
    }
    return 0;
}

static int is_id_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Length of the token at z and its type; 0 at the end of the text. */
static int token_at(const char *z, int *pType)
{
    unsigned char c = (unsigned char)z[0];
    int i;
    if (c == 0) return 0;
    if (isspace(c)) {
        for (i = 1; isspace((unsigned char)z[i]); i++) {
        }
        *pType = KSQ_TK_SPACE;
        return i;
    }
    if (c == '-' && z[1] == '-') {
        for (i = 2; z[i] && z[i] != '\n'; i++) {
        }
        *pType = KSQ_TK_SPACE;
        return i;
    }
    if (c == '/' && z[1] == '*') {
        for (i = 2; z[i] && !(z[i] == '*' && z[i + 1] == '/'); i++) {
        }
        *pType = KSQ_TK_SPACE;
        return z[i] ? i + 2 : i;
    }
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
        char close = c == '[' ? ']' : (char)c;
        for (i = 1; z[i]; i++) {
            if (z[i] == close) {
                if (c != '[' && z[i + 1] == close) {
                    i++;
                    continue;
                }
                *pType = c == '\'' ? KSQ_TK_STRING : KSQ_TK_ID;
                return i + 1;
            }
        }
        *pType = KSQ_TK_ILLEGAL; /* unterminated */
        return i;
    }
    if ((c == 'x' || c == 'X') && z[1] == '\'') {
        for (i = 2; z[i] && z[i] != '\''; i++) {
        }
        *pType = z[i] ? KSQ_TK_BLOB : KSQ_TK_ILLEGAL;
        return z[i] ? i + 1 : i;
    }
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)z[1]))) {
        i = 0;
        if (c == '0' && (z[1] == 'x' || z[1] == 'X') && isxdigit((unsigned char)z[2])) {
            for (i = 2; isxdigit((unsigned char)z[i]); i++) {
            }
        } else {
            while (isdigit((unsigned char)z[i]) || z[i] == '_') i++;
            if (z[i] == '.') {
                i++;
                while (isdigit((unsigned char)z[i])) i++;
            }
            if ((z[i] == 'e' || z[i] == 'E') &&
                (isdigit((unsigned char)z[i + 1]) ||
                 ((z[i + 1] == '+' || z[i + 1] == '-') && isdigit((unsigned char)z[i + 2])))) {
                i += 2;
                while (isdigit((unsigned char)z[i])) i++;
            }
        }
        *pType = KSQ_TK_NUMBER;
        return i;
    }
    if (c == '?' || c == ':' || c == '@' || (c == '$' && is_id_char((unsigned char)z[1]))) {
        for (i = 1; is_id_char((unsigned char)z[i]); i++) {
        }
        *pType = KSQ_TK_VARIABLE;
        return i;
    }
    if (isalpha(c) || c == '_' || c >= 0x80) {
        for (i = 1; is_id_char((unsigned char)z[i]); i++) {
        }
        *pType = KSQ_TK_ID;
        return i;
    }
    /* Operators: the two- and three-character ones first. */
    static const char *const ops[] = {"->>", "||", "<=", ">=", "<>", "!=", "==", "<<", ">>", "->"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k]);
        if (strncmp(z, ops[k], n) == 0) {
            *pType = KSQ_TK_PUNCT;
            return (int)n;
        }
    }
    *pType = strchr("(),.;+-*/%<>=&|~", c) ? KSQ_TK_PUNCT : KSQ_TK_ILLEGAL;
    return 1;
}

int ksq_tokenize(const char *zSql, ksq_tokens *pOut)
{
    memset(pOut, 0, sizeof *pOut);
    pOut->zSql = zSql;
    int off = 0;
    for (;;) {
        int type = 0;
        int n = token_at(zSql + off, &type);
        if (n == 0) break;
        if (type != KSQ_TK_SPACE) {
            if (pOut->n == pOut->nAlloc) {
                int cap = pOut->nAlloc ? pOut->nAlloc * 2 : 64;
                ksq_token *a = sqlite3_realloc64(pOut->a, sizeof(ksq_token) * (size_t)cap);
                if (!a) {
                    ksq_tokens_free(pOut);
                    return SQLITE_NOMEM;
                }
                pOut->a = a;
                pOut->nAlloc = cap;
            }
            ksq_token *t = &pOut->a[pOut->n++];
            t->type = type;
            t->off = off;
            t->n = n;
        }
        off += n;
    }
    return SQLITE_OK;
}

void ksq_tokens_free(ksq_tokens *t)
{
    sqlite3_free(t->a);
    memset(t, 0, sizeof *t);
}

int ksq_tok_is(const ksq_tokens *t, int i, const char *zWord)
{
    if (i < 0 || i >= t->n) return 0;
    const ksq_token *k = &t->a[i];
    if (k->type != KSQ_TK_ID && k->type != KSQ_TK_PUNCT) return 0;
    return (int)strlen(zWord) == k->n && strncasecmp(t->zSql + k->off, zWord, (size_t)k->n) == 0;
}

int ksq_tok_is_name(const ksq_tokens *t, int i)
{
    if (i < 0 || i >= t->n || t->a[i].type != KSQ_TK_ID) return 0;
    const char *z = t->zSql + t->a[i].off;
    if (z[0] == '"' || z[0] == '[' || z[0] == '`') return 1;
    return !ksq_is_keyword(z, t->a[i].n);
}

char *ksq_tok_text(const ksq_tokens *t, int i)
{
    if (i < 0 || i >= t->n) return NULL;
    const ksq_token *k = &t->a[i];
    const char *z = t->zSql + k->off;
    if (k->type == KSQ_TK_ID && (z[0] == '"' || z[0] == '[' || z[0] == '`')) {
        char close = z[0] == '[' ? ']' : z[0];
        sqlite3_str *s = sqlite3_str_new(NULL);
        for (int j = 1; j < k->n - 1; j++) {
            sqlite3_str_appendchar(s, 1, z[j]);
            if (z[j] == close && z[0] != '[') j++;
        }
        char *out = sqlite3_str_finish(s);
        return out ? out : sqlite3_mprintf("");
    }
    if (k->type == KSQ_TK_STRING) {
        sqlite3_str *s = sqlite3_str_new(NULL);
        for (int j = 1; j < k->n - 1; j++) {
            sqlite3_str_appendchar(s, 1, z[j]);
            if (z[j] == '\'') j++;
        }
        char *out = sqlite3_str_finish(s);
        return out ? out : sqlite3_mprintf("");
    }
    return sqlite3_mprintf("%.*s", k->n, z);
}

int ksq_tok_end(const ksq_tokens *t, int i)
{
    return t->a[i].off + t->a[i].n;
}

int ksq_tok_match_paren(const ksq_tokens *t, int i)
{
    int depth = 0;
    for (int j = i; j < t->n; j++) {
        if (ksq_tok_is(t, j, "(")) depth++;
        if (ksq_tok_is(t, j, ")") && --depth == 0) return j;
    }
    return -1;
}
