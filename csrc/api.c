/* The table of every public entry point (rnnkern.h, "The function table"). */
#include "rnnkern.h"

static const rk_api_table table = {
    RK_API_VERSION,
    rk_isa_active,
    rk_get_num_threads,
    rk_gemm_f32,
    rk_gemm_f64,
    {rk_lstm_workspace_size, rk_gru_workspace_size, rk_rnn_workspace_size},
    rk_packed_size,
    {{rk_lstm_forward_f32, rk_lstm_forward_f64},
     {rk_gru_forward_f32, rk_gru_forward_f64},
     {rk_rnn_forward_f32, rk_rnn_forward_f64}},
    {{rk_lstm_backward_f32, rk_lstm_backward_f64},
     {rk_gru_backward_f32, rk_gru_backward_f64},
     {rk_rnn_backward_f32, rk_rnn_backward_f64}},
    {{rk_lstm_pack_f32, rk_lstm_pack_f64}, {rk_gru_pack_f32, rk_gru_pack_f64},
     {rk_rnn_pack_f32, rk_rnn_pack_f64}},
    {{rk_lstm_forward_packed_f32, rk_lstm_forward_packed_f64},
     {rk_gru_forward_packed_f32, rk_gru_forward_packed_f64},
     {rk_rnn_forward_packed_f32, rk_rnn_forward_packed_f64}},
};

const rk_api_table *rk_api(void) { return &table; }
