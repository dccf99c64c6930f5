"""The README's "Serving" and "From Cython" examples, run as written: the second builds a tiny
Cython extension against the installed package in a temporary directory, cimports
rnnkern.cython_api, runs an LSTM forward under `with nogil` and matches the NumPy API."""
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import rnnkern

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def example(name):
    """The code block between <!-- example: NAME --> and <!-- example: end --> in the README."""
    m = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```\n<!-- example: end -->",
                  README.read_text(), re.S)
    assert m, f"README has no example {name!r}"
    return m.group(1)


def test_serving_example():
    exec(compile(example("serving"), "README.md:serving", "exec"), {})


def test_cython_api_exports_every_function():
    from rnnkern import cython_api
    names = set(cython_api.__pyx_capi__)
    for cell in ("lstm", "gru", "rnn"):
        for fn in ("forward", "backward", "pack", "forward_packed", "step"):
            assert {f"{cell}_{fn}_f32", f"{cell}_{fn}_f64"} <= names
    assert {"gemm_f32", "gemm_f64", "api_version", "api_table", "packed_size",
            "workspace_size"} <= names
    assert cython_api.VERSION >= 1
    inc = pathlib.Path(rnnkern.get_include())
    assert (inc / "rnnkern.h").is_file() and (inc / "cython_api.pxd").is_file()


def test_cython_example_builds_and_matches(tmp_path):
    pytest.importorskip("Cython", reason="the Cython example needs Cython (pip install cython)")
    pytest.importorskip("setuptools", reason="the Cython example needs setuptools")
    (tmp_path / "lstm_nogil.pyx").write_text(example("cython"))
    (tmp_path / "setup.py").write_text(example("cython-setup"))
    build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    sys.path.insert(0, str(tmp_path))
    try:
        import lstm_nogil
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(0)
    T, B, I, H = 6, 3, 5, 20
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    w_ih = rng.uniform(-0.3, 0.3, (4 * H, I)).astype(np.float32)
    w_hh = rng.uniform(-0.3, 0.3, (4 * H, H)).astype(np.float32)
    got = lstm_nogil.lstm_forward(x, w_ih, w_hh)
    expect = rnnkern.lstm_forward(x, w_ih, w_hh, training=False)[:3]
    for a, b in zip(got, expect):
        assert np.array_equal(a, b)
