/*
** workers.c — a small pool of threads that share the chunks of one job.
**
**   ksq_workers *w = ksq_workers_new(1);          // the caller plus 1 thread
**   ksq_workers_start(w, decode_chunk, batch, 8);  // the helpers start on chunks
**   ...                                            // the caller does other work
**   ksq_workers_join(w);                           // the caller takes what is left,
**                                                  // then waits for the last chunk
**
** Chunks are claimed one at a time, so whoever is free takes the next: the
** caller helps as soon as it joins, and nothing waits on a slow thread's
** share. xChunk gets the chunk's number and the number of the thread running
** it (0 for the caller, 1.. for helpers), so per-thread scratch (decoders)
** needs no locks. One job at a time: starting another joins the previous.
** Used to decode batches on every core, the next batch while SQLite (which is
** not thread-safe per connection) runs the current one on the caller.
*/
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

struct ksq_workers {
    int n;                            /* helper threads */
    pthread_t *aTid;                  /* the helpers */
    pthread_mutex_t mu;               /* guards everything but the counters */
    pthread_cond_t go;                /* a new job, or stop */
    pthread_cond_t done;              /* the job's last chunk finished */
    unsigned generation;              /* jobs started */
    int stop;                         /* helpers must exit */
    int active;                       /* a job is started and not joined */
    int nBusy;                        /* helpers inside the job's chunks */
    void (*xChunk)(void *, int, int); /* the job: (arg, chunk, thread) */
    void *pArg;                       /* its argument */
    int nChunk;                       /* its chunks */
    atomic_int next;                  /* the next chunk to claim */
    atomic_int nDone;                 /* chunks finished */
};

typedef struct worker_arg {
    ksq_workers *w;
    int thread; /* 1..n */
} worker_arg;

/* Claim and run chunks of the current job until none is left. */
static void run_chunks(ksq_workers *w, int thread)
{
    for (;;) {
        int c = atomic_fetch_add(&w->next, 1);
        if (c >= w->nChunk) return;
        w->xChunk(w->pArg, c, thread);
        if (atomic_fetch_add(&w->nDone, 1) + 1 == w->nChunk) {
            pthread_mutex_lock(&w->mu);
            pthread_cond_broadcast(&w->done);
            pthread_mutex_unlock(&w->mu);
        }
    }
}

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
        w->nBusy++;
        pthread_mutex_unlock(&w->mu);
        run_chunks(w, a.thread);
        pthread_mutex_lock(&w->mu);
        if (--w->nBusy == 0) pthread_cond_broadcast(&w->done);
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
    atomic_init(&w->next, 0);
    atomic_init(&w->nDone, 0);
    w->aTid = sqlite3_malloc64(sizeof(pthread_t) * (size_t)(nHelpers > 0 ? nHelpers : 1));
    if (!w->aTid) {
        ksq_workers_free(w);
        return NULL;
    }
    for (int i = 0; i < nHelpers; i++) {
        worker_arg *a = sqlite3_malloc(sizeof *a);
        if (!a) break;
        a->w = w;
        a->thread = i + 1;
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

void ksq_workers_start(ksq_workers *w, void (*xChunk)(void *, int, int), void *pArg, int nChunk)
{
    ksq_workers_join(w);
    w->xChunk = xChunk;
    w->pArg = pArg;
    w->nChunk = nChunk;
    atomic_store(&w->next, 0);
    atomic_store(&w->nDone, 0);
    w->active = 1;
    if (w->n == 0) return; /* the caller does it all at join */
    pthread_mutex_lock(&w->mu);
    w->generation++;
    pthread_cond_broadcast(&w->go);
    pthread_mutex_unlock(&w->mu);
}

void ksq_workers_join(ksq_workers *w)
{
    if (!w || !w->active) return;
    run_chunks(w, 0);
    /* Every chunk done, and no helper still looking at this job. */
    pthread_mutex_lock(&w->mu);
    while (atomic_load(&w->nDone) < w->nChunk || w->nBusy > 0) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
    w->active = 0;
}

int ksq_workers_busy(const ksq_workers *w)
{
    return w && w->active;
}

void ksq_workers_free(ksq_workers *w)
{
    if (!w) return;
    ksq_workers_join(w);
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
