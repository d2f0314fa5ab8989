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
