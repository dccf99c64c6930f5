/* Scratch allocation for the kernels. Large buffers are 2 MiB aligned and marked for transparent
 * huge pages: a kernel writes its scratch once per call, and on 4 KiB pages each first touch is a
 * page fault (about 5 us in a virtual machine, 45 ms for an LSTM backward's 34 MB); one fault per
 * 2 MiB makes that negligible. Release with free(). */
#define _DEFAULT_SOURCE /* madvise */
#include <stdint.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include "internal.h"

#define RK_HUGE (INT64_C(2) << 20)

void *rk_alloc(int64_t bytes)
{
    if (bytes < 0 || bytes > INT64_MAX - RK_HUGE) return NULL;
    const int64_t align = bytes >= RK_HUGE ? RK_HUGE : 64;
    const int64_t rounded = (bytes + align - 1) / align * align;
    if ((uint64_t)rounded > SIZE_MAX) return NULL;
    void *p = aligned_alloc((size_t)align, (size_t)(rounded > 0 ? rounded : align));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && align == RK_HUGE) madvise(p, (size_t)rounded, MADV_HUGEPAGE); /* a hint: may fail */
#endif
    return p;
}
