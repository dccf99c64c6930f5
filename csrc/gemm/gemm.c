/* GEMM driver (baseline C): blocking, packing and threads around the active ISA's micro-kernel.
 * The algorithm is described in gemm_driver.inc, instantiated here once per dtype. */
#include <stdlib.h>
#include <stdint.h>
#include <omp.h>
#include "gemm.h"
#include "../real.h"

/* Up to this many rows of op(A), A is read in place and B too when it is not transposed. */
#define RK_GEMM_SMALL_M 16

/* Head of a buffer filled by rk_gemm_pack_b_*: 64 bytes, so the panels after it stay aligned. */
typedef struct {
    uint64_t magic;     /* RK_PACK_MAGIC + sizeof(REAL) */
    const void *kernel; /* the rk_gemm_kernel_* it was packed for */
    int64_t k, n, npad, nr;
    int64_t pad[2];
} rk_pack_header;
#define RK_PACK_MAGIC UINT64_C(0x726b7061636b6200) /* "rkpackb\0" */

_Static_assert(sizeof(rk_pack_header) == 64, "packed panels must stay 64-byte aligned");

int64_t rk_gemm_packed_b_panel(const void *packed)
{
    const rk_pack_header *h = packed;
    if (!h || (h->magic != RK_PACK_MAGIC + sizeof(float) && h->magic != RK_PACK_MAGIC + sizeof(double)))
        return -1;
    return h->nr;
}

#define REAL float
#define SFX f32
#include "gemm_driver.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "gemm_driver.inc"
