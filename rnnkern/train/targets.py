"""The lecture's teaching signals (slides 2 and 17) as masks and target sequences.

Masks are float arrays that broadcast against a (T, B, K) prediction and multiply together:
    final_step_mask(T, B) * unit_mask(K, [0, 2])      # final step, output units 0 and 2 only
Pass them to any loss in rnnkern.train.losses.
"""
import numpy as np


def _steps_before_end(T, B, lengths):
    # -> (T, B) int: how many valid steps come after step t in sequence b (0 on its last step;
    # negative past its end)
    ends = np.full(B, T) if lengths is None else np.asarray(lengths)
    if ends.shape != (B,):
        raise ValueError(f"lengths: expected shape (B,) = ({B},), got {ends.shape}")
    return ends[None, :] - 1 - np.arange(T)[:, None]


def final_step_mask(T, B, lengths=None, dtype=np.float64):
    """(T, B, 1): 1 on each sequence's last valid step — "desired final activities"."""
    return last_steps_mask(T, B, 1, lengths, dtype)


def last_steps_mask(T, B, k, lengths=None, dtype=np.float64):
    """(T, B, 1): 1 on each sequence's last k valid steps — "the last few steps" (attractors)."""
    if k < 0:
        raise ValueError(f"k: expected a count >= 0, got {k}")
    after = _steps_before_end(T, B, lengths)
    return ((after >= 0) & (after < k)).astype(dtype)[:, :, None]


def valid_steps_mask(T, B, lengths=None, dtype=np.float64):
    """(T, B, 1): 1 on every valid step (t < lengths[b])."""
    return (_steps_before_end(T, B, lengths) >= 0).astype(dtype)[:, :, None]


def unit_mask(num_units, units, dtype=np.float64):
    """(num_units,): 1 on the listed output units only — "the desired activity of a subset of the
    units"; the others are left free (hidden)."""
    m = np.zeros(num_units, dtype)
    m[list(units)] = 1
    return m


def next_step(sequence, lengths=None):
    """Prediction of the next term (slide 2): the target sequence is the input advanced by one step.

    sequence (T, B, ...) -> (inputs (T-1, B, ...), targets (T-1, B, ...), lengths - 1 or None):
    at step t the input is term t and the target term t+1."""
    seq = np.asarray(sequence)
    if seq.shape[0] < 2:
        raise ValueError(f"sequence: need at least 2 steps to predict a next one, got {seq.shape[0]}")
    new_lengths = None if lengths is None else np.maximum(np.asarray(lengths) - 1, 0)
    return seq[:-1], seq[1:], new_lengths


def delayed(targets, delay, fill=0):
    """targets (T, B, ...) -> (T + delay, B, ...): the same targets `delay` steps later, so that the
    output for the input at step t is due at step t + delay (the first `delay` steps get `fill`)."""
    targets = np.asarray(targets)
    pad = np.full((delay,) + targets.shape[1:], fill, targets.dtype)
    return np.concatenate([pad, targets], axis=0)
