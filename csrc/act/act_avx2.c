/* Activation rows for the avx2 path (compiled with this ISA's flags only): the act_row slot. */
#include "../simd/avx2.h"
#include "act_vec.h"

void rk_act_row_f32_avx2(rk_act_op op, int64_t n, const float *x, float *y)
{
    rk_v_act_row_f32(op, n, x, y);
}

void rk_act_row_f64_avx2(rk_act_op op, int64_t n, const double *x, double *y)
{
    rk_v_act_row_f64(op, n, x, y);
}
