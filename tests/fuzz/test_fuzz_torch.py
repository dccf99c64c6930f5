"""The place of the torch drop-in in the hostile-input corpus. rnnkern.torch does not exist yet;
when it does, its nn.LSTM / GRU / RNN get the same cases as tests/fuzz/test_fuzz_nn.py here, with
torch tensors (strided, non-contiguous, other dtypes and devices, requires_grad) checked against
torch.nn's own modules."""
import importlib.util

import pytest

pytestmark = pytest.mark.fuzz


@pytest.mark.skipif(importlib.util.find_spec("rnnkern.torch") is None,
                    reason="rnnkern.torch (the torch drop-in) does not exist yet")
def test_torch_dropin_corpus_not_written():
    pytest.fail("rnnkern.torch exists: write its corpus here (see this file's docstring)")
