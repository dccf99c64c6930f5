"""How the package was built and installed (rnnkern.buildinfo, `python -m rnnkern info`): the
compiler, the flags, and the OpenMP runtime the kernels run on, which threadpoolctl must see."""
import os
import subprocess
import sys

import pytest

import rnnkern
from rnnkern import buildinfo


def test_build_info_names_compiler_flags_and_runtime():
    b = buildinfo.build_info()
    assert b["compiler"].split()[0] in ("GNU", "Clang", "AppleClang", "MSVC", "IntelLLVM"), b["compiler"]
    assert "-ffp-contract=off" in b["flags"] and "-march=native" not in b["flags"]
    assert list(b["isa_flags"]) == list(rnnkern.ISAS)
    assert b["openmp_flags"] and b["openmp_version"]
    assert b["install"] in ("wheel", "source") and b["openmp_bundled"] == (b["install"] == "wheel")
    assert os.path.isfile(b["openmp_runtime"]), b["openmp_runtime"]
    assert "omp" in os.path.basename(b["openmp_runtime"]).lower()


def test_bundled_runtime_lies_beside_the_package():
    b = buildinfo.build_info()
    if not b["openmp_bundled"]:
        pytest.skip("a source build: the system's OpenMP runtime")
    site = os.path.dirname(os.path.dirname(os.path.abspath(rnnkern._ext.__file__)))
    assert os.path.commonpath([site, os.path.abspath(b["openmp_runtime"])]) == site
    assert b["wheel_tags"] and not any("-linux_" in t for t in b["wheel_tags"])


def test_threadpoolctl_sees_the_runtime_the_kernels_use():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    paths = [os.path.realpath(i["filepath"]) for i in threadpoolctl.threadpool_info()
             if i["user_api"] == "openmp"]
    assert os.path.realpath(rnnkern._ext.openmp_runtime_path()) in paths, paths


def test_info_prints_how_it_was_built(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rnnkern", "info"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    b = buildinfo.build_info()
    assert f"compiler  {b['compiler']}" in out.stdout
    assert f"OpenMP    {b['openmp_runtime']}" in out.stdout
    assert ("install   wheel" if b["install"] == "wheel" else "install   built from source") in out.stdout


def test_info_into_a_pipe_closed_early_ends_quietly(tmp_path):
    # as under `python -m rnnkern info | head -1`: the reader leaves after the first line
    proc = subprocess.Popen([sys.executable, "-m", "rnnkern", "info"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, err
    assert first.startswith(b"rnnkern ")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
