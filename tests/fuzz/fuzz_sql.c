/*
** fuzz_sql.c — the stream-SQL front end (parser/).
**
** The input is a script: it is tokenized, split into statements, each
** statement parsed (ksq_stmt_parse), and the SELECT of every CREATE
** MATERIALIZED VIEW and push query analysed (ksq_select_parse), as is the
** whole input on its own. Properties:
**
**   - tokens are in order, inside the text, never empty;
**   - statements advance through the text and lie inside it;
**   - a failed parse gives a message and an error offset inside the text;
**   - every span of an analysed SELECT lies inside its token list, windows
**     have positive sizes and a slide no larger than the size, and every
**     item rewrites (aggregate calls replaced) without failing.
*/
#include "fuzz.h"
#include "ksq_parse.h"

/* Tokens of z are ordered, inside the text and non-empty. */
static void check_tokens(const char *z, const ksq_tokens *t)
{
    int len = (int)strlen(z), prevEnd = 0;
    for (int i = 0; i < t->n; i++) {
        const ksq_token *k = &t->a[i];
        FUZZ_ASSERT(k->type >= KSQ_TK_ID && k->type <= KSQ_TK_ILLEGAL);
        FUZZ_ASSERT(k->n > 0 && k->off >= prevEnd && k->off + k->n <= len);
        prevEnd = k->off + k->n;
        char *text = ksq_tok_text(t, i);
        FUZZ_ASSERT(text != NULL);
        sqlite3_free(text);
        if (i < 256 && ksq_tok_is(t, i, "(")) { /* (a bound: each match is a scan) */
            int close = ksq_tok_match_paren(t, i);
            FUZZ_ASSERT(close == -1 || (close > i && ksq_tok_is(t, close, ")")));
        }
    }
}

static void check_span(const ksq_select *p, ksq_span s)
{
    FUZZ_ASSERT(s.start >= 0 && s.start <= s.end && s.end <= p->toks.n);
    char *text = ksq_span_text(&p->toks, s);
    FUZZ_ASSERT(text != NULL);
    sqlite3_free(text);
}

/* Analyse a SELECT and check what the analysis says. */
static void check_select(const char *zSelect)
{
    ksq_select sel;
    char *zErr = NULL;
    int errOff = -1;
    int rc = ksq_select_parse(zSelect, &sel, &zErr, &errOff);
    if (rc == SQLITE_NOMEM) {
        ksq_select_clear(&sel);
        return;
    }
    if (rc != SQLITE_OK) {
        FUZZ_ASSERT(rc == SQLITE_ERROR && zErr && zErr[0]);
        FUZZ_ASSERT(errOff >= 0 && errOff <= (int)strlen(zSelect));
        sqlite3_free(zErr);
        ksq_select_clear(&sel);
        return;
    }
    FUZZ_ASSERT(zErr == NULL);
    check_tokens(sel.zSql, &sel.toks);
    FUZZ_ASSERT(sel.nItem >= 1);
    for (int i = 0; i < sel.nItem; i++) {
        FUZZ_ASSERT(sel.aItem[i].zName != NULL);
        check_span(&sel, sel.aItem[i].expr);
        FUZZ_ASSERT(sel.aItem[i].expr.start < sel.aItem[i].expr.end);
    }
    check_span(&sel, sel.from);
    FUZZ_ASSERT(sel.from.start < sel.from.end);
    check_span(&sel, sel.where);
    check_span(&sel, sel.having);
    for (int i = 0; i < sel.nGroup; i++) check_span(&sel, sel.aGroup[i]);
    if (sel.winKind != KSQ_WIN_NONE) {
        check_span(&sel, sel.winTime);
        if (sel.winKind == KSQ_WIN_SESSION) {
            FUZZ_ASSERT(sel.gapMs > 0);
        } else {
            FUZZ_ASSERT(sel.sizeMs > 0 && sel.slideMs > 0 && sel.slideMs <= sel.sizeMs);
        }
    }
    for (int a = 0; a < sel.nAgg; a++) {
        const ksq_agg_call *c = &sel.aAgg[a];
        FUZZ_ASSERT(c->fn >= KSQ_AGG_COUNT_STAR && c->fn <= KSQ_AGG_LAST);
        check_span(&sel, c->call);
        check_span(&sel, c->arg);
        check_span(&sel, c->sep);
        check_span(&sel, c->filter);
        FUZZ_ASSERT(c->call.start < c->call.end);
        if (c->arg.start < c->arg.end)
            FUZZ_ASSERT(c->arg.start >= c->call.start && c->arg.end <= c->call.end);
        FUZZ_ASSERT((c->fn == KSQ_AGG_COUNT_STAR) == (c->arg.start == c->arg.end));
        FUZZ_ASSERT(ksq_agg_name(c->fn)[0] != '?');
    }
    /* Each item with its aggregate calls replaced, as the planner does. */
    for (int i = 0; i < sel.nItem; i++) {
        ksq_span e = sel.aItem[i].expr;
        ksq_replace rep[16];
        int nRep = 0;
        for (int a = 0; a < sel.nAgg && nRep < 16; a++) {
            ksq_span s = sel.aAgg[a].call;
            if (s.start < e.start || s.end > e.end) continue;
            FUZZ_ASSERT(nRep == 0 || rep[nRep - 1].span.end <= s.start);
            rep[nRep].span = s;
            rep[nRep++].zText = "agg";
        }
        char *text = ksq_rewrite(&sel.toks, e, rep, nRep);
        FUZZ_ASSERT(text != NULL);
        sqlite3_free(text);
    }
    ksq_select_clear(&sel);
}

