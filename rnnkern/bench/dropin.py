"""`python -m rnnkern bench --torch-module`: one training step through autograd (forward, loss
sum(y * dy), backward) of rnnkern.torch.X against torch.nn.X, on the grid plus num_layers=2 and
bidirectional rows, and the drop-in's overhead over the same layers as rnnkern.functional calls.

Three contender processes (worker.py), taking turns (timing.py): torch.nn and the drop-in, each with
torch's users' environment, and the functional calls in an rnnkern one.
"""
import time
from pathlib import Path

from . import machine, output, report
from .contenders import DROP_IN, RNNKERN, TORCH
from .. import cells
from .problems import cell_kind, fmt_shape
from .timing import measure_row, median
from .worker import Worker

# the rows' modes: one training step of one layer, of two layers, of one bidirectional layer
STEP_MODES = {"step": {}, "step-2-layers": {"num_layers": 2}, "step-bidirectional": {"bidirectional": True}}
TORCH_MODULE_CONTENDERS = (("torch.nn", TORCH), ("rnnkern.torch", DROP_IN), ("functional", RNNKERN))
SPEEDUP_TARGET, SPEEDUP_TARGET_B1 = 1.0, 2.0  # x torch.nn: no slower on any row, >= 2x at B = 1


def _layers(cell, mode, I, H):
    """[(layer, direction, input features)] of a step mode."""
    cfg = STEP_MODES[mode]
    L, D = cfg.get("num_layers", 1), 2 if cfg.get("bidirectional") else 1
    return [(l, d, I if l == 0 else D * H) for l in range(L) for d in range(D)], D


def step_call(kind, torch, cell, mode, p, steps=None, seed=0):
    """(setup, run) of one training step over the first `steps` steps of problem `p`: a torch module
    (torch.nn's, or the drop-in holding the same weights) through autograd, or the same layers as
    rnnkern.functional calls (forward, then backward, of every layer and direction). None where
    torch.nn has no such cell (rnn-logistic)."""
    import numpy as np

    kind_, act = cell_kind(cell)
    T, B, I = p["x"].shape
    H = p["w_hh"].shape[1]
    layers, D = _layers(cell, mode, I, H)
    x = p["x"][:steps]
    dy = np.random.default_rng(seed + 1).standard_normal((x.shape[0], B, D * H)).astype(x.dtype)
    if kind == RNNKERN:
        import rnnkern

        fwd, bwd = getattr(rnnkern, f"{kind_}_forward"), getattr(rnnkern, f"{kind_}_backward")
        kw = {"activation": act} if cells.get(kind_).takes_activation else {}
        rng = np.random.default_rng(seed)
        G, s = cells.get(kind_).G * H, 1 / np.sqrt(H)
        w = [tuple(rng.uniform(-s, s, shape).astype(x.dtype) for shape in ((G, n), (G, H), (G,), (G,)))
             for _, _, n in layers]
        return (lambda: None), _functional_step(fwd, bwd, kw, layers, D, w, x, dy, H)
    if act not in cells.TORCH_UNITS:
        return None
    nn_cls = getattr(torch.nn, cells.get(kind_).torch_name)
    extra = {"nonlinearity": act} if cells.get(kind_).takes_activation else {}
    torch.manual_seed(seed)
    m = nn_cls(I, H, **STEP_MODES[mode], **extra).to({"float32": torch.float32,
                                                      "float64": torch.float64}[str(x.dtype)])
    if kind == DROP_IN:
        import rnnkern.torch

        m = rnnkern.torch.from_torch(m)
    xt = torch.from_numpy(x).clone().requires_grad_(True)
    dyt = torch.from_numpy(dy)

    def setup():
        m.zero_grad(set_to_none=True)
        xt.grad = None

    def run():
        (m(xt)[0] * dyt).sum().backward()
    return setup, run


