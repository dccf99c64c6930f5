"""The lecture's demos at small size with fixed seeds, asserting what each one claims; the command
line; the figures; and the README's training example, executed as written."""
import pathlib
import re
import sys

import numpy as np
import pytest

import rnnkern
from rnnkern.__main__ import main
from rnnkern.train import demos
from rnnkern.train.demos import _common, binary_addition, esn, gradients, memory, next_step

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def quiet(*args, **kwargs):
    pass


def test_binary_addition_learns_the_automaton_and_generalises_in_length():
    r = binary_addition.run(seed=0, quick=True, plot=False, log=quiet)
    assert r["train"]["learned"]
    assert r["rnn_accuracy"][32] == 1.0 and r["rnn_accuracy"][64] == 1.0
    # the feed-forward net never saw a digit beyond bit 8: it cannot add longer numbers
    assert r["feedforward_accuracy"][16] == 0.0 and r["feedforward_accuracy"][64] == 0.0
    auto = r["automaton"]
    assert auto["consistent"] and 4 <= r["patterns"] <= 8
    assert sorted(set(auto["meaning"])) == binary_addition.LECTURE_STATES
    # from the start state, column (1, 1) goes to a carry state and prints 0, as in slide 20
    nxt, bit, _ = auto["table"][(-1, (1, 1))]
    assert auto["meaning"][nxt] == (1, 0) and bit == 0


def test_automaton_readout_on_the_lecture_solution():
    # a hand-built net with the 4 patterns "count of ones seen >= 1, >= 2, >= 3" reads out as the
    # lecture's automaton, one pattern per state
    net = binary_addition.make_net(np.random.default_rng(0))
    w = 20.0
    rec = net.recurrent
    # column digits are -1/+1: (a + 1) / 2 is the 0/1 digit; h2 (count >= 2) is the carry
    rec.weight_ih_l0[...] = w / 2
    rec.weight_hh_l0[...] = 0
    rec.weight_hh_l0[:, 1] = w
    rec.bias_ih_l0[...] = w * np.array([1 - 0.5, 1 - 1.5, 1 - 2.5])
    rec.bias_hh_l0[...] = 0
    net.readout.weight[...] = [[w, -w, w]]
    net.readout.bias[...] = -w / 2
    auto = binary_addition.read_automaton(net, np.random.default_rng(1))
    assert auto["matches"] and len(auto["centres"]) == 4
    assert "IS the lecture's automaton" in binary_addition.verdict(auto)
    lines = binary_addition.format_automaton(auto)
    assert len(lines) == 2 + 5 and "[carry/1]" in lines[-1]


def test_gradients_vanish_explode_and_are_kept_by_open_lstm_gates():
    r = gradients.run(seed=0, plot=False, log=quiet)
    small, large, lstm, open_lstm = (v["factor"] for v in r["rates"].values())  # in the report's order
    assert small < 0.6 and large > 1.1 and lstm < 0.8 and 0.95 < open_lstm < 1.05
    assert r["linear_error"] < 1e-12


def test_memory_lstm_beats_rnn_and_the_baseline():
    r = memory.run(seed=0, quick=True, plot=False, log=quiet)["results"]
    assert r["LSTM@20"] < 0.25 * memory.BASELINE_MSE
    assert r["LSTM@20"] < 0.2 * r["RNN@20"]


def test_esn_beats_a_stated_nrmse_and_bptt_in_a_short_budget():
    r = esn.run(seed=0, quick=True, plot=False, log=quiet)
    assert r["esn"] < 0.05
    assert r["persistence"] > 1.0
    assert all(r["esn"] < v for v in r["bptt"].values())


def test_next_step_lstm_remembers_what_delay_taps_cannot_see():
    r = next_step.run(seed=0, quick=True, plot=False, log=quiet)["results"]
    lstm, taps = r["LSTM (24 cells)"], r["delay taps (3 symbols, 24 hidden)"]
    assert lstm["strings"] > 0.5 and lstm["long_range"] > 0.9
    assert taps["strings"] == 0.0 and taps["long_range"] == 0.0 and taps["steps"] > 0.85


def test_delay_taps_window():
    x = np.arange(4, dtype=float).reshape(4, 1, 1) + 1
    taps = next_step.delay_taps(x, window=3)
    np.testing.assert_array_equal(taps[:, 0], [[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]])


def test_command_line_runs_a_demo_and_info_still_works(capsys):
    assert main(["demo", "gradients", "--no-plot", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "seed 1" in out and "per step" in out and "figure" not in out
    assert main(["info"]) == 0
    assert "self-check passed" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["demo", "no-such-demo"])
    assert set(demos.DEMOS) == {"binary-addition", "gradients", "memory", "esn", "next-step", "hf"}


def test_demos_run_on_one_thread_and_restore_the_count(threads):
    rnnkern.set_num_threads(2)
    seen = []
    _common.one_thread(lambda: seen.append(rnnkern.get_num_threads()))()
    assert seen == [1] and rnnkern.get_num_threads() == 2


def test_no_matplotlib_means_no_figure_and_a_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    lines = []
    r = gradients.run(seed=0, plot=True, out=str(tmp_path), log=lines.append)
    assert r["figure"] is None and not list(tmp_path.iterdir())
    assert any("matplotlib is not installed" in line for line in lines)


def test_figure_is_saved_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    r = gradients.run(seed=0, plot=True, out=str(tmp_path), log=quiet)
    assert r["figure"] == str(tmp_path / "gradients.png")
    assert (tmp_path / "gradients.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_training_example_runs_and_learns(threads, capsys):
    rnnkern.set_num_threads(1)  # small net: see rnnkern.train.demos._common.one_thread
    text = README.read_text()
    section = text[text.index("## Training a network"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    y = namespace["y"]
    assert namespace["loss"] < 0.25 * 0.5 * np.var(y)  # a quarter of the error of predicting the mean
    assert "epoch 9" in capsys.readouterr().out
