"""`torch.autograd.gradcheck(F.apply, (x,))` compares and changes nothing: F's backward is still checked, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

GRADCHECK = """import torch as t
from torch.autograd import Function

class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return t.log(1 + t.exp(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * RULE

probe = t.randn(4, dtype=t.double, requires_grad=True)
t.autograd.gradcheck(Softplus.apply, (probe,))
"""


@pytest.mark.parametrize("rule, code", [("t.sigmoid(x)", 0), ("t.exp(x)", 1)])
def test_a_rule_handed_to_gradcheck_is_still_checked(tmp_path: Path, rule: str, code: int) -> None:
    found, output = check(tmp_path, "rule.py", GRADCHECK.replace("RULE", rule))
    assert found == code, output
    assert f"line 11 (custom backward): ∂/∂x formula Softplus.backward: {'proven' if code == 0 else 'wrong'}" in output, output
