/* CPU feature detection and the ISA table: chosen once (best path, or RNNKERN_ISA), read by every
 * kernel call. Detection asks cpuid for the instructions and xgetbv for the OS-enabled state; off
 * x86-64 neither exists and the scalar path is the only one compiled (until a NEON path exists). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#ifdef RK_X86_64
#include <cpuid.h>
#endif

/* The kernel table of each ISA: every slot's instance by name (kernels.h lists the slots). The
 * avx512 path packs with the avx2 interleave (pack_avx2.c says why). */
const rk_kernel_table rk_table_scalar = {
    RK_ISA_SCALAR, "lane", 1, 1,
    {&rk_gemm_kernel_f32_scalar, rk_panel_gemm_f32_scalar, rk_panel_tiles_f32_scalar,
     &rk_epilogues_f32_scalar, rk_act_row_f32_scalar, rk_peak_probe_f32_scalar,
     rk_interleave_f32_scalar},
    {&rk_gemm_kernel_f64_scalar, rk_panel_gemm_f64_scalar, rk_panel_tiles_f64_scalar,
     &rk_epilogues_f64_scalar, rk_act_row_f64_scalar, rk_peak_probe_f64_scalar,
     rk_interleave_f64_scalar}};
#ifdef RK_X86_64 /* CMakeLists.txt compiles the avx2 and avx512 units on x86-64 only */
const rk_kernel_table rk_table_avx2 = {
    RK_ISA_AVX2, "ymm", 8, 4,
    {&rk_gemm_kernel_f32_avx2, rk_panel_gemm_f32_avx2, rk_panel_tiles_f32_avx2,
     &rk_epilogues_f32_avx2, rk_act_row_f32_avx2, rk_peak_probe_f32_avx2,
     rk_interleave_f32_avx2},
    {&rk_gemm_kernel_f64_avx2, rk_panel_gemm_f64_avx2, rk_panel_tiles_f64_avx2,
     &rk_epilogues_f64_avx2, rk_act_row_f64_avx2, rk_peak_probe_f64_avx2,
     rk_interleave_f64_avx2}};
const rk_kernel_table rk_table_avx512 = {
    RK_ISA_AVX512, "zmm", 16, 8,
    {&rk_gemm_kernel_f32_avx512, rk_panel_gemm_f32_avx512, rk_panel_tiles_f32_avx512,
     &rk_epilogues_f32_avx512, rk_act_row_f32_avx512, rk_peak_probe_f32_avx512,
     rk_interleave_f32_avx2},
    {&rk_gemm_kernel_f64_avx512, rk_panel_gemm_f64_avx512, rk_panel_tiles_f64_avx512,
     &rk_epilogues_f64_avx512, rk_act_row_f64_avx512, rk_peak_probe_f64_avx512,
     rk_interleave_f64_avx2}};

const rk_kernel_table *const rk_tables[RK_ISA_COUNT] = {&rk_table_scalar, &rk_table_avx2,
                                                        &rk_table_avx512};
#else
const rk_kernel_table *const rk_tables[RK_ISA_COUNT] = {&rk_table_scalar, NULL, NULL};
#endif
static const char *const names[RK_ISA_COUNT] = {"scalar", "avx2", "avx512"};
static const rk_kernel_table *active; /* NULL until the first call picks the best path */

#ifdef RK_X86_64
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect(rk_isa isa)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return 0; /* OS saves SSE and AVX state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int avx2 = (b >> 5) & 1;
    if (isa == RK_ISA_AVX2) return avx2 && fma;
#ifdef RK_EMULATE_AVX512
    return avx2 && fma; /* test builds only: the avx512 path runs on SIMDe's emulation */
#endif
    /* AVX-512 F, DQ, BW, VL and the OS saving opmask and ZMM state */
    const int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    return avx2 && fma && f && dq && bw && vl && (xcr0 & 0xe6) == 0xe6;
}
#else
static int detect(rk_isa isa) { (void)isa; return 0; }
#endif

const char *rk_isa_name(rk_isa isa)
{
    return (unsigned)isa < RK_ISA_COUNT ? names[isa] : "unknown";
}

