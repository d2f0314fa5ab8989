/*
** json_alloc.c — jansson's memory, from a per-decoder arena while decoding.
**
**   ksq_json_arena a = {0};
**   ksq_json_arena_begin(&a);        // this thread's jansson allocations: from a
**   json_decref(old); root = json_loadb(...);
**   ksq_json_arena_end();            // back to malloc; root stays valid
**   ...                              // until the next begin on a, which reuses it
**   ksq_json_arena_free(&a);
**
** Parsing an event builds a tree of a dozen small objects, each a malloc and
** later a free: about a sixth of a decode's instructions. A decoder keeps one
** parsed document at a time, so its allocations can come from a bump arena
** that is simply rewound before the next document: frees inside the arena
** cost nothing. jansson allows this through json_set_alloc_funcs(), which is
** process-wide: outside a begin/end window (other threads, other users of
** jansson in the process) the functions are plain malloc and free.
*/
#include "ksq_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 16384 /* bytes of an arena chunk */

struct ksq_json_chunk {
    struct ksq_json_chunk *pNext; /* older chunk */
    size_t nSize, nUsed;          /* bytes in data[], and used */
    _Alignas(16) unsigned char data[];
};

static _Thread_local ksq_json_arena *tl_arena; /* the arena this thread decodes into */

/* Is p inside one of the arena's chunks? */
static int in_arena(const ksq_json_arena *a, const void *p)
{
    for (const struct ksq_json_chunk *c = a->pHead; c; c = c->pNext) {
        if ((const unsigned char *)p >= c->data && (const unsigned char *)p < c->data + c->nSize)
            return 1;
    }
    return 0;
}

static void *arena_malloc(size_t n)
{
    ksq_json_arena *a = tl_arena;
    if (!a) return malloc(n);
    n = (n + 15) & ~(size_t)15;
    struct ksq_json_chunk *c = a->pHead;
    if (!c || c->nUsed + n > c->nSize) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + size);
        if (!c) return NULL;
        c->nSize = size;
        c->nUsed = 0;
        c->pNext = a->pHead;
        a->pHead = c;
    }
    void *p = c->data + c->nUsed;
    c->nUsed += n;
    return p;
}

static void arena_free(void *p)
{
    ksq_json_arena *a = tl_arena;
    if (!p || (a && in_arena(a, p))) return; /* rewound with the arena */
    free(p);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void install(void)
{
    json_set_alloc_funcs(arena_malloc, arena_free);
}

void ksq_json_arena_begin(ksq_json_arena *a)
{
    pthread_once(&once, install);
    tl_arena = a;
}

void ksq_json_arena_rewind(ksq_json_arena *a)
{
    /* Keep the newest chunk (the one sized by use), free the others. */
    struct ksq_json_chunk *c = a->pHead;
    if (!c) return;
    struct ksq_json_chunk *old = c->pNext;
    while (old) {
        struct ksq_json_chunk *next = old->pNext;
        free(old);
        old = next;
    }
    c->pNext = NULL;
    c->nUsed = 0;
}

void ksq_json_arena_end(void)
{
    tl_arena = NULL;
}

void ksq_json_arena_free(ksq_json_arena *a)
{
    ksq_json_arena_rewind(a);
    free(a->pHead);
    a->pHead = NULL;
}
