"""The cell registry (rnnkern/cells.py) against what the kernels and the oracle say independently."""
import numpy as np
import pytest

import rnnkern
from rnnkern import cells, nn, reference
from rnnkern.train import losses


@pytest.mark.parametrize("cell", list(cells.CELLS.values()), ids=lambda c: c.name)
def test_cell_matches_the_reference_and_the_kernels(cell):
    rng = np.random.default_rng(0)
    T, B, I, H = 3, 2, 4, 5
    x = rng.standard_normal((T, B, I))
    w_ih, w_hh = rng.standard_normal((cell.G * H, I)), rng.standard_normal((cell.G * H, H))
    kw = {"c0": np.zeros((B, H))} if cell.has_cell else {}
    out = getattr(reference, f"{cell.name}_forward")(x, w_ih, w_hh, **kw)
    # the oracle takes these G*H rows and returns cT exactly when the registry says there is a c
    assert len(out) == 3 + cell.has_cell
    with pytest.raises(ValueError, match=f"{cell.G}"):
        getattr(rnnkern, f"{cell.name}_forward")(x, w_ih[:-H] if cell.G > 1 else w_ih[:-1], w_hh[:-H])
    assert rnnkern._ext.workspace_size(cell.name, T, B, H) == rnnkern._ext.workspace_size(cell, T, B, H) > 0


def test_variants_and_unknown_names():
    assert [f"{c.name}-{a}" for c, a in cells.variants()] == \
        ["lstm-tanh", "gru-tanh", "rnn-tanh", "rnn-relu", "rnn-logistic"]
    assert cells.get(cells.GRU) is cells.GRU
    with pytest.raises(ValueError, match="cell: expected one of 'lstm', 'gru', 'rnn', got 'elman'"):
        cells.get("elman")


def test_one_stable_logistic_serves_nn_and_the_losses():
    a = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4])
    with np.errstate(over="raise"):
        y = cells.logistic(a)
    np.testing.assert_allclose(y, reference._sigmoid(a), rtol=1e-15, atol=0)
    assert losses.sigmoid is cells.logistic
    np.testing.assert_array_equal(nn.Activation("logistic").forward(a), y)
