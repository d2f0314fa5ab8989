/*
** json_dom.h — one parsed JSON document, and its values found by path
** (simdjson's DOM parser behind a C interface; json_dom.cc).
**
**   ksq_json_dom *d = ksq_json_dom_new();
**   const char *zWhy;
**   if (ksq_json_dom_parse(d, payload, len, &zWhy) == KSQ_JSON_DOM_OK) {
**       ksq_json_val v;
**       const char *azPath[] = {"main", "temp"};
**       if (ksq_json_dom_find(d, azPath, 2, &v) && v.kind == KSQ_JV_REAL) use(v.r);
**   }
**   ksq_json_dom_free(d);
**
** simdjson validates the whole document (structure, UTF-8, numbers) about
** twenty times faster than jansson builds a tree of it: decoding was most of
** the engine's CPU time. Strings point into the document's own buffer and,
** like every value, stay valid until the next parse.
*/
#ifndef KSQ_JSON_DOM_H
#define KSQ_JSON_DOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ksq_json_dom ksq_json_dom;

typedef enum ksq_json_kind {
    KSQ_JV_NULL,
    KSQ_JV_FALSE,
    KSQ_JV_TRUE,
    KSQ_JV_INT,    /* i */
    KSQ_JV_BIGINT, /* an integer above INT64_MAX (below 2^64): r holds it, inexactly */
    KSQ_JV_REAL,   /* r */
    KSQ_JV_STRING, /* z, n (may contain NUL bytes) */
    KSQ_JV_ARRAY,
    KSQ_JV_OBJECT
} ksq_json_kind;

/* A value found in the document. */
typedef struct ksq_json_val {
    ksq_json_kind kind; /* what it is */
    int64_t i;          /* KSQ_JV_INT */
    double r;           /* KSQ_JV_REAL, KSQ_JV_BIGINT */
    const char *z;      /* KSQ_JV_STRING: the unescaped text */
    size_t n;           /* its length in bytes */
} ksq_json_val;

#define KSQ_JSON_DOM_OK      0
#define KSQ_JSON_DOM_INVALID 1 /* not JSON (or nested deeper than 2048) */
#define KSQ_JSON_DOM_NOMEM   2

/* A parser with no document yet, or NULL when out of memory. */
ksq_json_dom *ksq_json_dom_new(void);
void ksq_json_dom_free(ksq_json_dom *d);

/* Parse buf[0..n) as the current document. On KSQ_JSON_DOM_INVALID, *pzWhy
** is simdjson's (static) description of the error. */
int ksq_json_dom_parse(ksq_json_dom *d, const void *buf, size_t n, const char **pzWhy);

/* Find the value at a path: object keys, or decimal indexes into arrays (an
** empty path is the document itself). Where a key occurs twice in an
** object, the last one counts, as in jansson. Returns 1 and fills *pVal, or
** 0 when nothing is there. */
int ksq_json_dom_find(ksq_json_dom *d, const char *const *azPath, int nPath, ksq_json_val *pVal);

/* The compact JSON text of the value the last successful find returned, in
** a buffer of d's valid until the next call; *pn is its length. NULL when
** out of memory. */
const char *ksq_json_dom_text(ksq_json_dom *d, size_t *pn);

#ifdef __cplusplus
}
#endif
#endif
