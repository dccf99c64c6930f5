"""ISA dispatch (docs/architecture.md, "Kernel slots and tables"; csrc/dispatch.c): what isa_info reports, set_isa, and the RNNKERN_ISA
override read at import (checked in fresh interpreters, outside the source tree)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import rnnkern
from rnnkern import reference as ref

from conftest import assert_close

PRINT_ACTIVE = "import rnnkern; i = rnnkern.isa_info(); print(i['active'], i['forced'])"


def _python(code, tmp_path, isa=None):
    """Runs `code` in a fresh interpreter with RNNKERN_ISA=isa (unset for None) -> CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k != "RNNKERN_ISA"}
    if isa is not None:
        env["RNNKERN_ISA"] = isa
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)


def _x86():
    import platform
    return platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


def test_isa_info_fields():
    info = rnnkern.isa_info()
    assert set(info) == {"active", "best", "available", "compiled", "forced"}
    assert info["compiled"] == list(rnnkern.ISAS)
    assert info["compiled"][0] == "scalar" and len(set(info["compiled"])) == len(info["compiled"])
    assert {"scalar", "avx2", "avx512"} <= set(info["compiled"]) or not _x86()
    assert info["available"] == rnnkern.available_isas()
    assert info["available"][0] == "scalar"
    # slowest first, in the compiled order, and the best is the last of them
    assert info["available"] == [n for n in info["compiled"] if n in info["available"]]
    assert info["best"] == info["available"][-1]
    assert info["active"] in info["available"]
    assert info["forced"] == (os.environ.get("RNNKERN_ISA") or None)
    assert all(isinstance(v, str) for v in (info["active"], info["best"]))


def test_isa_info_returns_fresh_lists():
    info = rnnkern.isa_info()
    info["available"].append("bogus")
    info["compiled"].clear()
    assert "bogus" not in rnnkern.isa_info()["available"]
    assert rnnkern.isa_info()["compiled"] == list(rnnkern.ISAS)


def test_set_isa_switches_active(isa):
    info = rnnkern.isa_info()
    assert info["active"] == isa
    best = info["best"]
    for name in rnnkern.available_isas():
        rnnkern.set_isa(name)
        assert rnnkern.isa_info()["active"] == name
        assert rnnkern.isa_info()["best"] == best
    rnnkern.set_isa(isa)
    assert rnnkern.isa_info()["active"] == isa


def test_every_isa_computes_the_same_function(isa, dtype):
    """A small LSTM and GEMM on each path agree with the reference: forcing a path keeps it working."""
    rng = np.random.default_rng(0)
    x, w_ih, w_hh = (rng.standard_normal(s).astype(dtype) * 0.5 for s in [(3, 5, 7), (36, 7), (36, 9)])
    y, hT, cT, ws = rnnkern.lstm_forward(x, w_ih, w_hh)
    ry, rhT, rcT, _ = ref.lstm_forward(x, w_ih, w_hh)
    assert_close(y, ry, dtype, "y")
    assert_close(cT, rcT, dtype, "cT")
    a, b = rng.standard_normal((33, 17)).astype(dtype), rng.standard_normal((17, 19)).astype(dtype)
    assert_close(rnnkern.gemm(a, b), a.astype(np.float64) @ b, dtype, "gemm")


@pytest.mark.parametrize("isa", ["scalar"] + [n for n in rnnkern.available_isas() if n != "scalar"])
def test_env_forces_available_isa(isa, tmp_path):
    r = _python(PRINT_ACTIVE, tmp_path, isa)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [isa, isa]


def test_env_unset_or_empty_picks_best(tmp_path):
    best = rnnkern.isa_info()["best"]
    for isa in (None, ""):
        r = _python(PRINT_ACTIVE, tmp_path, isa)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == [best, "None"], isa


def test_env_then_set_isa(tmp_path):
    """RNNKERN_ISA picks the path at import; set_isa may still change it afterwards."""
    best = rnnkern.isa_info()["best"]
    r = _python(f"import rnnkern; rnnkern.set_isa({best!r}); print(rnnkern.isa_info()['active'])",
                tmp_path, "scalar")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == best


def test_env_bogus_fails_listing_valid_names(tmp_path):
    r = _python(PRINT_ACTIVE, tmp_path, "bogus")
    assert r.returncode != 0
    assert r.stdout == ""
    assert "ImportError" in r.stderr
    assert "RNNKERN_ISA='bogus'" in r.stderr
    for name in rnnkern.ISAS:
        assert name in r.stderr.splitlines()[-1], name


def test_env_unsupported_isa_fails_naming_what_the_cpu_has(tmp_path):
    missing = [n for n in rnnkern.ISAS if n not in rnnkern.available_isas()]
    if not missing:
        pytest.skip("this CPU runs every compiled ISA")
    r = _python(PRINT_ACTIVE, tmp_path, missing[-1])
    assert r.returncode != 0
    assert r.stdout == ""
    last = r.stderr.splitlines()[-1]
    assert "ImportError" in last and f"RNNKERN_ISA={missing[-1]!r}" in last
    assert "not supported" in last
    assert last.endswith("has: " + ", ".join(rnnkern.available_isas()))


def test_subprocess_imports_the_installed_package(tmp_path):
    """The subprocesses above test the built extension, not a stray source tree."""
    r = _python("import rnnkern; print(rnnkern._ext.__file__)", tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.realpath(r.stdout.strip()) == os.path.realpath(rnnkern._ext.__file__)


VREG = {"scalar": "lane", "avx2": "ymm", "avx512": "zmm"}


@pytest.mark.parametrize("isa", rnnkern.ISAS)
def test_kernel_info_names_every_slot_of_every_path(isa):
    rows = rnnkern.kernel_info(isa)
    assert [(s, d) for s, d, _, _ in rows] == [
        (s, d) for d in ("f32", "f64")
        for s in ("gemm", "panel", "epilogues", "act_row", "peak", "interleave")]
    for slot, dtype, instance, impl in rows:
        if slot == "interleave":  # the avx512 path packs with the avx2 transposes
            own = "avx2" if isa == "avx512" else isa
            assert instance == f"rk_interleave_{dtype}_{own}", instance
            continue
        assert instance.startswith("rk_") and f"{dtype}_{isa}" in instance, instance
        assert VREG[isa] in impl, (slot, impl)
    panel = {d: impl for s, d, _, impl in rows if s == "panel"}
    # wider registers, more rows per tile: never the one-row loop on a vector path
    assert "tiles 6 rows x 4 zmm" in panel["f32"] if isa == "avx512" else True
    assert "tiles 3 rows x 4 ymm" in panel["f32"] if isa == "avx2" else True


def test_kernel_info_defaults_to_the_active_path_and_checks_its_argument():
    assert rnnkern.kernel_info() == rnnkern.kernel_info(rnnkern.isa_info()["active"])
    with pytest.raises(ValueError, match="isa: expected one of"):
        rnnkern.kernel_info("neon")


def test_info_lists_the_kernels(tmp_path):
    out = _python("import sys; from rnnkern.__main__ import main; sys.exit(main(['info']))", tmp_path)
    assert out.returncode == 0, out.stderr
    active = rnnkern.isa_info()["best"]  # the child's: it runs with RNNKERN_ISA unset, whatever this process has
    assert f"rk_panel_gemm_f32_{active}" in out.stdout and f"rk_gemm_ukr_f64_{active}" in out.stdout
