/* Cell epilogues for the avx512 path: cell/epilogue.inc compiled with this ISA's flags. */
#include "../simd/avx512.h"
#include "../act/act_vec.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "epilogue.inc"

const rk_epilogues_f32 rk_epilogues_f32_avx512 = RK_EPILOGUES;
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "epilogue.inc"

const rk_epilogues_f64 rk_epilogues_f64_avx512 = RK_EPILOGUES;
