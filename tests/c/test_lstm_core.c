/* The core without Python, for targets this machine can only emulate (.ci/run builds it for
 * aarch64 and runs it under qemu-aarch64): an LSTM forward and backward in float64 against
 * rnnkern.reference's results (lstm_expected.h), float32 against the same within its precision,
 * and a problem large enough for a multi-threaded recurrence, bitwise the same on 1 and 3 threads,
 * and its two directions in one pair call the same as each alone.
 * Prints one line per check; exits 1 if any fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnkern.h"
#include "lstm_expected.h"

/* the inputs of make_lstm_expected.py: exact binary fractions in (-0.4, 0.4) */
static void lstm_value(int seed, int64_t n, double *out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = (double)((i * 37 + seed * 101) % 199 - 99) / 256.0;
}

typedef struct lstm_problem {
    int64_t T, B, I, H;
    double *in[10];  /* x w_ih w_hh b_ih b_hh h0 c0 dy dhT dcT */
    double *out[10]; /* y hT cT dx dw_ih dw_hh db_ih db_hh dh0 dc0 */
    int64_t n_in[10], n_out[10];
} lstm_problem;

static int lstm_problem_init(lstm_problem *p, int64_t T, int64_t B, int64_t I, int64_t H)
{
    const int64_t G = 4 * H;
    const int64_t n_in[10] = {T * B * I, G * I, G * H, G, G, B * H, B * H, T * B * H, B * H, B * H};
    const int64_t n_out[10] = {T * B * H, B * H, B * H, T * B * I, G * I, G * H, G, G, B * H, B * H};
    p->T = T, p->B = B, p->I = I, p->H = H;
    for (int k = 0; k < 10; ++k) {
        p->n_in[k] = n_in[k], p->n_out[k] = n_out[k];
        p->in[k] = malloc((size_t)n_in[k] * sizeof(double));
        p->out[k] = malloc((size_t)n_out[k] * sizeof(double));
        if (!p->in[k] || !p->out[k]) return 0;
        lstm_value(k + 1, n_in[k], p->in[k]);
    }
    return 1;
}

static void lstm_problem_free(lstm_problem *p)
{
    for (int k = 0; k < 10; ++k) free(p->in[k]), free(p->out[k]);
}

/* Forward then backward in one dtype (8: float64, 4: float32, inputs and outputs converted),
 * reversed when asked; with rev, one pair call whose second direction is the reversed run on the
 * same inputs, its outputs in rev->out (float64 only) */
static int lstm_run(lstm_problem *p, const int64_t *lengths, int dtype_bytes, int reverse,
                    lstm_problem *rev)
{
    void *in[10], *out[2][10], *ws[2];
    int st = RK_OK;
    const int n = rev ? 2 : 1;
    for (int k = 0; k < 10; ++k) {
        in[k] = malloc((size_t)p->n_in[k] * (size_t)dtype_bytes);
        for (int d = 0; d < n; ++d)
            if (!(out[d][k] = malloc((size_t)p->n_out[k] * (size_t)dtype_bytes))) st = RK_ERR_NOMEM;
        if (!in[k]) st = RK_ERR_NOMEM;
        else if (dtype_bytes == 4)
            for (int64_t i = 0; i < p->n_in[k]; ++i) ((float *)in[k])[i] = (float)p->in[k][i];
        else
            memcpy(in[k], p->in[k], (size_t)p->n_in[k] * sizeof(double));
    }
    for (int d = 0; d < n; ++d)
        if (!(ws[d] = malloc((size_t)rk_lstm_workspace_size(p->T, p->B, p->H) * (size_t)dtype_bytes)))
            st = RK_ERR_NOMEM;
    if (st == RK_OK) {
        rk_cell_args a[2];
        for (int d = 0; d < n; ++d) {
            void *const *o = out[d];
            /* designated: a field added to rk_cell_args starts at zero here, as the header asks */
            a[d] = (rk_cell_args){.T = p->T, .B = p->B, .In = p->I, .H = p->H,
                                  .activation = RK_ACT_TANH, .reverse = d == 1 || reverse,
                                  .x = in[0], .w_ih = in[1], .w_hh = in[2], .b_ih = in[3],
                                  .b_hh = in[4], .h0 = in[5], .c0 = in[6], .lengths = lengths,
                                  .y = o[0], .hT = o[1], .cT = o[2], .ws = ws[d],
                                  .dy = in[7], .dhT = in[8], .dcT = in[9],
                                  .dx = o[3], .dw_ih = o[4], .dw_hh = o[5], .db_ih = o[6],
                                  .db_hh = o[7], .dh0 = o[8], .dc0 = o[9]};
        }
        if (rev) {
            st = dtype_bytes == 4 ? RK_ERR_ARG : rk_lstm_forward_pair_f64(a);
            if (st == RK_OK) st = rk_lstm_backward_pair_f64(a);
        } else {
            st = dtype_bytes == 4 ? rk_lstm_forward_f32(a) : rk_lstm_forward_f64(a);
            if (st == RK_OK) st = dtype_bytes == 4 ? rk_lstm_backward_f32(a) : rk_lstm_backward_f64(a);
        }
    }
    for (int k = 0; k < 10; ++k) {
        for (int d = 0; d < n; ++d) {
            lstm_problem *q = d ? rev : p;
            if (st == RK_OK && dtype_bytes == 4)
                for (int64_t i = 0; i < p->n_out[k]; ++i) q->out[k][i] = ((float *)out[d][k])[i];
            else if (st == RK_OK)
                memcpy(q->out[k], out[d][k], (size_t)p->n_out[k] * sizeof(double));
            free(out[d][k]);
        }
        free(in[k]);
    }
    for (int d = 0; d < n; ++d) free(ws[d]);
    return st;
}

