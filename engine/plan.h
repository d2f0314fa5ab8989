/*
** plan.h — a continuous view compiled to SQL (plan.c).
**
** A view is either APPEND (a filter/projection: each batch's rows are
** inserted into the view's table) or AGGREGATE (GROUP BY, with or without a
** window: partial aggregates per (group, pane) live in a state table and
** become result rows when a window closes, or after every batch with EMIT
** CHANGES). All SQL is generated once, here, and prepared by view.c.
**
** Tables of view v:  "v" (results), "ksq_s_v" (state), "ksq_d_v" (values of
** DISTINCT aggregates), temp."ksq_b_v" (the current batch, vtab_batch.c),
** temp."ksq_n_v" (session staging).
*/
#ifndef KSQ_PLAN_H
#define KSQ_PLAN_H

#include "../parser/ksq_parse.h"

typedef enum ksq_view_kind { KSQ_VIEW_APPEND = 1, KSQ_VIEW_AGGREGATE = 2 } ksq_view_kind;

/* What the planner needs to know about the stream a view reads. */
typedef struct ksq_plan_stream {
    const char *zName;               /* stream name */
    const char *zTimeCol;            /* its event-time column, or NULL (Kafka timestamp) */
    const char *const *azAllStreams; /* every stream's name, to find references */
    int nAllStreams;
    const ksq_schema *schema; /* its columns, for the types of result columns */
} ksq_plan_stream;

typedef struct ksq_plan {
    ksq_view_kind kind;
    int temp; /* tables in the temp schema: a transient view (push query) */
    ksq_window_kind winKind;
    ksq_emit emit;      /* FINAL or CHANGES (APPEND views: CHANGES) */
    int64_t sizeMs;     /* window size (TUMBLE/HOP); 1 for no window */
    int64_t slideMs;    /* window slide; 1 for no window */
    int64_t paneMs;     /* pane width: gcd(size, slide); 0 for no window */
    int64_t gapMs;      /* SESSION gap */
    int nDistinct;      /* DISTINCT aggregates (side table rows) */
    char *zStreamAlias; /* how the stream is named inside the query */

    /* DDL, run once when the view is created. */
    char *zCreateResult; /* the view's table */
    char *zCreateState;  /* state table and its indexes (AGGREGATE) */
    char *zCreateTemp;   /* per-connection staging tables (SESSION), or NULL */
    /* Run for each batch. */
    char *zFeed;          /* APPEND: insert rows; AGGREGATE: upsert partial state */
    char *zFeedDistinct;  /* insert DISTINCT aggregates' values, or NULL */
    char *zSessionMove;   /* SESSION: move touched open sessions to staging */
    char *zSessionMerge;  /* SESSION: merge staged sessions back into state */
    char *zSessionClear;  /* SESSION: empty the staging table */
    char *zChangesDelete; /* CHANGES: delete the result rows of changed windows */
    char *zChangesInsert; /* CHANGES: insert the recomputed rows */
    char *zChangesReset;  /* CHANGES: clear the dirty marks */
    /* Run when the watermark closes windows. */
    char *zEmitFinal;      /* FINAL: insert closed windows (?1 first ws, ?2 last ws / ?1 wm) */
    char *zDeleteClosed;   /* delete state no longer needed (?1 cut) */
    char *zDeleteDistinct; /* the same for the DISTINCT side table, or NULL */
    char *zPaneRange;      /* SELECT min(pane), max(pane) FROM state */
    char *zStateStats;     /* SELECT count(*), count(DISTINCT gk) FROM state */
} ksq_plan;

/* Compile view zView's SELECT (already parsed) into a plan; with temp its
** tables are created in the temp schema. Errors point into the SELECT
** through *pErrOff (byte offset, -1 if none). */
int ksq_plan_build(const char *zView, const ksq_select *sel, ksq_emit emit, int temp,
                   const ksq_plan_stream *stream, ksq_plan *plan, char **pzErr, int *pErrOff);
void ksq_plan_clear(ksq_plan *plan);

#endif /* KSQ_PLAN_H */
