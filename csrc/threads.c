/* Thread count and the one parallel-for every kernel uses. A forked child runs on one thread:
 * libgomp's pool does not survive fork() and would hang (GCC bug 60035). */
#define _GNU_SOURCE /* syscall, dladdr, sched_getcpu, pthread affinity */
#include <omp.h>
#include "internal.h"
#ifdef RK_X86_64
#include <immintrin.h>
#define RK_SPIN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define RK_SPIN_PAUSE() __asm__ volatile("yield")
#else
#define RK_SPIN_PAUSE() ((void)0)
#endif

/* How a barrier's waiter sleeps: a futex on Linux, WaitOnAddress on Windows, a condition variable
 * elsewhere (macOS; RNNKERN_PORTABLE_BARRIER builds it on Linux too, for tests) */
#if defined(__linux__) && !defined(RK_PORTABLE_BARRIER)
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#define RK_FUTEX 1
#elif defined(_WIN32)
#include <windows.h>
#endif
#ifndef _WIN32
#include <dlfcn.h> /* dladdr */
#include <pthread.h>
#endif
#include <stdio.h>

/* How long a waiter spins before it sleeps, in nanoseconds: longer than a step's imbalance (a step
 * that also projects a chunk of inputs can end hundreds of microseconds apart: 50 us measured 25%
 * slower than 300 at (100,8,256,256) on 2 threads), and time, not a count of pauses, since a pause
 * costs 1-140 cycles by CPU. A few microseconds when the team outnumbers the processors (the
 * thread it waits for may need this core), as libgomp throttles its own spinning. A wait that had
 * to sleep adapts it: one far longer than a full spin halves it, down to RK_SPIN_MIN_NS (another
 * process holds the core of the thread it waits for, and spinning only takes time from others);
 * one that a full spin would have covered doubles it back, since a budget cut below the time a
 * wake takes (50-150 us in a virtual machine) makes every later step pay a sleep and a wake: a
 * vCPU that ran slowly for a few milliseconds after idling once cut it for the rest of the call
 * and made 2-thread B=1 steps 5x slower than 1-thread ones. */
#define RK_SPIN_NS 300000
#define RK_SPIN_OVERSUBSCRIBED_NS 2000
#define RK_SPIN_MIN_NS 1000
#define RK_SPIN_CHECK 32 /* pauses between looks at the clock */

static volatile int in_forked_child;
/* OpenMP's thread-count setting is per OS thread; this one holds for kernels called from any thread */
static int requested_threads; /* 0: not set; atomic: set and read from any Python thread */

#ifndef _WIN32 /* Windows has no fork */
static void mark_forked_child(void) { in_forked_child = 1; }

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, mark_forked_child);
}
#endif

void rk_set_num_threads(int n)
{
    if (n < 1) return;
    __atomic_store_n(&requested_threads, n, __ATOMIC_RELAXED);
    omp_set_num_threads(n);
}

/* The smaller of set_num_threads and the calling thread's OpenMP limit (which threadpoolctl sets) */
int rk_get_num_threads(void)
{
    if (in_forked_child) return 1;
    const int omp = omp_get_max_threads(), want = __atomic_load_n(&requested_threads, __ATOMIC_RELAXED);
    return want > 0 && want < omp ? want : omp;
}

int rk_openmp_runtime_path(char *buf, size_t len)
{
    if (!buf || !len) return RK_ERR_ARG;
    buf[0] = 0;
#ifdef _WIN32
    HMODULE module;
    if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCSTR)(void *)omp_get_max_threads, &module))
        return RK_ERR_ARG;
    const DWORD n = GetModuleFileNameA(module, buf, len > 0xffff ? 0xffff : (DWORD)len);
    return n > 0 && n < len ? RK_OK : RK_ERR_ARG;
#else
    Dl_info info; /* the shared object that defines the runtime's entry points */
    if (!dladdr((void *)omp_get_max_threads, &info) || !info.dli_fname) return RK_ERR_ARG;
    const int n = snprintf(buf, len, "%s", info.dli_fname);
    return n < 0 ? RK_ERR_ARG : RK_OK;
#endif
}

#ifdef RK_FUTEX
int rk_current_cpu(void) { return sched_getcpu(); }

/* Leaving cpu if this thread runs on it: an affinity mask without it moves the thread at once,
 * and putting the mask back leaves it where it now runs. A mask that is only cpu stays. */
static void rk_leave_cpu(int cpu)
{
    if (cpu < 0 || sched_getcpu() != cpu) return;
    cpu_set_t mine, other;
    if (pthread_getaffinity_np(pthread_self(), sizeof mine, &mine)) return; /* > 1024 cpus */
    other = mine;
    CPU_CLR(cpu, &other);
    if (CPU_COUNT(&other) == 0) return;
    if (pthread_setaffinity_np(pthread_self(), sizeof other, &other) == 0)
        pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
}

