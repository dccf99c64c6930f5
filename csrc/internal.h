/* Internal declarations shared by csrc/ translation units; never installed, never exported. */
#ifndef RK_INTERNAL_H
#define RK_INTERNAL_H

#include "rnnkern.h"
#include "kernels.h"

/* x86-64 (GCC, Clang, clang-cl): cpuid, xgetbv and the avx2/avx512 units, which CMakeLists.txt
 * builds on the same test; every other target has the scalar path alone */
#if defined(__x86_64__) || defined(_M_X64)
#define RK_X86_64 1
#endif

/* An OpenMP region's fork and join, told to ThreadSanitizer (RNNKERN_SANITIZE=thread), which cannot
 * see them inside libgomp (not built with it); nothing in any other build. The caller's work before
 * rk_tsan_fork happens before each thread's after rk_tsan_enter; each thread's before rk_tsan_leave
 * happens before the caller's after rk_tsan_join. No edge links two threads of the team, so races
 * between them still show. `region`: an object of at least 16 bytes, unique to the call (TSan
 * keeps one sync object per 8-byte word: fork and join need two, or the team's threads would be
 * linked through the join). */
#ifdef RK_SANITIZE_THREAD
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline void rk_tsan_fork(const void *region) { __tsan_release((char *)region); }
static inline void rk_tsan_enter(const void *region) { __tsan_acquire((char *)region); }
static inline void rk_tsan_leave(const void *region) { __tsan_release((char *)region + 8); }
static inline void rk_tsan_join(const void *region) { __tsan_acquire((char *)region + 8); }
#else
static inline void rk_tsan_fork(const void *region) { (void)region; }
static inline void rk_tsan_enter(const void *region) { (void)region; }
static inline void rk_tsan_leave(const void *region) { (void)region; }
static inline void rk_tsan_join(const void *region) { (void)region; }
#endif

/* Runs fn(ctx, i) for i in [0, n) on up to nthreads threads (static schedule); with one thread it
 * never enters an OpenMP region, which keeps a forked child safe. */
typedef void (*rk_range_fn)(void *ctx, int64_t i);
void rk_parallel_for(int64_t n, int nthreads, rk_range_fn fn, void *ctx);

/* Keeping a woken thread off its waker's processor. In a virtual machine an idle vCPU looks busy
 * to the scheduler, which then queues a woken thread behind its waker: the waker spins in a
 * barrier (libgomp's for milliseconds) waiting for a thread that cannot run until the next tick.
 * rk_current_cpu before a parallel region; rk_team_enter(cpu) first thing in its body, on every
 * thread: the master yields once (a thread queued behind it runs), a worker on the master's cpu
 * moves off it. -1 and no-ops where the OS cannot tell. */
int rk_current_cpu(void);
void rk_team_enter(int master_cpu);

/* A barrier for the threads of one parallel region that meet once per step: waiters spin for a
 * while before they sleep, so a meeting costs about a microsecond whatever OMP_WAIT_POLICY says
 * (PASSIVE makes every omp barrier a futex sleep and wake, ~15 us here); with more threads than
 * processors they sleep almost at once. rk_step_barrier_init before the first wait; the arrivals
 * before a wait happen before every return from it. */
typedef struct rk_step_barrier {
    _Alignas(64) volatile int arrived;
    _Alignas(64) volatile int generation;
    volatile int sleepers;
    volatile int waker_cpu; /* where the last wake came from: a sleeper woken there moves off it */
    int n;
    int spin_ns;     /* how long a waiter spins before it sleeps (threads.c), atomic */
    int spin_max_ns; /* the budget it starts with and never exceeds */
} rk_step_barrier;
void rk_step_barrier_init(rk_step_barrier *b, int n);
void rk_step_barrier_wait(rk_step_barrier *b);

/* Copying rows into packed panels (pack.c): for n <= z <= w, p < kc,
 *   dst[p * w + i] = src[p * ld + i] for i < n, and zeros to dst[p * w + i] for n <= i < z.
 * Its transposing counterpart, the interleave, is a kernel slot (kernels.h). */
#define RK_DECLARE_PACK(SFX, REAL)                                                               \
    void rk_copy_rows_##SFX(const REAL *src, int64_t ld, int64_t kc, int64_t n, int64_t w,      \
                            int64_t z, REAL *restrict dst);
RK_DECLARE_PACK(f32, float)
RK_DECLARE_PACK(f64, double)

/* Kernel scratch (alloc.c): at least `bytes` (p NULL when out of memory or negative), 64-byte
 * aligned, 2 MiB aligned on huge pages from 2 MiB up; contents undefined. Hand it back with
 * rk_scratch_put, which keeps a few buffers for later calls (rk_scratch_release frees them). */
typedef struct rk_scratch {
    void *p;
    int64_t cap; /* bytes usable */
} rk_scratch;
rk_scratch rk_scratch_get(int64_t bytes);
void rk_scratch_put(rk_scratch s);
/* The largest request rk_scratch_get could not meet since the last call (0: none), then 0:
 * the bridge names it in the MemoryError of a call that returned RK_ERR_NOMEM. */
int64_t rk_scratch_failed_bytes(void);

/* Overflow-checked size product for internal allocations; returns -1 on overflow. */
int64_t rk_mul_size(int64_t a, int64_t b);

#endif
