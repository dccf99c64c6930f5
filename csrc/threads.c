/* Thread count and the one parallel-for every kernel uses. A forked child runs on one thread:
 * libgomp's pool does not survive fork() and would hang (GCC bug 60035). */
#include <pthread.h>
#include <omp.h>
#include "internal.h"

static volatile int in_forked_child;

static void mark_forked_child(void) { in_forked_child = 1; }

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, mark_forked_child);
}

void rk_set_num_threads(int n)
{
    if (n >= 1) omp_set_num_threads(n);
}

int rk_get_num_threads(void)
{
    return in_forked_child ? 1 : omp_get_max_threads();
}

void rk_parallel_for(int64_t n, int nthreads, rk_range_fn fn, void *ctx)
{
    if (nthreads > n) nthreads = (int)n;
    if (nthreads <= 1) {
        for (int64_t i = 0; i < n; ++i) fn(ctx, i);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (int64_t i = 0; i < n; ++i) fn(ctx, i);
}
