/*
** exact.h — order-independent floating-point sums (exact.c).
*/
#ifndef KSQ_EXACT_H
#define KSQ_EXACT_H

#include <stdint.h>

#define KSQ_XSUM_MAX 40 /* parts of an expansion; finite doubles need far fewer */

typedef struct ksq_xsum {
    int n;                  /* parts in use */
    int64_t nPosInf;        /* +infinities added (or finite sums that overflowed up) */
    int64_t nNegInf;        /* -infinities added (or finite sums that overflowed down) */
    int64_t nNaN;           /* NaNs added */
    double p[KSQ_XSUM_MAX]; /* non-overlapping parts, increasing magnitude */
} ksq_xsum;

typedef struct ksq_xvar {
    int64_t n;   /* values */
    ksq_xsum s1; /* their exact sum */
    ksq_xsum s2; /* the exact sum of their squares */
} ksq_xvar;

void ksq_xsum_init(ksq_xsum *s);
void ksq_xsum_add(ksq_xsum *s, double x);
void ksq_xsum_merge(ksq_xsum *s, const ksq_xsum *o);
/* s -= o, exactly: the inverse of ksq_xsum_merge (for sliding windows). */
void ksq_xsum_unmerge(ksq_xsum *s, const ksq_xsum *o);
/* Does s hold any infinity or NaN? */
int ksq_xsum_special(const ksq_xsum *s);
/* The correctly rounded sum. */
double ksq_xsum_value(const ksq_xsum *s);

void ksq_xvar_add(ksq_xvar *v, double x);
void ksq_xvar_merge(ksq_xvar *v, const ksq_xvar *o);
/* v -= o, exactly: the inverse of ksq_xvar_merge. */
void ksq_xvar_unmerge(ksq_xvar *v, const ksq_xvar *o);
/* Sample (population = 0) or population variance; 0 when undefined (NULL). */
int ksq_xvar_value(const ksq_xvar *v, int population, double *pOut);

#endif /* KSQ_EXACT_H */
