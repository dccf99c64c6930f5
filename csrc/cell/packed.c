/* Sizes of packed weights (rnnkern.h, "Packed weights"); the packing and the forward on packed
 * weights are the recurrence engine's (recur.inc), reached through each cell's entry points. */
#include "recur.h"

static const int64_t cell_gates[] = {4, 3, 1}; /* rk_cell order: LSTM, GRU, RNN */

int64_t rk_packed_size(rk_cell cell, int dtype_bytes, int64_t In, int64_t H)
{
    if ((unsigned)cell > RK_CELL_RNN || In < 0 || H < 0) return -1;
    if (dtype_bytes == 4) return rk_recur_packed_size_f32(cell_gates[cell], In, H);
    if (dtype_bytes == 8) return rk_recur_packed_size_f64(cell_gates[cell], In, H);
    return -1;
}
