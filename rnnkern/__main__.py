"""Command line: `python -m rnnkern info`."""
import argparse
import platform
import sys

import numpy as np

import rnnkern


def info(args):
    isa = rnnkern.isa_info()
    print(f"rnnkern {rnnkern.__version__}  (python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()})")
    print(f"ISA       active: {isa['active']}   best: {isa['best']}   available: "
          f"{', '.join(isa['available'])}   compiled: {', '.join(isa['compiled'])}"
          + (f"   forced by RNNKERN_ISA={isa['forced']}" if isa["forced"] else ""))
    print(f"threads   {rnnkern.get_num_threads()}")
    print("self-check (float64, forward + backward vs rnnkern.reference, max relative error):")
    ok = True
    for name, err, passed in rnnkern.selfcheck.self_check():
        ok &= passed
        print(f"  {name:14s} {err:9.2e}  {'pass' if passed else 'FAIL'}")
    print("self-check passed" if ok else "self-check FAILED")
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rnnkern", description=rnnkern.__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, SIMD paths, threads and a self-check against the reference")
    args = parser.parse_args(argv)
    return {"info": info}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
