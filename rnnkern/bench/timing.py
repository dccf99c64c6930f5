"""Turn-taking and medians. The contenders of a row take turns one call at a time, in a fixed order,
repetition by repetition (rnnkern, torch, reference, rnnkern, ...): drift in the machine's speed hits
them alike, and no two ever run at once, since the parent waits for each reply before the next request."""
import time

# between turns: idle OpenMP threads spin GOMP_SPINCOUNT (300,000) pauses, some ms, before they sleep,
# and would take the cores of the contender timed next
SETTLE_S = 0.02
PROBE_STEPS = 10  # a call over this many steps estimates a full one


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def turn_order(names, reps):
    """[(rep, name)] in the order the calls run: every contender's rep 0, then every rep 1, ..."""
    return [(r, name) for r in range(reps) for name in names]


def take_turns(turns, reps, steps=None, settle_s=SETTLE_S, sleep=time.sleep):
    """turns [(name, worker)] -> {name: [seconds] * reps}: one call per turn, over the first `steps`
    steps (None: all)."""
    workers = dict(turns)
    times = {name: [] for name in workers}
    for _, name in turn_order(list(workers), reps):
        sleep(settle_s)
        times[name].append(workers[name].call("time", steps=steps))
    return times


def repetitions(seconds_per_round, reps, budget_s):
    """Repetitions that fit the row's budget: --reps, fewer (never under 1) where they would not fit;
    budget 0 = always --reps."""
    if budget_s <= 0:
        return reps
    return max(1, min(reps, int(budget_s // max(seconds_per_round, 1e-9))))


def measure_row(turns, T, reps, budget_s, ref_max_s=float("inf"), reference=None, settle_s=SETTLE_S):
    """One row: warm every contender, estimate a full call from a PROBE_STEPS one, skip the reference
    (named `reference`) where one call would exceed ref_max_s, fit the repetitions into the budget, time
    them in turns. -> (times {name: [seconds]}, repetitions, skipped {name: result})."""
    go = lambda ts, n, steps=None: take_turns(ts, n, steps, settle_s)  # noqa: E731
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
    if budget_s <= 0 or total * (n + 1) <= budget_s:
        go(turns, 1)  # a full-length warm-up where it is cheap
    return go(turns, n), n, skipped
