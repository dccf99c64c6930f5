"""The hf demo's core at a small size with fixed seeds: Hessian-free optimisation solves the adding
problem where momentum, with the same budget of sequence passes, does not."""
import numpy as np
import pytest

from rnnkern.__main__ import main
from rnnkern.train.demos import hf


def quiet(*args, **kwargs):
    pass


def test_hf_solves_the_adding_problem_where_momentum_from_default_init_does_not():
    curves = hf.compare(20, 0, hf.SETTINGS[20])
    r = hf.summary(curves)
    budget = hf.SETTINGS[20]["budget"]
    assert r["HF"]["solved"] and r["HF"]["mse"] < hf.SOLVED and r["HF"]["passes"] <= budget + 20_000
    # momentum spent the whole budget and is still near the trivial answer's error (1/6)
    assert not r["momentum"]["solved"] and r["momentum"]["mse"] > 0.1
    assert r["momentum"]["passes"] == budget
    # HF's test error came down from the baseline: it learned, it did not start solved
    assert curves["HF"][0][1] > 0.1


def test_hf_demo_reports_success_rates(capsys):
    r = hf.run(seed=0, quick=True, plot=False, log=quiet)
    assert r["rates"]["HF@20"] == 1.0 and r["rates"]["momentum@20"] == 0.0
    assert set(r["results"]) == {f"{m}@20/0" for m in hf.METHODS}
    assert main(["demo", "hf", "--quick", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "success rate over seeds" in out and "HF" in out


def test_hf_demo_saves_its_learning_curves_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    r = hf.run(seed=0, quick=True, out=str(tmp_path), log=quiet)
    png = tmp_path / "hf.png"
    assert r["figure"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_budget_is_counted_the_same_way_for_every_method():
    rng = np.random.default_rng(0)
    test = hf.problem(50, 10, rng)
    net = hf.make_net("momentum", 4, rng)
    curve = hf.train_momentum(net, 10, rng, test, budget=2_000, batch=10)
    assert curve[-1][0] == 2_000  # 100 steps x 10 sequences x (forward + backward)
