/* Scratch allocation for the kernels.
 *
 * Large buffers are 2 MiB aligned and marked for transparent huge pages: a kernel writes its
 * scratch once per call, and on 4 KiB pages each first touch is a page fault (about 5 us in a
 * virtual machine, 45 ms for an LSTM backward's 34 MB); one fault per 2 MiB makes that small.
 *
 * Fresh pages still arrive zeroed by the kernel, which costs as much as the faults did, so a few
 * released buffers are kept for the next call (RK_POOL_SLOTS, RK_POOL_MAX bytes in all): a training
 * loop that calls the same shapes again reuses them. rk_scratch_release() frees what is kept. */
#define _DEFAULT_SOURCE /* madvise */
#include <stdint.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include "internal.h"

/* The pool's lock and aligned memory: POSIX and C11, or their Windows counterparts (no fork
 * there, so no fork handler either) */
#ifdef _WIN32
#include <malloc.h>
#include <windows.h>
static SRWLOCK pool_lock = SRWLOCK_INIT;
static void pool_lock_take(void) { AcquireSRWLockExclusive(&pool_lock); }
static void pool_lock_give(void) { ReleaseSRWLockExclusive(&pool_lock); }
static void *rk_aligned_alloc(size_t align, size_t bytes) { return _aligned_malloc(bytes, align); }
static void rk_aligned_free(void *p) { _aligned_free(p); }
#else
#include <pthread.h>
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void pool_lock_take(void) { pthread_mutex_lock(&pool_lock); }
static void pool_lock_give(void) { pthread_mutex_unlock(&pool_lock); }
static void *rk_aligned_alloc(size_t align, size_t bytes) { return aligned_alloc(align, bytes); }
static void rk_aligned_free(void *p) { free(p); }
#endif

#define RK_HUGE (INT64_C(2) << 20)
#define RK_POOL_SLOTS 8
#define RK_POOL_MAX (INT64_C(512) << 20)

static void *rk_alloc_raw(int64_t bytes, int64_t *cap)
{
    if (bytes < 0 || bytes > INT64_MAX - RK_HUGE) return NULL;
    const int64_t align = bytes >= RK_HUGE ? RK_HUGE : 64;
    const int64_t rounded = bytes > 0 ? (bytes + align - 1) / align * align : align;
    if ((uint64_t)rounded > SIZE_MAX) return NULL;
    void *p = rk_aligned_alloc((size_t)align, (size_t)rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && align == RK_HUGE) madvise(p, (size_t)rounded, MADV_HUGEPAGE); /* a hint: may fail */
#endif
    *cap = rounded;
    return p;
}

static struct { void *p; int64_t cap; } pool[RK_POOL_SLOTS];
static int64_t pool_bytes;
static int64_t failed_bytes;

rk_scratch rk_scratch_get(int64_t bytes)
{
    rk_scratch s = {NULL, 0};
    if (bytes < 0 || bytes > INT64_MAX - RK_HUGE) return s;
    pool_lock_take();
    int best = -1; /* the smallest kept buffer that fits, if not over twice the need */
    for (int i = 0; i < RK_POOL_SLOTS; ++i)
        if (pool[i].p && pool[i].cap >= bytes && pool[i].cap - bytes <= bytes + RK_HUGE &&
            (best < 0 || pool[i].cap < pool[best].cap))
            best = i;
    if (best >= 0) {
        s.p = pool[best].p, s.cap = pool[best].cap;
        pool[best].p = NULL;
        pool_bytes -= s.cap;
    }
    pool_lock_give();
    if (!s.p) s.p = rk_alloc_raw(bytes, &s.cap);
    if (!s.p) { /* any thread of a kernel may fail: keep the largest request for the caller */
        int64_t seen = __atomic_load_n(&failed_bytes, __ATOMIC_RELAXED);
        while (bytes > seen &&
               !__atomic_compare_exchange_n(&failed_bytes, &seen, bytes, 1, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
        }
    }
    return s;
}

int64_t rk_scratch_failed_bytes(void)
{
    return __atomic_exchange_n(&failed_bytes, 0, __ATOMIC_RELAXED);
}

void rk_scratch_put(rk_scratch s)
{
    if (!s.p) return;
    void *drop = s.p;
    pool_lock_take();
    int slot = -1; /* an empty slot, else the smallest kept buffer if this one is larger */
    for (int i = 0; i < RK_POOL_SLOTS; ++i)
        if (!pool[i].p) {
            slot = i;
            break;
        } else if (pool[i].cap < s.cap && (slot < 0 || pool[i].cap < pool[slot].cap)) {
            slot = i;
        }
    if (slot >= 0) {
        const int64_t freed = pool[slot].p ? pool[slot].cap : 0;
        if (pool_bytes - freed + s.cap <= RK_POOL_MAX) {
            drop = pool[slot].p;
            pool[slot].p = s.p, pool[slot].cap = s.cap;
            pool_bytes += s.cap - freed;
        }
    }
    pool_lock_give();
    rk_aligned_free(drop);
}

void *rk_buffer_alloc(int64_t bytes, int64_t *capacity)
{
    const rk_scratch s = rk_scratch_get(bytes);
    *capacity = s.p ? s.cap : 0;
    return s.p;
}

void rk_buffer_free(void *p, int64_t capacity)
{
    const rk_scratch s = {p, capacity};
    rk_scratch_put(s);
}

void rk_scratch_release(void)
{
    pool_lock_take();
    for (int i = 0; i < RK_POOL_SLOTS; ++i) {
        rk_aligned_free(pool[i].p);
        pool[i].p = NULL;
    }
    pool_bytes = 0;
    pool_lock_give();
}

#ifndef _WIN32
/* In a forked child the lock may be held by a thread that no longer exists: start over, leaving
 * the parent's buffers to the child's copy of the heap. */
static void pool_after_fork_child(void)
{
    pthread_mutex_init(&pool_lock, NULL);
    for (int i = 0; i < RK_POOL_SLOTS; ++i) pool[i].p = NULL;
    pool_bytes = 0;
}

__attribute__((constructor)) static void register_pool_fork_handler(void)
{
    pthread_atfork(NULL, NULL, pool_after_fork_child);
}
#endif
