"""Turn-taking and medians. The contenders of a row take turns one call at a time, in a fixed order,
repetition by repetition (rnnkern, torch, reference, rnnkern, ...): drift in the machine's speed hits
them alike, and no two ever run at once, since the parent waits for each reply before the next request."""
import os
import time

PROBE_STEPS = 10  # a call over this many steps estimates a full one
# After its call, a contender's idle OpenMP threads spin (GOMP_SPINCOUNT pauses, some ms) before they
# sleep, on the cores the contender timed next needs: its next turn waits until they sleep.
SETTLE_MAX_S = 0.1     # waiting at most this long
SETTLE_POLL_S = 0.0005
SETTLE_FIXED_S = 0.02  # where /proc cannot tell whether they sleep


def running_threads(pid):
    """How many threads of process `pid` are running or runnable (state R in /proc), or None where
    /proc cannot tell."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    n = 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                n += f.read().rpartition(")")[2].split()[0] == "R"  # after "(comm)", which may hold spaces
        except (OSError, IndexError):
            pass  # the thread ended
    return n


def settle(pid, max_s=SETTLE_MAX_S, poll_s=SETTLE_POLL_S, sleep=time.sleep):
    """Wait until no thread of process `pid` runs (at most max_s; SETTLE_FIXED_S where /proc cannot
    tell) -> seconds waited."""
    t0 = time.perf_counter()
    while True:
        n = running_threads(pid)
        if n is None:
            sleep(SETTLE_FIXED_S)
            break
        if n == 0 or time.perf_counter() - t0 >= max_s:
            break
        sleep(poll_s)
    return time.perf_counter() - t0


def settle_worker(worker):
    pid = getattr(worker, "pid", None)
    return settle(pid) if pid is not None else 0.0


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def turn_order(names, reps):
    """[(rep, name)] in the order the calls run: every contender's rep 0, then every rep 1, ..."""
    return [(r, name) for r in range(reps) for name in names]


def take_turns(turns, reps, steps=None, settle=settle_worker, waits=None):
    """turns [(name, worker)] -> {name: [seconds] * reps}: one call per turn, over the first `steps`
    steps (None: all), each followed by settle(worker), whose seconds are appended to `waits`."""
    workers = dict(turns)
    times = {name: [] for name in workers}
    for _, name in turn_order(list(workers), reps):
        times[name].append(workers[name].call("time", steps=steps))
        waited = settle(workers[name])
        if waits is not None:
            waits.append(waited)
    return times


def repetitions(seconds_per_round, reps, budget_s):
    """Repetitions that fit the row's budget: --reps, fewer (never under 1) where they would not fit;
    budget 0 = always --reps."""
    if budget_s <= 0:
        return reps
    return max(1, min(reps, int(budget_s // max(seconds_per_round, 1e-9))))


def measure_row(turns, T, reps, budget_s, ref_max_s=float("inf"), reference=None, settle=settle_worker):
    """One row: warm every contender, estimate a full call from a PROBE_STEPS one, skip the reference
    (named `reference`) where one call would exceed ref_max_s, fit the repetitions into the budget, warm
    every contender with a full call, time them in turns. -> (times {name: [seconds]}, repetitions,
    skipped {name: result}, the longest wait for a contender's threads to sleep)."""
    waits = [0.0]
    go = lambda ts, n, steps=None: take_turns(ts, n, steps, settle, waits)  # noqa: E731
    # a 2-step call warms every contender (one-time set-up, thread pools)
    go(turns, 1, min(T, 2))
    steps = min(T, PROBE_STEPS)
    est = {name: ts[0] * T / steps for name, ts in go(turns, 1, steps).items()}
    skipped = {}
    if reference in est and est[reference] > ref_max_s:
        # a second look before skipping: one probe may have shared the cores with another process
        again = go([t for t in turns if t[0] == reference], 1, steps)[reference][0] * T / steps
        est[reference] = min(est[reference], again)
        if est[reference] > ref_max_s:
            skipped[reference] = {"skipped": f"estimated {est.pop(reference):.1f} s per call > "
                                             f"--ref-max-s {ref_max_s:g}", "too_slow": True}
            turns = [t for t in turns if t[0] != reference]
    total = sum(est.values())
    n = repetitions(total, reps, budget_s)
    # a full-length warm-up, however long: the first full-size call touches buffers that the
    # shorter ones did not (400 MB of fresh pages, a tenth of a 100,64,1024,1024 GRU training
    # step), which a training loop pays once and a row timed once would count
    go(turns, 1)
    return go(turns, n), n, skipped, max(waits)
