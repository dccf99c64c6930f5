/* The weight-stationary recurrence shared by the three cells (recur.inc, instantiated in recur.c).
 *
 * Forward, one parallel region per call: thread j owns a fixed range of panels (panel.h) for the
 * whole sequence. For each chunk of steps it projects its own columns of Gx = x W_ih^T + b; at each
 * step it multiplies h_{t-1} by its own packed slice of W_hh (which stays in its core's cache) and
 * runs the cell's epilogue on each finished register tile, then waits at the step's one barrier.
 * Backward, same ownership: per step the epilogue turns dL/dh_t into gate gradients dG_t for the
 * owned units, one barrier, then dh_{t-1} = dG_t W_hh for the owned units; after the loop the
 * weight, input and bias gradients are whole-sequence GEMMs.
 * Every element is produced by one thread in a fixed order: bitwise identical for any thread count.
 */
#ifndef RK_RECUR_H
#define RK_RECUR_H
#include "panel.h"

/* Head of a cell's packed weights (rk_recur_pack), 64 bytes so that the parts after it stay
 * aligned: which cell, dtype, sizes and ISA they were packed for, and where each part starts. */
typedef struct rk_packed_header {
    uint64_t magic; /* RK_PACKED_MAGIC + sizeof(REAL) */
    int64_t G, I, H;
    int64_t bias_off, bhh_off, wih_off; /* bytes from the header's start */
    int32_t isa, separate_bias;
} rk_packed_header;
#define RK_PACKED_MAGIC UINT64_C(0x726b63656c6c0000) /* "rkcell\0\0" */
_Static_assert(sizeof(rk_packed_header) == 64, "packed parts must stay 64-byte aligned");

/* Steps of the input projection done at once: enough rows for an efficient GEMM while keeping
 * inference memory O(B*H). */
static inline int64_t rk_chunk_steps(int64_t T, int64_t B)
{
    int64_t tc = B > 0 ? (256 + B - 1) / B : 64;
    if (tc > 64) tc = 64;
    if (tc < 1) tc = 1;
    return tc < T ? tc : T;
}

#include "../real.h"
#define REAL float
#define SFX f32
#include "recur_decl.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "recur_decl.inc"
#undef REAL
#undef SFX
#endif
