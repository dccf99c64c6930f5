/* Thread count and the one parallel-for every kernel uses. A forked child runs on one thread:
 * libgomp's pool does not survive fork() and would hang (GCC bug 60035). */
#include <pthread.h>
#include <sched.h>
#include <omp.h>
#include "internal.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RK_SPIN_PAUSE() _mm_pause()
#else
#define RK_SPIN_PAUSE() ((void)0)
#endif

/* Spins of the pause loop before a waiter yields its core: tens of microseconds, longer than a
 * step's imbalance, short enough not to starve a descheduled partner on a shared machine. */
#define RK_SPINS_BEFORE_YIELD 20000

static volatile int in_forked_child;
/* OpenMP's thread-count setting is per OS thread; this one holds for kernels called from any thread */
static volatile int requested_threads; /* 0: not set */

static void mark_forked_child(void) { in_forked_child = 1; }

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, mark_forked_child);
}

void rk_set_num_threads(int n)
{
    if (n < 1) return;
    requested_threads = n;
    omp_set_num_threads(n);
}

/* The smaller of set_num_threads and the calling thread's OpenMP limit (which threadpoolctl sets) */
int rk_get_num_threads(void)
{
    if (in_forked_child) return 1;
    const int omp = omp_get_max_threads(), want = requested_threads;
    return want > 0 && want < omp ? want : omp;
}

void rk_step_barrier_wait(rk_step_barrier *b)
{
    const int gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->n) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
        return;
    }
    for (long spins = 0; __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen; ++spins) {
        if (spins < RK_SPINS_BEFORE_YIELD)
            RK_SPIN_PAUSE();
        else
            sched_yield();
    }
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
