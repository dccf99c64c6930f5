"""The machine's FMA peak, the yardstick of the benchmark's "% of peak" column.

Measured by the extension's probe when it has one (`rnnkern._ext.fma_peak_gflops(isa, dtype_bytes,
nthreads)`: chains of independent FMAs in the ISA's registers on every thread, summed). Without it, or
where the probe cannot run a path, the peak is *estimated* from the clock that /proc/cpuinfo reports and
the FMA throughput the ISA has on this CPU family; every result says which of the two it is.
"""
import os
import platform

# Floating-point operations per cycle per core for a float32 FMA stream: pipes x lanes x 2 (mul + add).
# float64 has half the lanes.
_F32_FLOPS_PER_CYCLE = {"avx512": 2 * 16 * 2, "avx2": 2 * 8 * 2, "scalar": 2 * 1 * 2}


def cpu_facts(path="/proc/cpuinfo"):
    """{"vendor", "family", "model", "model_name", "mhz", "cores"} of the first CPU; unknowns are None.
    "cores" counts the CPUs this process may run on; "mhz" is the largest 'cpu MHz' listed."""
    facts = {"vendor": None, "family": None, "model": None, "model_name": platform.processor() or None,
             "mhz": None, "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count()}
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return facts
    mhz = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            continue
        if key == "vendor_id" and facts["vendor"] is None:
            facts["vendor"] = value
        elif key == "cpu family" and facts["family"] is None:
            facts["family"] = int(value)
        elif key == "model" and facts["model"] is None:
            facts["model"] = int(value)
        elif key == "model name" and not facts.get("_named"):
            facts["model_name"], facts["_named"] = value, True
        elif key == "cpu MHz":
            try:
                mhz.append(float(value))
            except ValueError:
                pass
    facts.pop("_named", None)
    facts["mhz"] = max(mhz) if mhz else None
    return facts


def flops_per_cycle(isa, dtype, facts):
    """-> (FMA flops per cycle per core, why) for `isa` ("avx2", ...) and dtype "float32"/"float64"."""
    flops = _F32_FLOPS_PER_CYCLE[isa]
    why = {"avx512": "AVX-512: 2 FMA pipes x 16 lanes x 2", "avx2": "AVX2: 2 FMA pipes x 8 lanes x 2",
           "scalar": "scalar: 2 FMA pipes x 1 lane x 2"}[isa]
    amd = facts.get("vendor") == "AuthenticAMD"
    family, model = facts.get("family"), facts.get("model")
    if amd and isa == "avx2" and family == 23 and model is not None and model < 0x30:
        flops //= 2
        why = "AVX2 on Zen 1 (family 23 model < 0x30): 256-bit FMAs run as 2x128, 2 pipes x 4 lanes x 2"
    elif amd and isa == "avx512" and family == 25:
        flops //= 2
        why = "AVX-512 on Zen 4 (family 25): 512-bit FMAs run as 2x256, 2 pipes x 8 lanes x 2"
    elif isa == "avx512":
        why += " (Xeons with one 512-bit FMA unit reach half)"
    if dtype == "float64" and isa != "scalar":
        flops //= 2
        why += ", halved for float64"
    return flops, why


def fma_peak(isa, dtype="float32", threads=1, ext=None, facts=None):
    """Peak FMA throughput of `threads` threads together on `isa`:
    {"gflops", "source": "measured" | "estimated" | "unknown", "detail"}."""
    note = "rnnkern._ext has no fma_peak_gflops probe" if ext is not None else "not probed"
    if ext is not None and hasattr(ext, "fma_peak_gflops"):
        size = {"float32": 4, "float64": 8}[dtype]
        # the best of three tries: another process may have shared the cores during one
        gflops = max(float(ext.fma_peak_gflops(isa, size, threads)) for _ in range(3))
        if gflops > 0:
            return {"gflops": gflops, "source": "measured",
                    "detail": f"register-resident FMA chains on {threads} thread{'s' if threads != 1 else ''}, "
                              f"{isa} {dtype} (rnnkern._ext.fma_peak_gflops, best of 3 runs of 0.2 s)"}
        note = f"rnnkern._ext.fma_peak_gflops({isa!r}, {size}, {threads}) returned {gflops:g}"
    facts = cpu_facts() if facts is None else facts
    flops, why = flops_per_cycle(isa, dtype, facts)
    if not facts.get("mhz"):
        return {"gflops": None, "source": "unknown", "detail": f"{note}, and /proc/cpuinfo has no 'cpu MHz'"}
    cores = min(threads, facts.get("cores") or threads)
    per_core = facts["mhz"] * 1e-3 * flops
    return {"gflops": per_core * cores, "source": "estimated",
            "detail": f"{per_core:.1f} GFLOP/s per core = {facts['mhz']:.0f} MHz ('cpu MHz' in /proc/cpuinfo) "
                      f"x {flops} flop/cycle ({why}), times min(threads, {facts.get('cores')} cores); {note}"}
