/* tests/bench/benchutil.h — what the benchmark programs share: wall and CPU
 * clocks in seconds, and the median of a sample. Header-only: each bench is
 * a program of its own. */
#ifndef TSM_BENCHUTIL_H
#define TSM_BENCHUTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

/* The time on clock id, in seconds. */
static inline double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock seconds, monotonic. */
static inline double bench_wall(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

/* CPU seconds of this process, user and system. */
static inline double bench_cpu(void)
{
	return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v[0..n) and returns its median (the upper middle one for an even
 * n); n > 0. */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

#endif
