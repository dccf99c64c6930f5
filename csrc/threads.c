/* Thread count and the one parallel-for every kernel uses. A forked child runs on one thread:
 * libgomp's pool does not survive fork() and would hang (GCC bug 60035). */
#define _GNU_SOURCE /* syscall */
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

#if defined(__linux__)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Spins of the pause loop before a waiter sleeps: tens of microseconds, longer than a step's
 * imbalance; a few when the team outnumbers the processors (the thread it waits for may need
 * this core), as libgomp throttles its own spinning. */
#define RK_SPINS 20000
#define RK_SPINS_OVERSUBSCRIBED 100

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

void rk_step_barrier_init(rk_step_barrier *b, int n)
{
    b->arrived = b->generation = b->sleepers = 0;
    b->n = n;
    b->spins = n > omp_get_num_procs() ? RK_SPINS_OVERSUBSCRIBED : RK_SPINS;
}

/* Sleeps while *addr == val (returns at once if it is not), or yields where there is no futex */
static void rk_sleep_while(volatile int *addr, int val)
{
#if defined(__linux__) && defined(SYS_futex)
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
#else
    (void)addr, (void)val;
    sched_yield();
#endif
}

static void rk_wake_all(volatile int *addr)
{
#if defined(__linux__) && defined(SYS_futex)
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)addr;
#endif
}

/* A sleeper counts itself before its last look at the generation, and the last arrival moves the
 * generation before it looks for sleepers (both sequentially consistent): either the arrival sees
 * the sleeper and wakes it, or the sleeper sees the new generation and does not sleep. */
void rk_step_barrier_wait(rk_step_barrier *b)
{
    const int gen = __atomic_load_n(&b->generation, __ATOMIC_SEQ_CST);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) == b->n) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->generation, gen + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) > 0) rk_wake_all(&b->generation);
        return;
    }
    for (int i = 0; i < b->spins; ++i) {
        if (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) != gen) return;
        RK_SPIN_PAUSE();
    }
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->generation, __ATOMIC_SEQ_CST) == gen)
        rk_sleep_while(&b->generation, gen);
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
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
