"""Command line: `python -m rnnkern info`, `python -m rnnkern demo NAME` and `python -m rnnkern bench`."""
import argparse
import inspect
import os
import platform
import sys

import numpy as np

import rnnkern
from rnnkern import _ranks


def info(args):
    isa = rnnkern.isa_info()
    print(f"rnnkern {rnnkern.__version__}  (python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()})")
    print(f"ISA       active: {isa['active']}   best: {isa['best']}   available: "
          f"{', '.join(isa['available'])}   compiled: {', '.join(isa['compiled'])}"
          + (f"   forced by RNNKERN_ISA={isa['forced']}" if isa["forced"] else ""))
    print(f"threads   {rnnkern.get_num_threads()}")
    print(f"ranks     {_ranks.describe(_ranks.rank_share())}")
    b = rnnkern.buildinfo.build_info()
    tags = ", ".join(b["wheel_tags"]) or "no wheel metadata"
    print(f"install   {'wheel' if b['install'] == 'wheel' else 'built from source'} ({tags})")
    print(f"compiler  {b['compiler']} for {b['target']}, {b['build_type']}: {b['flags']}")
    for name, flags in b["isa_flags"].items():
        print(f"  {name:8s}{flags or '(baseline)'}")
    print(f"OpenMP    {b['openmp_runtime']}"
          f" ({'bundled with the wheel' if b['openmp_bundled'] else 'the system runtime'});"
          f" built with {b['openmp_flags']}, OpenMP {b['openmp_version']}")
    print(f"kernels   what fills each slot of the active path ({isa['active']}):")
    for slot, dtype, instance, impl in rnnkern.kernel_info():
        print(f"  {slot:10s} {dtype:4s} {isa['active']:7s} {instance:30s} {impl}")
    print("self-check (float64, forward + backward vs rnnkern.reference, max relative error):")
    ok = True
    for name, err, passed in rnnkern.selfcheck.self_check():
        ok &= passed
        print(f"  {name:14s} {err:9.2e}  {'pass' if passed else 'FAIL'}")
    print("self-check passed" if ok else "self-check FAILED")
    return 0 if ok else 1


def demo(args):
    from rnnkern.train import demos

    names = list(demos.DEMOS) if args.name == "all" else [args.name]
    for i, name in enumerate(names):
        if i:
            print()
        study = {"full": True} if args.full and "full" in inspect.signature(demos.get(name).run).parameters else {}
        demos.run(name, seed=args.seed, quick=args.quick, plot=not args.no_plot, out=args.out, **study)
    return 0


def main(argv=None):
    from rnnkern.train.demos import DEMOS

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the suite parses its own options
        from rnnkern import bench
        return bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m rnnkern", description=rnnkern.__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, SIMD paths, threads and a self-check against the reference")
    sub.add_parser("bench", add_help=False,
                   help="time every cell against torch and the reference (bench --help for options)")
    p = sub.add_parser("demo", help="run one of the lecture's demos",
                       description="The lecture's demos (Hinton, Neural Networks for Machine Learning, "
                                   "lecture 7):\n" + "\n".join(f"  {n:16s} {d}" for n, (_, d) in DEMOS.items()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=list(DEMOS) + ["all"], metavar="NAME",
                   help=f"one of {', '.join(DEMOS)}, or all")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true", help="a smaller, faster run")
    p.add_argument("--full", action="store_true", help="the longer study, where a demo has one (hf: T = 50, 100, 200)")
    p.add_argument("--no-plot", action="store_true", help="do not save a figure")
    p.add_argument("--out", default=".", metavar="DIR", help="where figures go (default: .)")
    args = parser.parse_args(argv)
    return {"info": info, "demo": demo}[args.command](args)


if __name__ == "__main__":
    try:
        rc = main()
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        sys.exit(rc)
    except BrokenPipeError:  # `python -m rnnkern info | head`: the reader left, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second one at exit
        sys.exit(141)  # 128 + SIGPIPE, as a shell reports a command a closed pipe stopped
