/* Whole-sequence pieces shared by the three cells: the input projection before the recurrence and
 * the weight, input and bias gradients after the backward loop. Instantiated in seq.c. */
#ifndef RK_SEQ_H
#define RK_SEQ_H
#include <math.h>
#include "../internal.h"

#define RK_DECLARE_SEQ(SFX, REAL)                                                                \
    /* out (rows, n) = each row set to bias (n), or zeros when bias is NULL */                   \
    void rk_seq_fill_rows_##SFX(int64_t rows, int64_t n, const REAL *bias, REAL *out);          \
    /* out (rows, GH) = bias + x (rows, I) @ w_ih^T (GH, I) */                                   \
    int rk_seq_project_##SFX(int64_t rows, int64_t I, int64_t GH, const REAL *x,                \
                             const REAL *w_ih, const REAL *bias, REAL *out);                     \
    /* dGx, dGh (rows, GH) gate gradients (dGh may equal dGx), hs (rows, H) states h_{t-1},   \
     * x (rows, I): dx = dGx w_ih, dw_ih = dGx^T x, dw_hh = dGh^T hs, db_* = column sums */    \
    int rk_seq_weight_grads_##SFX(int64_t rows, int64_t I, int64_t H, int64_t GH,               \
                                  const REAL *dGx, const REAL *dGh, const REAL *x,              \
                                  const REAL *hs, const REAL *w_ih, REAL *dx, REAL *dw_ih,      \
                                  REAL *dw_hh, REAL *db_ih, REAL *db_hh);                       \
    /* bias (n) = b_ih + b_hh over the first n entries, NULL entries being zero; NULL if both */ \
    const REAL *rk_seq_bias_sum_##SFX(int64_t n, const REAL *b_ih, const REAL *b_hh, REAL *buf);

RK_DECLARE_SEQ(f32, float)
RK_DECLARE_SEQ(f64, double)

/* 2-norm of one row of n values, summed in index order in double (exploding gradients stay finite) */
#define RK_DEFINE_ROW_NORM(SFX, REAL)                                                            \
    static inline REAL rk_row_norm_##SFX(int64_t n, const REAL *v)                              \
    {                                                                                           \
        double s = 0;                                                                           \
        for (int64_t j = 0; j < n; ++j) s += (double)v[j] * v[j];                               \
        return (REAL)sqrt(s);                                                                   \
    }
RK_DEFINE_ROW_NORM(f32, float)
RK_DEFINE_ROW_NORM(f64, double)

/* Steps of the input projection done at once: enough rows for an efficient GEMM while keeping
 * inference memory O(B*H). */
static inline int64_t rk_seq_chunk_steps(int64_t T, int64_t B)
{
    int64_t tc = B > 0 ? (256 + B - 1) / B : 64;
    if (tc > 64) tc = 64;
    if (tc < 1) tc = 1;
    return tc < T ? tc : T;
}

/* Batch items per row-parallel task, so each task has a few thousand elements of work. */
static inline int rk_seq_row_threads(int64_t B, int64_t H)
{
    return B * H >= 4096 ? rk_get_num_threads() : 1;
}
#endif
