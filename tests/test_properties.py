"""Random shapes, lengths and teaching signals (hypothesis) against the reference, on every ISA."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import rnnkern
from test_cells import CELLS, check_against_reference, make_problem

problems = st.fixed_dictionaries(dict(
    cell=st.sampled_from(CELLS), T=st.integers(0, 9), B=st.integers(1, 6), I=st.integers(1, 40),
    H=st.integers(1, 70), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
    use_lengths=st.booleans(), signal=st.sampled_from(["all", "last", "units"])))


@pytest.mark.parametrize("isa_name", rnnkern.available_isas())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prob=problems)
def test_random_problems_match_reference(isa_name, prob):
    rnnkern.set_isa(isa_name)
    try:
        T, B, dtype = prob["T"], prob["B"], np.dtype(prob["dtype"])
        p, g = make_problem(prob["cell"], T, B, prob["I"], prob["H"], dtype, seed=prob["seed"])
        rng = np.random.default_rng(prob["seed"])
        lengths = rng.integers(0, T + 1, B) if prob["use_lengths"] else None
        if prob["signal"] == "last" and T:
            g["dy"][:-1] = 0
        elif prob["signal"] == "units":
            g["dy"][..., rng.random(prob["H"]) < 0.5] = 0
        check_against_reference(prob["cell"], p, g, dtype, lengths)
    finally:
        rnnkern.set_isa(rnnkern.isa_info()["best"])
