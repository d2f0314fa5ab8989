/*
** names.c — the names a user types: tables, views and streams in the
** database, their columns, and the tables a statement reads. Completion,
** error hints and .tables share them.
**
**   name_list l = {0};
**   names_columns(sh, "weather", &l);   // city, country, ..., _partition, _offset, ...
**   names_free(&l);
*/
#include "shell.h"
#include "ksq_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void names_add(name_list *p, const char *z, int n)
{
    if (!z) return;
    if (n < 0) n = (int)strlen(z);
    for (int i = 0; i < p->n; i++) {
        if ((int)strlen(p->az[i]) == n && strncmp(p->az[i], z, (size_t)n) == 0) return;
    }
    if (p->n == p->nAlloc) {
        int cap = p->nAlloc ? p->nAlloc * 2 : 16;
        char **a = realloc(p->az, sizeof(char *) * (size_t)cap);
        if (!a) return;
        p->az = a;
        p->nAlloc = cap;
    }
    char *c = malloc((size_t)n + 1);
    if (!c) return;
    memcpy(c, z, (size_t)n);
    c[n] = 0;
    p->az[p->n++] = c;
}

void names_free(name_list *p)
{
    for (int i = 0; i < p->n; i++) free(p->az[i]);
    free(p->az);
    memset(p, 0, sizeof *p);
}

/* Add the first column of every row of zSql (with ?1 bound to zArg when not
** NULL) to p. Returns the number of rows; errors add nothing. */
static int add_query(shell *sh, const char *zSql, const char *zArg, name_list *p)
{
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_prepare_v2(ksqlite_db(sh->k), zSql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (zArg) sqlite3_bind_text(st, 1, zArg, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        names_add(p, (const char *)sqlite3_column_text(st, 0), -1);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

void names_tables(shell *sh, name_list *p)
{
    /* The engine's own tables are internals, except the two a user reads. */
    static const char zSql[] =
        "SELECT name FROM (SELECT name, type FROM main.sqlite_schema UNION ALL "
        "SELECT name, type FROM temp.sqlite_schema) WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (name NOT LIKE 'ksq\\_%' ESCAPE '\\' "
        "OR name IN ('ksq_dead_letters', 'ksq_late')) ORDER BY name";
    add_query(sh, zSql, NULL, p);
}

void names_streams(shell *sh, name_list *p)
{
    add_query(sh, "SELECT name FROM ksq_streams ORDER BY name", NULL, p);
}

void names_sinks(shell *sh, name_list *p)
{
    add_query(sh, "SELECT name FROM ksq_sinks ORDER BY name", NULL, p);
}

int names_columns(shell *sh, const char *zTable, name_list *p)
{
    return add_query(sh, "SELECT name FROM pragma_table_xinfo(?1)", zTable, p);
}

/* Keywords that end a FROM clause or cannot be a table name. */
static int ends_from(const ksq_tokens *t, int i)
{
    static const char *const az[] = {"WHERE",  "GROUP", "ORDER",  "HAVING", "LIMIT",
                                     "WINDOW", "EMIT",  "UNION",  "EXCEPT", "INTERSECT",
                                     "ON",     "USING", "SELECT", "VALUES", "SET"};
    for (size_t k = 0; k < sizeof az / sizeof az[0]; k++) {
        if (ksq_tok_is(t, i, az[k])) return 1;
    }
    return 0;
}

void names_in_statement(const char *zSql, name_list *tables, name_list *aliases)
{
    ksq_tokens t;
    memset(&t, 0, sizeof t);
    if (ksq_tokenize(zSql, &t) != SQLITE_OK) {
        ksq_tokens_free(&t);
        return;
    }
    int expect = 0, inFrom = 0, depth = 0, fromDepth = 0, afterInto = 0;
    for (int i = 0; i < t.n; i++) {
        if (ksq_tok_is(&t, i, "(")) depth++;
        if (ksq_tok_is(&t, i, ")")) depth--;
        if (ksq_tok_is(&t, i, "FROM") || ksq_tok_is(&t, i, "JOIN") || ksq_tok_is(&t, i, "INTO") ||
            ksq_tok_is(&t, i, "UPDATE")) {
            expect = 1;
            inFrom = 1;
            fromDepth = depth;
            afterInto = ksq_tok_is(&t, i, "INTO");
            continue;
        }
        if (expect && t.a[i].type == KSQ_TK_ID && !ends_from(&t, i)) {
            int iName = i;
            /* schema.table */
            if (i + 2 < t.n && ksq_tok_is(&t, i + 1, ".") && t.a[i + 2].type == KSQ_TK_ID) {
                iName = i + 2;
                i += 2;
            }
            /* A table-valued function is not a table (INSERT INTO t(a, b) is). */
            if (!afterInto && i + 1 < t.n && ksq_tok_is(&t, i + 1, "(")) {
                expect = 0;
                continue;
            }
            char *zName = ksq_tok_text(&t, iName);
            names_add(tables, zName, -1);
            int j = i + 1;
            if (j < t.n && ksq_tok_is(&t, j, "AS")) j++;
            if (j < t.n && ksq_tok_is_name(&t, j) && !ends_from(&t, j)) {
                char *zAlias = ksq_tok_text(&t, j);
                char *zPair = sqlite3_mprintf("%s=%s", zAlias, zName);
                names_add(aliases, zPair, -1);
                sqlite3_free(zPair);
                sqlite3_free(zAlias);
                i = j;
            }
            sqlite3_free(zName);
            expect = 0;
            continue;
        }
        expect = 0;
        if (inFrom && depth == fromDepth && ksq_tok_is(&t, i, ",")) {
            expect = 1;
        } else if (ends_from(&t, i)) {
            inFrom = 0;
        }
    }
    ksq_tokens_free(&t);
}

const char *names_resolve_alias(const name_list *aliases, const char *zAlias)
{
    size_t n = strlen(zAlias);
    for (int i = 0; i < aliases->n; i++) {
        const char *z = aliases->az[i];
        if (strncasecmp(z, zAlias, n) == 0 && z[n] == '=') return z + n + 1;
    }
    return zAlias;
}

int names_distance(const char *a, const char *b)
{
    int na = (int)strlen(a), nb = (int)strlen(b);
    if (na > 64 || nb > 64) return 1000;
    int prev[65], cur[65];
    for (int j = 0; j <= nb; j++) prev[j] = j;
    for (int i = 1; i <= na; i++) {
        cur[0] = i;
        for (int j = 1; j <= nb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            cur[j] = v;
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(nb + 1));
    }
    return prev[nb];
}