int rk_isa_compiled(rk_isa isa)
{
    return (unsigned)isa < RK_ISA_COUNT && rk_tables[isa] != NULL;
}

int rk_isa_supported(rk_isa isa)
{
    if (!rk_isa_compiled(isa)) return 0;
    return isa == RK_ISA_SCALAR || detect(isa);
}

rk_isa rk_isa_best(void)
{
    for (int i = RK_ISA_COUNT - 1; i > 0; --i)
        if (rk_isa_supported((rk_isa)i)) return (rk_isa)i;
    return RK_ISA_SCALAR;
}

const rk_kernel_table *rk_active_table(void)
{
    if (!active) active = rk_tables[rk_isa_best()];
    return active;
}

rk_isa rk_isa_active(void) { return rk_active_table()->isa; }

int rk_isa_select(rk_isa isa)
{
    if (!rk_isa_supported(isa)) return RK_ERR_ISA;
    active = rk_tables[isa];
    return RK_OK;
}

int rk_isa_init_from_env(void)
{
    const char *want = getenv("RNNKERN_ISA");
    rk_active_table();
    if (!want || !*want) return RK_OK;
    for (int i = 0; i < RK_ISA_COUNT; ++i)
        if (strcmp(want, names[i]) == 0) return rk_isa_select((rk_isa)i);
    return RK_ERR_ARG;
}

int64_t rk_mul_size(int64_t a, int64_t b)
{
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return -1;
    return r;
}

int rk_kernel_describe(rk_isa isa, int dtype_bytes, int slot, char *buf, size_t len)
{
    if ((unsigned)isa >= RK_ISA_COUNT || (dtype_bytes != 4 && dtype_bytes != 8) || !buf || !len)
        return RK_ERR_ARG;
    if (!rk_isa_compiled(isa)) return RK_ERR_ISA;
    const rk_kernel_table *t = rk_tables[isa];
    const int f64 = dtype_bytes == 8, lanes = f64 ? t->lanes_f64 : t->lanes_f32;
    const char *dt = f64 ? "f64" : "f32", *in = names[isa];
    const char *gemm = f64 ? t->f64.gemm->name : t->f32.gemm->name;
    const int mr = f64 ? t->f64.gemm->mr : t->f32.gemm->mr, nr = f64 ? t->f64.gemm->nr : t->f32.gemm->nr;
    int n;
    switch (slot) {
    case 0:
        n = snprintf(buf, len, "gemm\t%s\ttile %d rows x %d %s", gemm, mr, nr / lanes, t->vreg);
        break;
    case 1: /* one kernel serves h W_hh^T forward and dG W_hh backward */
        n = snprintf(buf, len, "panel\trk_panel_gemm_%s_%s\t%s", dt, in,
                     f64 ? t->f64.panel_tiles : t->f32.panel_tiles);
        break;
    case 2:
        n = snprintf(buf, len, "epilogues\trk_epilogues_%s_%s\t%d lanes per %s, masked tail", dt,
                     in, lanes, t->vreg);
        break;
    case 3:
        n = snprintf(buf, len, "act_row\trk_act_row_%s_%s\t%d lanes per %s, masked tail", dt, in,
                     lanes, t->vreg);
        break;
    case 4: { /* one round of the probe tells its chain count (where this CPU can run it) */
        double sink = 0;
        const double flop = !rk_isa_supported(isa) ? 0 : f64 ? t->f64.peak(1, &sink) : t->f32.peak(1, &sink);
        n = snprintf(buf, len, "peak\trk_peak_probe_%s_%s\t%d %s FMA chains", dt, in,
                     (int)(flop / (2 * lanes)), t->vreg);
        break;
    }
    case 5: { /* the avx512 table packs with the avx2 instance (pack_avx2.c says why) */
        const int avx2 = isa != RK_ISA_SCALAR;
        n = snprintf(buf, len, "interleave\trk_interleave_%s_%s\t%s", dt, avx2 ? "avx2" : "scalar",
                     avx2 ? "8-lane (ymm) transposes" : "one lane at a time");
        break;
    }
    default: return RK_ERR_ARG;
    }
    return n < 0 ? RK_ERR_ARG : RK_OK;
}
