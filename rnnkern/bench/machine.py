"""Facts of the machine: the CPU (/proc/cpuinfo), its load, and the FMA peak that %peak divides by,
measured by rnnkern._ext.fma_peak_gflops (rnnkern/_peak.py) inside an rnnkern contender's process."""
import os


def cpu_facts():
    from rnnkern import _peak

    return _peak.cpu_facts()


def loadavg():
    """The 1-minute load average, or None where the OS has none."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def probe_peaks(threads, dtype, how="probe", isa=None):
    """{n: {"gflops", "source", "detail"}} for each thread count n: the FMA peak of `isa` (default: the
    best path this CPU has, the machine's peak whichever path is timed), probed or estimated."""
    import rnnkern
    from rnnkern import _ext, _peak

    isa = isa or rnnkern.isa_info()["best"]
    return {n: _peak.fma_peak(isa, dtype, n, ext=_ext if how == "probe" else None) for n in threads}


def peak_estimate(dtype, isa=None):
    """The 1-thread peak estimated from the clock, beside a probed one in the header."""
    import rnnkern
    from rnnkern import _peak

    return _peak.fma_peak(isa or rnnkern.isa_info()["best"], dtype, 1)


def probe_scaled(peaks, cores):
    """False where the probe did not scale with threads (other processes held cores during it)."""
    gf = {int(n): p["gflops"] for n, p in peaks.items() if p["gflops"]}
    return not (1 in gf and any(n > 1 and g < 0.9 * min(n, cores or n) * gf[1] for n, g in gf.items()))
