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

/* Steps of the input projection done at once: enough rows for an efficient GEMM while keeping
 * inference memory O(B*H). */
static inline int64_t rk_chunk_steps(int64_t T, int64_t B)
{
    int64_t tc = B > 0 ? (256 + B - 1) / B : 64;
    if (tc > 64) tc = 64;
    if (tc < 1) tc = 1;
    return tc < T ? tc : T;
}

#define RK_DECLARE_RECUR(SFX, REAL)                                                              \
    typedef struct rk_recur_##SFX rk_recur_##SFX;                                               \
    /* Finish one panel of one valid batch row at step t from its pre-activations acc          \
     * (G*RK_PANEL): write the new states (and, training, the saved gates) */                   \
    typedef void (*rk_fwd_epilogue_##SFX)(const rk_recur_##SFX *r, int64_t t, int64_t b,         \
                                          int64_t p, REAL *acc);                                 \
    /* Gate gradients of one panel of a valid row from dh (its dL/dh_t slice); writes the       \
     * direct part of dL/dh_{t-1} (or zeros) to dh_prev */                                       \
    typedef void (*rk_bwd_epilogue_##SFX)(const rk_recur_##SFX *r, int64_t t, int64_t b,         \
                                          int64_t p, const REAL *dh, REAL *dh_prev);             \
    struct rk_recur_##SFX {                                                                      \
        int64_t T, B, I, H, G, Hp, P, W, GHp, tc; /* W = G*RK_PANEL, GHp = G*Hp */               \
        const rk_kernels_##SFX *k;                                                               \
        rk_activation act;                                                                       \
        const int64_t *lengths;                                                                  \
        const REAL *x;      /* (T,B,I) */                                                        \
        REAL *wih_p;        /* (GHp, I) W_ih in panel order */                                   \
        char *wih_packed;   /* forward: each thread's columns of W_ih^T packed for the GEMM */   \
        int64_t wih_packed_bytes;                                                                \
        REAL *bias_p;       /* (GHp) bias of the projection, NULL: none */                       \
        REAL *whh_p;        /* G*P x (H, RK_PANEL) forward recurrent panels */                   \
        REAL *bhh_p;        /* (GHp) separate recurrent bias (GRU), NULL: none */                \
        REAL *gx;           /* (tc*B, GHp) projection chunk */                                   \
        REAL *gh;           /* (B, GHp) separate recurrent product (GRU), else NULL */           \
        REAL *hs, *cs;      /* state slots (., B, Hp): h, and c for LSTM */                      \
        int training;       /* slots: T+1 kept (training) or 2 alternating (inference) */       \
        int has_cell;       /* LSTM: a cell state beside h */                                    \
        int separate_bias;  /* GRU: b_hh stays with the recurrent product */                     \
        REAL *gates, *hn;   /* (T,B,GHp), (T,B,Hp): saved for backward, or NULL */               \
        REAL *y;            /* (T,B,H) */                                                        \
        rk_fwd_epilogue_##SFX fwd;                                                               \
        const REAL *dy;     /* (T,B,H) or NULL */                                                \
        REAL *dgx, *dgh;    /* (T,B,GHp) gate gradients for W_ih and for W_hh (same for LSTM)  */ \
        REAL *wt_p;         /* P x (GHp, RK_PANEL) backward recurrent panels */                  \
        REAL *dh, *dh_next, *dc; /* (B, Hp) */                                                   \
        double *norm_parts; /* (T,B,P) squared norms of dL/dh_t per panel, or NULL */            \
        rk_bwd_epilogue_##SFX bwd;                                                               \
        rk_step_barrier bar; /* the threads' one meeting per step */                              \
        int status;                                                                              \
    };                                                                                           \
    static inline REAL *rk_slot_##SFX(const rk_recur_##SFX *r, REAL *base, int64_t t)            \
    {                                                                                            \
        return base + (r->training ? t : t & 1) * r->B * r->Hp;                                  \
    }                                                                                            \
    /* Sets the sizes, the kernel table and the panel count for a cell of G gates */            \
    void rk_recur_init_##SFX(rk_recur_##SFX *r, const rk_cell_args *a, int64_t G);              \
    /* Packs the weights, runs the forward loop and writes a->y, hT (and cT); the cell has set  \
     * r->fwd and, when training, the workspace pointers */                                      \
    int rk_recur_forward_##SFX(rk_recur_##SFX *r, const rk_cell_args *a);                       \
    /* Runs the backward loop, then fills a->dx, dw_ih, dw_hh, db_ih, db_hh, dh0 (and dc0,       \
     * dh_norms) from it */                                                                      \
    int rk_recur_backward_##SFX(rk_recur_##SFX *r, const rk_cell_args *a);                      \
    /* Copies (B, H) rows into (B, Hp) padded rows with zero padding, or zeros when src NULL */ \
    void rk_pad_rows_##SFX(int64_t B, int64_t H, int64_t Hp, const REAL *src, REAL *dst);       \
    void rk_unpad_rows_##SFX(int64_t B, int64_t H, int64_t Hp, const REAL *src, REAL *dst);

RK_DECLARE_RECUR(f32, float)
RK_DECLARE_RECUR(f64, double)
#endif