def _functional_step(fwd, bwd, kw, layers, D, w, x, dy, H):
    """The functional calls of one training step: forward through every layer, then backward."""
    import numpy as np

    def run():
        inp, saved = x, []
        for (layer, d, _), wk in zip(layers, w):
            if d == 0:
                outs = []
            y, *_, ws = fwd(inp, *wk, **kw)
            outs.append(y)
            saved.append(ws)
            if d == D - 1:
                inp = outs[0] if D == 1 else np.concatenate(outs, 2)
        g = dy
        for layer in reversed(range(len(layers) // D)):
            dxs = [bwd(saved[layer * D + d], np.ascontiguousarray(g[..., d * H:(d + 1) * H])).dx
                   for d in range(D)]
            g = sum(dxs)
    return run


def _row_line(row):
    def ms(k):
        v = row[k]
        return f"{v * 1e3:10.2f}" if v is not None else f"{'-':>10}"
    x = row["x_torch_nn"]
    over = row["overhead"]
    return (f"{row['cell']:12s} {row['mode']:19s} {fmt_shape((row['T'], row['B'], row['I'], row['H'])):>16s} "
            f"{row['threads']:3d} {ms('torch.nn')} {ms('rnnkern.torch')} {ms('functional')} "
            + (f"{x:8.2f}x" if x else f"{'-':>9}") + (f" {over * 100:8.1f}%" if over is not None else f"{'-':>9}")
            + f"  {row['target']}{report.steal_note(row)}")


def run(args, argv, isa):
    """The --torch-module run (args: cli's options). Returns the exit status."""
    started = time.time()
    workers = {name: Worker(name, kind, isa=isa if kind == RNNKERN else None)
               for name, kind in TORCH_MODULE_CONTENDERS}
    try:
        hello = {name: w.call("hello") for name, w in workers.items()}
        why = hello["torch.nn"]["skipped"] or hello["rnnkern.torch"]["skipped"]
        if why:
            print(f"python -m rnnkern bench --torch-module needs torch: {why}")
            return 1
        meta = {"versions": hello["rnnkern.torch"]["versions"], "isa": isa, "cpu": machine.cpu_facts(),
                "contenders": {n: {"kind": w.kind, "env_changes": {k: list(v) for k, v in w.changes.items()},
                                   "hello": hello[n]} for n, w in workers.items()},
                "loadavg_start": machine.loadavg(), "argv": list(argv), "options": dict(vars(args))}
        print(f"rnnkern {meta['versions']['rnnkern']}, torch {meta['versions']['torch']}, rnnkern ISA {isa}, "
              f"{args.dtype}: one training step (forward, sum(y * dy), backward), median of up to {args.reps}")
        print("each contender in its own process with its users' environment, taking turns; functional = the "
              "same layers as rnnkern.functional calls, the drop-in's overhead is over it")
        print(f"{'cell':12s} {'mode':19s} {'T,B,I,H':>16s} thr {'torch.nn ms':>10} {'drop-in ms':>10} "
              f"{'funct. ms':>10} {'x torch':>9} {'overhead':>9}  target")
        rows = []
        ticks_start = machine.cpu_ticks()
        json_path = Path(args.json)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        for shape in args.shapes:
            for cell in args.cells:
                for mode in STEP_MODES:
                    for n in args.threads:
                        rows.append(_measure(workers, cell, mode, shape, n, args))
                        print(_row_line(rows[-1]), flush=True)
                        output.write_json(json_path, meta, rows, complete=False)
        meta["duration_s"] = time.time() - started
        meta["loadavg_end"] = machine.loadavg()
        meta["steal"] = machine.steal_fraction(ticks_start, machine.cpu_ticks())
        output.write_json(json_path, meta, rows, complete=True)
        line = report.steal_line(meta["steal"], rows)
        if line:
            print(line)
        met = sum(r["target"] == "met" for r in rows)
        print(f"targets (x torch.nn >= {SPEEDUP_TARGET:g}, >= {SPEEDUP_TARGET_B1:g} at B = 1): {met} met, "
              f"{sum(r['target'] == 'missed' for r in rows)} missed, of {len(rows)} rows")
        print(f"wrote {json_path}")
        return 0
    finally:
        for w in workers.values():
            w.close()


def _measure(workers, cell, mode, shape, n, args):
    T, B, I, H = shape
    row = dict(cell=cell, mode=mode, T=T, B=B, I=I, H=H, threads=n, dtype=args.dtype)
    task = dict(cell=cell, mode=mode, shape=shape, dtype=args.dtype, seed=args.seed, threads=n)
    turns = [(name, w) for name, w in workers.items() if not w.call("prepare", **task)]
    ticks = machine.cpu_ticks()
    times, row["reps"], _, _ = measure_row(turns, T, args.reps, args.budget)
    row["steal"] = machine.steal_fraction(ticks, machine.cpu_ticks())
    for name, _ in TORCH_MODULE_CONTENDERS:
        row[name] = median(times[name]) if name in times else None
    tn, di, fn = row["torch.nn"], row["rnnkern.torch"], row["functional"]
    row["x_torch_nn"] = tn / di if tn and di else None
    row["overhead"] = di / fn - 1 if di and fn else None
    want = SPEEDUP_TARGET_B1 if B == 1 else SPEEDUP_TARGET
    row["target"] = "unknown" if row["x_torch_nn"] is None else "met" if row["x_torch_nn"] >= want else "missed"
    row["loadavg"] = machine.loadavg()
    return row
