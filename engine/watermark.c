/*
** watermark.c — event-time progress of one view over a stream.
**
** Each partition's watermark is the largest event time seen in it minus the
** stream's `watermark` delay; the view's watermark is the smallest of them
** over the partitions that are not idle, and never goes back. A partition is
** idle when it is caught up and has been silent for `idle_timeout`. When
** every partition is idle nothing more is coming: the watermark moves to the
** most advanced partition's, and then follows the wall clock (minus the
** delay), so windows close when input stops rather than never.
*/
#include "runtime.h"

#include <string.h>

ksq_wm_part *ksq_wm_part_get(ksq_watermark *w, int32_t id)
{
    for (int i = 0; i < w->nPart; i++) {
        if (w->aPart[i].id == id) return &w->aPart[i];
    }
    ksq_wm_part *a = sqlite3_realloc64(w->aPart, sizeof(ksq_wm_part) * (size_t)(w->nPart + 1));
    unsigned char *idle = sqlite3_realloc64(w->aIdle, (size_t)(w->nPart + 1));
    if (a) w->aPart = a;
    if (idle) w->aIdle = idle;
    if (!a || !idle) return NULL;
    ksq_wm_part *p = &a[w->nPart];
    p->id = id;
    p->next = 0;
    p->maxEvent = KSQ_NO_TIME;
    w->aIdle[w->nPart] = 0;
    w->nPart++;
    return p;
}

/* The smallest partition watermark over non-idle partitions, or KSQ_NO_TIME
** when one of them has seen nothing yet. *pAllIdle is set when all are idle. */
static int64_t min_partition_wm(const ksq_watermark *w, int *pAllIdle)
{
    int64_t m = INT64_MAX;
    int counted = 0;
    for (int i = 0; i < w->nPart; i++) {
        if (w->aIdle[i]) continue;
        counted++;
        if (w->aPart[i].maxEvent == KSQ_NO_TIME) return KSQ_NO_TIME;
        int64_t pw = w->aPart[i].maxEvent - w->delayMs;
        if (pw < m) m = pw;
    }
    *pAllIdle = counted == 0;
    return counted ? m : KSQ_NO_TIME;
}

void ksq_wm_observe(ksq_watermark *w, ksq_wm_part *p, int64_t eventMs)
{
    if (eventMs <= p->maxEvent) return;
    int64_t oldPw = p->maxEvent == KSQ_NO_TIME ? KSQ_NO_TIME : p->maxEvent - w->delayMs;
    p->maxEvent = eventMs;
    /* Only the partition holding the minimum can raise it. */
    if (w->wm != KSQ_NO_TIME && oldPw != KSQ_NO_TIME && oldPw > w->wm) return;
    int allIdle;
    int64_t m = min_partition_wm(w, &allIdle);
    if (m != KSQ_NO_TIME && m > w->wm) w->wm = m;
}

void ksq_wm_refresh(ksq_watermark *w, const ksq_source *src, int64_t nowMono, int64_t nowWall)
{
    /* Every partition of the topic takes part, seen or not. */
    for (int i = 0; src && i < src->nPart; i++) ksq_wm_part_get(w, src->aPart[i].id);
    for (int i = 0; i < w->nPart; i++) {
        int si = src ? ksq_source_part_index(src, w->aPart[i].id) : -1;
        w->aIdle[i] = si >= 0 && ksq_source_part_idle(src, si, nowMono);
    }
    int allIdle = 0;
    int64_t m = min_partition_wm(w, &allIdle);
    if (allIdle && w->nPart > 0) {
        m = nowWall - w->delayMs;
        for (int i = 0; i < w->nPart; i++) {
            int64_t maxEvent = w->aPart[i].maxEvent;
            if (maxEvent != KSQ_NO_TIME && maxEvent - w->delayMs > m) m = maxEvent - w->delayMs;
        }
    }
    if (m != KSQ_NO_TIME && m > w->wm) w->wm = m;
}

void ksq_wm_clear(ksq_watermark *w)
{
    sqlite3_free(w->aPart);
    sqlite3_free(w->aIdle);
    memset(w, 0, sizeof *w);
    w->wm = KSQ_NO_TIME;
}
