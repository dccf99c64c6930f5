"""`python -m rnnkern bench`: rnnkern against torch.nn and rnnkern.reference, each contender in its own
process with the environment its users would give it, taking turns (design.md, Benchmarks).

  cli.py        options and the loop over the rows        problems.py   cells, shapes, FLOPs, inputs
  lineup.py     which contender processes run a row       contenders.py what each contender times
  worker.py     a contender's process and its protocol    env.py        the environment of each process
  timing.py     turn-taking, budgets, medians             machine.py    CPU facts and the FMA peak
  targets.py    the targets and each row's verdict        report.py     header, table, notes
  output.py     JSON and the PNG chart
"""
from .cli import main, parser
from .contenders import CONTENDERS, ContenderThreads, numpy_call, torch_call, torch_module
from .contenders import _import_torch  # noqa: F401  (benchmarks/bench_gemm.py imports it from here)
from .env import clean_env, contender_env
from .problems import CELLS, DEFAULT_SHAPES, MODES, QUICK_SHAPES, flops, make_problem
from .targets import evaluate_target

__all__ = ["main", "parser", "CONTENDERS", "ContenderThreads", "numpy_call", "torch_call", "torch_module",
           "clean_env", "contender_env", "CELLS", "DEFAULT_SHAPES", "MODES", "QUICK_SHAPES", "flops",
           "make_problem", "evaluate_target"]
