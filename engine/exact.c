/*
** exact.c — order-independent floating-point sums.
**
** A stream is cut into batches differently on every run (and after every
** crash), so partial sums are added in a different order each time; with
** plain doubles the last bits of sum, avg and stddev would change with it.
** Here a sum is kept exactly, as a list of non-overlapping doubles (Shewchuk's
** expansion, the method of Python's math.fsum), merged exactly, and rounded
** once, correctly, at the end: the result depends only on the values summed.
**
**   ksq_xsum s; ksq_xsum_init(&s);
**   ksq_xsum_add(&s, 0.1); ksq_xsum_add(&s, 0.2);
**   ksq_xsum_value(&s)   -> 0.30000000000000004 (the correctly rounded 0.1 + 0.2)
**
** Variance uses the exact sums of x and x² (squares split exactly with fma)
** and the exact numerator n·Σx² − (Σx)², so it is order-independent too.
**
** Because the sums are exact they can also be subtracted exactly
** (ksq_xsum_unmerge), which sliding windows use to drop the oldest pane.
** Infinities and NaNs are counted rather than summed, for the same reason.
*/
#include "exact.h"

#include <math.h>
#include <string.h>

void ksq_xsum_init(ksq_xsum *s)
{
    memset(s, 0, sizeof *s);
}

/* Add x exactly (grow-expansion). If the expansion would overflow its fixed
** size (it cannot for finite doubles in practice) the smallest parts merge. */
void ksq_xsum_add(ksq_xsum *s, double x)
{
    if (!isfinite(x)) {
        if (isnan(x)) {
            s->nNaN++;
        } else if (x > 0) {
            s->nPosInf++;
        } else {
            s->nNegInf++;
        }
        return;
    }
    int i = 0;
    for (int j = 0; j < s->n; j++) {
        double y = s->p[j];
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y;
            y = t;
        }
        double hi = x + y;
        double lo = y - (hi - x);
        if (lo != 0.0) s->p[i++] = lo;
        x = hi;
    }
    if (!isfinite(x)) {
        /* The sum itself overflowed (values near DBL_MAX): count it as an
        ** infinity. Not reachable with the magnitudes of real data. */
        if (x > 0) {
            s->nPosInf++;
        } else {
            s->nNegInf++;
        }
        s->n = i;
        return;
    }
    if (i >= KSQ_XSUM_MAX) {
        s->p[i - 2] += s->p[i - 1]; /* not reachable with finite doubles; bounded anyway */
        i--;
    }
    s->p[i++] = x;
    s->n = i;
}

void ksq_xsum_merge(ksq_xsum *s, const ksq_xsum *o)
{
    for (int j = 0; j < o->n; j++) ksq_xsum_add(s, o->p[j]);
    s->nPosInf += o->nPosInf;
    s->nNegInf += o->nNegInf;
    s->nNaN += o->nNaN;
}

void ksq_xsum_unmerge(ksq_xsum *s, const ksq_xsum *o)
{
    for (int j = 0; j < o->n; j++) ksq_xsum_add(s, -o->p[j]);
    s->nPosInf -= o->nPosInf;
    s->nNegInf -= o->nNegInf;
    s->nNaN -= o->nNaN;
}

int ksq_xsum_special(const ksq_xsum *s)
{
    return s->nPosInf != 0 || s->nNegInf != 0 || s->nNaN != 0;
}

double ksq_xsum_value(const ksq_xsum *s)
{
    if (s->nNaN > 0 || (s->nPosInf > 0 && s->nNegInf > 0)) return NAN;
    if (s->nPosInf > 0) return INFINITY;
    if (s->nNegInf > 0) return -INFINITY;
    int n = s->n;
    double hi = 0.0, lo = 0.0;
    if (n > 0) {
        hi = s->p[--n];
        /* Sum from the top until the rounding is decided. */
        while (n > 0) {
            double x = hi, y = s->p[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        /* Half-way cases: round to even using the rest of the expansion. */
        if (n > 0 && ((lo < 0.0 && s->p[n - 1] < 0.0) || (lo > 0.0 && s->p[n - 1] > 0.0))) {
            double y = lo * 2.0, x = hi + y, yr = x - hi;
            if (y == yr) hi = x;
        }
    }
    return hi;
}

/* s += a * b exactly (a*b split into two doubles with fma). */
static void add_product(ksq_xsum *s, double a, double b)
{
    double hi = a * b;
    double lo = fma(a, b, -hi);
    ksq_xsum_add(s, hi);
    if (lo != 0.0) ksq_xsum_add(s, lo);
}

void ksq_xvar_add(ksq_xvar *v, double x)
{
    v->n++;
    ksq_xsum_add(&v->s1, x);
    add_product(&v->s2, x, x);
}

void ksq_xvar_merge(ksq_xvar *v, const ksq_xvar *o)
{
    v->n += o->n;
    ksq_xsum_merge(&v->s1, &o->s1);
    ksq_xsum_merge(&v->s2, &o->s2);
}

void ksq_xvar_unmerge(ksq_xvar *v, const ksq_xvar *o)
{
    v->n -= o->n;
    ksq_xsum_unmerge(&v->s1, &o->s1);
    ksq_xsum_unmerge(&v->s2, &o->s2);
}

int ksq_xvar_value(const ksq_xvar *v, int population, double *pOut)
{
    if (v->n == 0 || (!population && v->n < 2)) return 0;
    if (ksq_xsum_special(&v->s1) || ksq_xsum_special(&v->s2)) {
        *pOut = NAN;
        return 1;
    }
    /* numerator = n * sum(x^2) - sum(x)^2, exactly, then rounded once */
    ksq_xsum num;
    ksq_xsum_init(&num);
    double n = (double)v->n;
    for (int i = 0; i < v->s2.n; i++) add_product(&num, v->s2.p[i], n);
    for (int i = 0; i < v->s1.n; i++) {
        add_product(&num, -v->s1.p[i], v->s1.p[i]);
        for (int j = i + 1; j < v->s1.n; j++) add_product(&num, -2.0 * v->s1.p[i], v->s1.p[j]);
    }
    double numerator = ksq_xsum_value(&num);
    if (numerator < 0) numerator = 0;
    *pOut = numerator / (n * (population ? n : n - 1.0));
    return 1;
}
