/* Any compiled ISA's activation rows, reached through its kernel table: what tests and
 * benchmarks run to check every path on one machine (rnnkern._ext.activation). Baseline code. */
#include "../internal.h"

int rk_act_apply(int isa, int op, int f64, int64_t n, const void *x, void *y)
{
    if (op < 0 || op >= RK_ACT_OP_COUNT || n < 0 || (n > 0 && (!x || !y))) return RK_ERR_ARG;
    if (!rk_isa_supported((rk_isa)isa)) return RK_ERR_ISA; /* also rejects isa out of range */
    if (f64)
        rk_tables[isa]->f64.act_row((rk_act_op)op, n, (const double *)x, (double *)y);
    else
        rk_tables[isa]->f32.act_row((rk_act_op)op, n, (const float *)x, (float *)y);
    return RK_OK;
}