static void rk_yield(void) { sched_yield(); }
#else
int rk_current_cpu(void) { return -1; }
static void rk_leave_cpu(int cpu) { (void)cpu; }
static void rk_yield(void) {}
#endif

void rk_team_enter(int master_cpu)
{
    if (omp_get_thread_num() == 0)
        rk_yield();
    else
        rk_leave_cpu(master_cpu);
}

void rk_step_barrier_init(rk_step_barrier *b, int n)
{
    b->arrived = b->generation = b->sleepers = 0;
    b->waker_cpu = -1;
    b->n = n;
    /* omp_get_num_procs asks the kernel for the affinity mask: a syscall, so only for a team */
    b->spin_ns = b->spin_max_ns =
        n > 1 && n > omp_get_num_procs() ? RK_SPIN_OVERSUBSCRIBED_NS : RK_SPIN_NS;
}

/* rk_sleep_while sleeps while *addr == val (returns at once if it is not; may return early) */
#ifdef RK_FUTEX
static void rk_sleep_while(volatile int *addr, int val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void rk_wake_all(volatile int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
#elif defined(_WIN32) /* Windows 8 and later (Synchronization.lib) */
static void rk_sleep_while(volatile int *addr, int val)
{
    WaitOnAddress(addr, &val, sizeof val, INFINITE);
}

static void rk_wake_all(volatile int *addr) { WakeByAddressAll((void *)addr); }
#else
/* One condition variable for every barrier of the process: a sleeper looks at the generation
 * under the lock and the last arrival wakes under it, so no wake is lost; a wake meant for another
 * barrier only makes its sleepers look again. */
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;

static void rk_sleep_while(volatile int *addr, int val)
{
    pthread_mutex_lock(&sleep_lock);
    if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) == val) pthread_cond_wait(&sleep_cond, &sleep_lock);
    pthread_mutex_unlock(&sleep_lock);
}

static void rk_wake_all(volatile int *addr)
{
    (void)addr;
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_broadcast(&sleep_cond);
    pthread_mutex_unlock(&sleep_lock);
}
#endif

/* A sleeper counts itself before its last look at the generation, and the last arrival moves the
 * generation before it looks for sleepers (both sequentially consistent): either the arrival sees
 * the sleeper and wakes it, or the sleeper sees the new generation and does not sleep. */
void rk_step_barrier_wait(rk_step_barrier *b)
{
    const int gen = __atomic_load_n(&b->generation, __ATOMIC_SEQ_CST);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) == b->n) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->generation, gen + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) > 0) {
            __atomic_store_n(&b->waker_cpu, rk_current_cpu(), __ATOMIC_RELAXED);
            rk_wake_all(&b->generation);
            rk_yield(); /* a sleeper woken onto this cpu runs now, and moves off it */
        }
        return;
    }
    const int budget = __atomic_load_n(&b->spin_ns, __ATOMIC_RELAXED);
    const double t0 = omp_get_wtime();
    do {
        for (int i = 0; i < RK_SPIN_CHECK; ++i) {
            if (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) != gen) return;
            RK_SPIN_PAUSE();
        }
    } while ((omp_get_wtime() - t0) * 1e9 < budget);
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->generation, __ATOMIC_SEQ_CST) == gen)
        rk_sleep_while(&b->generation, gen);
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    rk_leave_cpu(__atomic_load_n(&b->waker_cpu, __ATOMIC_RELAXED));
    const double waited_ns = (omp_get_wtime() - t0) * 1e9;
    int next = waited_ns > 2.0 * b->spin_max_ns ? budget / 2 : budget * 2;
    next = next < RK_SPIN_MIN_NS ? RK_SPIN_MIN_NS : next > b->spin_max_ns ? b->spin_max_ns : next;
    /* waiters may store at once: any of their values is a valid budget */
    if (next != budget) __atomic_store_n(&b->spin_ns, next, __ATOMIC_RELAXED);
}

void rk_parallel_for(int64_t n, int nthreads, rk_range_fn fn, void *ctx)
{
    if (nthreads > n) nthreads = (int)n;
    if (nthreads <= 1) {
        for (int64_t i = 0; i < n; ++i) fn(ctx, i);
        return;
    }
    int64_t region[2];
    const int cpu = rk_current_cpu();
    rk_tsan_fork(region);
#pragma omp parallel num_threads(nthreads)
    {
        rk_team_enter(cpu);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            rk_tsan_enter(region);
            fn(ctx, i);
            rk_tsan_leave(region);
        }
    }
    rk_tsan_join(region);
}
