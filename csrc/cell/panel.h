/* Gate-interleaved panels: the layout of the fused, weight-stationary recurrence.
 *
 * Hidden units are grouped in panels of RK_PANEL units (H padded to Hp = P * RK_PANEL). A vector of
 * G gates x H units in "panel order" has G * Hp entries: entry p*G*RK_PANEL + g*RK_PANEL + u holds
 * gate g of unit p*RK_PANEL + u, so one panel's gates sit side by side and one register tile of the
 * recurrent product yields every gate of RK_PANEL units: enough to finish their states at once.
 * Padding units have zero weights and biases, and their gradients are forced to zero.
 */
#ifndef RK_PANEL_H
#define RK_PANEL_H
#include "../internal.h"

#define RK_PANEL 16

static inline int64_t rk_panels(int64_t H) { return (H + RK_PANEL - 1) / RK_PANEL; }
static inline int64_t rk_padded(int64_t H) { return rk_panels(H) * RK_PANEL; }

#define RK_DECLARE_PANEL(SFX, REAL)                                                              \
    /* out (G*Hp, n) = rows of w (G*H, n) in panel order, zero rows for padding units */         \
    void rk_panel_rows_##SFX(int64_t G, int64_t H, int64_t n, const REAL *w, REAL *out);        \
    /* the same for rows [j0, j1) of out only (multiples of RK_PANEL, or j1 = G*Hp) */          \
    void rk_panel_rows_part_##SFX(int64_t G, int64_t H, int64_t n, const REAL *w, REAL *out,    \
                                  int64_t j0, int64_t j1);                                      \
    /* out (G*Hp) = v (G*H) in panel order (v NULL: zeros) */                                   \
    void rk_panel_vec_##SFX(int64_t G, int64_t H, const REAL *v, REAL *out);                   \
    /* w (G*Hp, n) rows in panel order -> out (G*H, n): the inverse of rk_panel_rows */         \
    void rk_panel_unrows_##SFX(int64_t G, int64_t H, int64_t n, const REAL *w, REAL *out);      \
    /* Forward recurrent panels, one per gate and panel of units, in panel order, H*RK_PANEL     \
     * apart: out[p*G + g] (H, RK_PANEL), out[p*G + g][k][u] = w_hh[g*H + p*RK_PANEL + u][k]. So  \
     * a product may span any run of them (one cache line per k each in float32 on avx512) */    \
    void rk_panel_pack_recurrent_##SFX(int64_t G, int64_t H, const REAL *w_hh, REAL *out);     \
    /* the same for panels [p0, p1) of units only */                                            \
    void rk_panel_pack_recurrent_part_##SFX(int64_t G, int64_t H, const REAL *w_hh, REAL *out,  \
                                            int64_t p0, int64_t p1);                            \
    /* Backward panels for dh = dG @ W_hh, panels [p0, p1) of them: out[p] (G*Hp, RK_PANEL), row \
     * j (panel order) holds W_hh[j's gate row][p*RK_PANEL + u] for u < RK_PANEL */              \
    void rk_panel_pack_transposed_part_##SFX(int64_t G, int64_t H, const REAL *w_hh, REAL *out, \
                                             int64_t p0, int64_t p1);

RK_DECLARE_PANEL(f32, float)
RK_DECLARE_PANEL(f64, double)
#endif