/* 1 if every output of p and q is bitwise the same */
static int lstm_same(const lstm_problem *p, const lstm_problem *q)
{
    int same = 1;
    for (int k = 0; k < 10 && same; ++k)
        same = memcmp(p->out[k], q->out[k], (size_t)p->n_out[k] * sizeof(double)) == 0;
    return same;
}

static const char *const out_names[10] = {"y", "hT", "cT", "dx", "dw_ih", "dw_hh",
                                          "db_ih", "db_hh", "dh0", "dc0"};

/* max |a - e| / max(1, |e|) over every output against lstm_expected.h, printed per output */
static double lstm_compare(const lstm_problem *p, const char *what)
{
    const double *expected[10] = {expected_y, expected_hT, expected_cT, expected_dx, expected_dw_ih,
                                  expected_dw_hh, expected_db_ih, expected_db_hh, expected_dh0,
                                  expected_dc0};
    double worst = 0;
    for (int k = 0; k < 10; ++k) {
        double err = 0;
        for (int64_t i = 0; i < p->n_out[k]; ++i) {
            const double e = expected[k][i], d = fabs(p->out[k][i] - e) / fmax(1.0, fabs(e));
            err = d > err || d != d ? d : err; /* a NaN counts as the worst */
        }
        printf("  %s %-6s max error %.3g\n", what, out_names[k], err);
        worst = err > worst || err != err ? err : worst;
    }
    return worst;
}

static int check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "pass" : "FAIL", what);
    return ok ? 0 : 1;
}

int main(void)
{
    int failed = 0;
    printf("rnnkern core: ISA %s, %d threads\n", rk_isa_name(rk_isa_active()), rk_get_num_threads());
    lstm_problem p;
    if (!lstm_problem_init(&p, LSTM_T, LSTM_B, LSTM_I, LSTM_H)) return check(0, "allocation");
    failed += check(lstm_run(&p, lstm_lengths, 8, 0, NULL) == RK_OK, "float64 LSTM forward + backward ran");
    failed += check(lstm_compare(&p, "f64") <= 1e-12, "float64 against the reference within 1e-12");
    failed += check(lstm_run(&p, lstm_lengths, 4, 0, NULL) == RK_OK, "float32 LSTM forward + backward ran");
    failed += check(lstm_compare(&p, "f32") <= 1e-5, "float32 against the reference within 1e-5");
    lstm_problem_free(&p);

    /* a step of 2 B 4H H = 200k FLOP: over the threshold of a multi-threaded recurrence */
    lstm_problem big, big3, rev, pair, pair_rev;
    const int64_t lengths[4] = {4, 2, 3, 1};
    if (!lstm_problem_init(&big, 4, 4, 8, 80) || !lstm_problem_init(&big3, 4, 4, 8, 80) ||
        !lstm_problem_init(&rev, 4, 4, 8, 80) || !lstm_problem_init(&pair, 4, 4, 8, 80) ||
        !lstm_problem_init(&pair_rev, 4, 4, 8, 80))
        return check(0, "allocation");
    rk_set_num_threads(1);
    int st = lstm_run(&big, lengths, 8, 0, NULL);
    st = st == RK_OK ? lstm_run(&rev, lengths, 8, 1, NULL) : st;
    rk_set_num_threads(3);
    st = st == RK_OK ? lstm_run(&big3, lengths, 8, 0, NULL) : st;
    failed += check(st == RK_OK && lstm_same(&big, &big3),
                    "float64 T=4 B=4 I=8 H=80 bitwise the same on 1 and 3 threads");
    /* the pair splits the 3 threads between its directions */
    st = lstm_run(&pair, lengths, 8, 0, &pair_rev);
    failed += check(st == RK_OK && lstm_same(&pair, &big) && lstm_same(&pair_rev, &rev),
                    "float64 pair call on 3 threads: each direction bitwise as alone on 1");
    lstm_problem_free(&big), lstm_problem_free(&big3), lstm_problem_free(&rev);
    lstm_problem_free(&pair), lstm_problem_free(&pair_rev);
    printf("%s\n", failed ? "FAILED" : "all passed");
    return failed ? 1 : 0;
}
