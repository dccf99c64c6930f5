/* Workspace sizes (elements) of a training forward; the layouts are documented in rnnkern.h. */
#include "panel.h"

/* (T * per_step + extra) * B * Hp, or -1 on overflow */
static int64_t states_size(int64_t T, int64_t per_step, int64_t extra, int64_t B, int64_t H)
{
    int64_t n = rk_mul_size(T, per_step);
    if (n < 0 || n > INT64_MAX - extra || H > INT64_MAX - RK_PANEL) return -1;
    n = rk_mul_size(n + extra, B);
    return n < 0 ? -1 : rk_mul_size(n, rk_padded(H));
}

int64_t rk_lstm_workspace_size(int64_t T, int64_t B, int64_t H) { return states_size(T, 6, 2, B, H); }
int64_t rk_gru_workspace_size(int64_t T, int64_t B, int64_t H) { return states_size(T, 5, 1, B, H); }
int64_t rk_rnn_workspace_size(int64_t T, int64_t B, int64_t H) { return states_size(T, 1, 1, B, H); }
