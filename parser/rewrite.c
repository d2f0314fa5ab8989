/*
** rewrite.c — rebuild SQL text from token spans, replacing some of them.
**
** The engine rewrites a view's expressions (aggregate calls become state
** columns, the stream becomes the current batch) by replacing token spans
** and copying everything else verbatim, spacing and comments between
** tokens included.
*/
#include "ksq_parse.h"

char *ksq_span_text(const ksq_tokens *t, ksq_span span)
{
    return ksq_rewrite(t, span, NULL, 0);
}

char *ksq_rewrite(const ksq_tokens *t, ksq_span span, const ksq_replace *aRep, int nRep)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    if (span.start < span.end) {
        int pos = t->a[span.start].off; /* next byte to copy */
        for (int r = 0; r < nRep; r++) {
            const ksq_replace *rep = &aRep[r];
            if (rep->span.start < span.start || rep->span.end > span.end) continue;
            int from = t->a[rep->span.start].off;
            if (from > pos) sqlite3_str_append(s, t->zSql + pos, from - pos);
            sqlite3_str_appendall(s, rep->zText);
            pos = ksq_tok_end(t, rep->span.end - 1);
        }
        int end = ksq_tok_end(t, span.end - 1);
        if (end > pos) sqlite3_str_append(s, t->zSql + pos, end - pos);
    }
    char *out = sqlite3_str_finish(s);
    return out ? out : sqlite3_mprintf("");
}

int ksq_tok_table_position(const ksq_tokens *t, int i, int fromStart)
{
    int prev = i - 1;
    if (prev >= 1 && ksq_tok_is(t, prev, ".")) prev -= 2;
    if (prev < 0) return 0;
    return prev + 1 == fromStart || ksq_tok_is(t, prev, "FROM") || ksq_tok_is(t, prev, "JOIN") ||
           (ksq_tok_is(t, prev, ",") && prev >= fromStart);
}

char *ksq_rewrite_table(const ksq_tokens *t, ksq_span span, int i, const char *zTable,
                        const char *zName, char **pzAlias)
{
    int nameStart = i >= 2 && ksq_tok_is(t, i - 1, ".") ? i - 2 : i;
    char *zAlias = NULL;
    int hasAlias = 1;
    if (ksq_tok_is(t, i + 1, "AS") && i + 2 < span.end) {
        zAlias = ksq_tok_text(t, i + 2);
    } else if (i + 1 < span.end && ksq_tok_is_name(t, i + 1)) {
        zAlias = ksq_tok_text(t, i + 1);
    } else {
        zAlias = sqlite3_mprintf("%s", zName);
        hasAlias = 0;
    }
    ksq_replace rep;
    rep.span = (ksq_span){nameStart, i + 1};
    rep.zText = hasAlias ? sqlite3_mprintf("%s", zTable)
                         : sqlite3_mprintf("%s AS \"%w\"", zTable, zAlias ? zAlias : zName);
    char *out = zAlias && rep.zText ? ksq_rewrite(t, span, &rep, 1) : NULL;
    sqlite3_free(rep.zText);
    if (out && pzAlias) {
        *pzAlias = zAlias;
    } else {
        sqlite3_free(zAlias);
    }
    return out;
}