/* Parse one statement z[0..n) and check the result. */
static void check_statement(const char *z, int n)
{
    ksq_stmt st;
    char *zErr = NULL;
    int errOff = -1;
    int rc = ksq_stmt_parse(z, n, &st, &zErr, &errOff);
    if (rc == SQLITE_NOMEM) {
        ksq_stmt_clear(&st);
        return;
    }
    if (rc != SQLITE_OK) {
        FUZZ_ASSERT(rc == SQLITE_ERROR && zErr && zErr[0]);
        FUZZ_ASSERT(errOff >= 0 && errOff <= n);
        sqlite3_free(zErr);
        ksq_stmt_clear(&st);
        return;
    }
    switch (st.kind) {
    case KSQ_STMT_CREATE_STREAM:
        FUZZ_ASSERT(st.zName != NULL);
        for (int i = 0; i < st.opts.n; i++) {
            FUZZ_ASSERT(st.opts.a[i].key && st.opts.a[i].value);
        }
        break;
    case KSQ_STMT_CREATE_VIEW:
        FUZZ_ASSERT(st.zName && st.zSelect);
        FUZZ_ASSERT(st.selectOff >= 0 && st.selectOff < n);
        check_select(st.zSelect);
        break;
    case KSQ_STMT_PUSH_QUERY:
        FUZZ_ASSERT(st.zSelect != NULL && st.emit == KSQ_EMIT_CHANGES);
        check_select(st.zSelect);
        break;
    case KSQ_STMT_DROP_STREAM:
    case KSQ_STMT_DROP_VIEW:
    case KSQ_STMT_DESCRIBE:
    case KSQ_STMT_EXPLAIN_VIEW: FUZZ_ASSERT(st.zName != NULL); break;
    default: break;
    }
    ksq_stmt_clear(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0; /* longer scripts cost time, not coverage */
    char *z = fuzz_cstr(data, size);
    int len = (int)strlen(z);

    ksq_tokens t;
    if (ksq_tokenize(z, &t) == SQLITE_OK) check_tokens(z, &t);
    ksq_tokens_free(&t);

    int off = 0, start, end, nStmt = 0;
    while (ksq_next_statement(z, &off, &start, &end)) {
        FUZZ_ASSERT(start >= 0 && start < end && end <= len && off == end);
        check_statement(z + start, end - start);
        FUZZ_ASSERT(++nStmt <= len);
    }

    check_select(z);
    free(z);
    return 0;
}
