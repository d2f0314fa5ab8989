/*
** workers.c — a small pool of threads that run slices of one job together.
**
**   ksq_workers *w = ksq_workers_new(2);        // the caller plus 2 threads
**   ksq_workers_run(w, decode_slice, batch);   // decode_slice(batch, 0..2), then return
**
** The caller runs slice 0 itself; ksq_workers_run() returns when every slice
** is done. Used to decode a batch's messages on every core while SQLite (not
** thread-safe per connection) stays on the caller's thread.
*/
#include "runtime.h"

#include <pthread.h>
#include <string.h>

struct ksq_workers {
    int n;           /* helper threads (slices are n + 1) */
    pthread_t *aTid; /* the helpers */
    pthread_mutex_t mu;
    pthread_cond_t go;                /* a new job, or stop */
    pthread_cond_t done;              /* the last slice finished */
    unsigned generation;              /* jobs started */
    int pending;                      /* helpers still running the current job */
    int stop;                         /* helpers must exit */
    void (*xSlice)(void *, int, int); /* the job: (arg, slice, nSlice) */
    void *pArg;
};

typedef struct worker_arg {
    ksq_workers *w;
    int slice;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg a = *(worker_arg *)p;
    sqlite3_free(p);
    ksq_workers *w = a.w;
    unsigned seen = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->generation == seen && !w->stop) pthread_cond_wait(&w->go, &w->mu);
        if (w->stop) break;
        seen = w->generation;
        void (*xSlice)(void *, int, int) = w->xSlice;
        void *arg = w->pArg;
        pthread_mutex_unlock(&w->mu);
        xSlice(arg, a.slice, w->n + 1);
        pthread_mutex_lock(&w->mu);
        if (--w->pending == 0) pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

ksq_workers *ksq_workers_new(int nHelpers)
{
    ksq_workers *w = sqlite3_malloc(sizeof *w);
    if (!w) return NULL;
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->go, NULL);
    pthread_cond_init(&w->done, NULL);
    w->aTid = sqlite3_malloc64(sizeof(pthread_t) * (size_t)(nHelpers > 0 ? nHelpers : 1));
    if (!w->aTid) {
        ksq_workers_free(w);
        return NULL;
    }
    for (int i = 0; i < nHelpers; i++) {
        worker_arg *a = sqlite3_malloc(sizeof *a);
        if (!a) break;
        a->w = w;
        a->slice = i + 1;
        if (pthread_create(&w->aTid[i], NULL, worker_main, a) != 0) {
            sqlite3_free(a);
            break;
        }
        w->n++;
    }
    return w;
}

int ksq_workers_count(const ksq_workers *w)
{
    return w ? w->n + 1 : 1;
}

void ksq_workers_run(ksq_workers *w, void (*xSlice)(void *, int, int), void *pArg)
{
    if (!w || w->n == 0) {
        xSlice(pArg, 0, 1);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->xSlice = xSlice;
    w->pArg = pArg;
    w->pending = w->n;
    w->generation++;
    pthread_cond_broadcast(&w->go);
    pthread_mutex_unlock(&w->mu);
    xSlice(pArg, 0, w->n + 1);
    pthread_mutex_lock(&w->mu);
    while (w->pending > 0) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void ksq_workers_free(ksq_workers *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->go);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++) pthread_join(w->aTid[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->go);
    pthread_cond_destroy(&w->done);
    sqlite3_free(w->aTid);
    sqlite3_free(w);
}
