"""Shared fixtures: every available ISA, both dtypes, and the one tolerance table of the suite."""
import os

# libgomp's default spin-then-sleep makes each 2-thread call wait milliseconds on a busy machine;
# it is read when the runtime loads, so set it before rnnkern is imported. Timing only.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import rnnkern

# Kernels vs reference.py, as (rtol, atol) on values of order 1. float64 differs from the reference
# only by summation order; float32 also by its own float arithmetic and activations.
TOLERANCE = {
    np.dtype(np.float64): (1e-12, 1e-12),
    np.dtype(np.float32): (1e-5, 1e-5),
}


def assert_close(actual, expected, dtype, what=""):
    rtol, atol = TOLERANCE[np.dtype(dtype)]
    # atol scales with the array's magnitude: gradients summed over many steps grow with T*B
    scale = max(1.0, float(np.max(np.abs(expected)))) if np.size(expected) else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=what)


@pytest.fixture(params=rnnkern.available_isas())
def isa(request):
    """Runs the test once per SIMD path this CPU supports, restoring the previous path after."""
    before = rnnkern.isa_info()["active"]
    rnnkern.set_isa(request.param)
    yield request.param
    rnnkern.set_isa(before)


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def threads():
    """Restores the thread count after a test that changes it."""
    before = rnnkern.get_num_threads()
    yield
    rnnkern.set_num_threads(before)


# ---- the hostile-input corpus (tests/fuzz): its marker, its hypothesis profiles, its count ----
# Registered here, not in tests/fuzz, because `--hypothesis-profile` is read before that folder's
# files load. A plain `pytest tests` runs a few cases per corpus test (tests/fuzz/hostile.py);
# "ci" is .ci/run's budget (2,400 cases); "corpus" runs >= 10,000 cases.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", max_examples=300, deadline=None)
_hypothesis_settings.register_profile("corpus", max_examples=1500, deadline=None)


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: the hostile-input corpus (tests/fuzz; -m fuzz)")
    config.addinivalue_line("markers", "large: needs many GiB of memory or minutes (RNNKERN_TEST_LARGE=1)")


def pytest_terminal_summary(terminalreporter):
    import sys
    tally = getattr(sys.modules.get("hostile"), "TALLY", None)
    if tally and tally["cases"]:
        terminalreporter.write_line(f"hostile-input corpus: {tally['cases']} cases, {tally['refused']} of "
                                    f"them refused inputs (TypeError/ValueError naming the argument)")
