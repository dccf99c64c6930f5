"""Facts of the machine: the CPU (/proc/cpuinfo), its load, and the FMA peak that %peak divides by,
measured by rnnkern._ext.fma_peak_gflops (rnnkern/_peak.py) inside an rnnkern contender's process."""
import os


def cpu_facts():
    from rnnkern import _peak

    return _peak.cpu_facts()


def loadavg():
    """The 1-minute load average, or None where the OS has none."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def cpu_ticks(path="/proc/stat"):
    """(stolen, wanted) CPU ticks since boot, summed over the cores (Linux's /proc/stat): wanted =
    the time a task ran or waited for a virtual machine's hypervisor, which ran another guest on the
    core for the stolen part. None where the OS does not say."""
    try:
        with open(path) as f:
            fields = f.readline().split()
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    except (OSError, ValueError):
        return None
    return steal, user + nice + system + irq + softirq + steal


def steal_fraction(before, after):
    """Of the CPU time wanted between two cpu_ticks() readings, the part the hypervisor took
    (None where either is None or no time passed)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


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
