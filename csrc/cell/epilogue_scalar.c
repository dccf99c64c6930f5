/* Cell epilogues for the scalar path: cell/epilogue.inc compiled with this ISA's flags. */
#include "../simd/scalar.h"
#include "../act/act_vec.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "epilogue.inc"

const rk_epilogues_f32 rk_epilogues_f32_scalar = RK_EPILOGUES;
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "epilogue.inc"

const rk_epilogues_f64 rk_epilogues_f64_scalar = RK_EPILOGUES;
