"""Composed operations (activations, losses, softmax, variance, aliases): value and gradient against closed forms in every engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.engines import run_engine
from verifygrad.language.parse import ExprError, parse

X = np.array([-1.5, -0.2, 0.4, 2.5])
P = np.array([0.2, 0.5, 0.9])  # in (0, 1)
Q = np.array([0.3, 0.6, 0.25])
Z = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])  # logits: 2 samples, 3 classes
K = np.array([2.0, 0.0])  # their class indices
sig = lambda x: 1 / (1 + np.exp(-x))
softmax = lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(3)[K.astype(int)]
GELU_C = math.sqrt(2 / math.pi)
gelu_inner = lambda x: GELU_C * (x + 0.044715 * x**3)
huber = lambda d, delta: np.where(np.abs(d) < delta, 0.5 * d**2, delta * (np.abs(d) - delta / 2))
huber_grad = lambda d, delta: np.clip(d, -delta, delta)


def var_grad(x: np.ndarray, correction: float) -> np.ndarray:
    return 2 * (x - x.mean()) / (x.size - correction)


# name: (expression, inputs, closed-form value, closed-form gradient of each input)
CLOSED_FORMS = {
    "square": ("sum(x.square())", {"x": X}, (X**2).sum(), {"x": 2 * X}),
    "reciprocal": ("sum(torch.reciprocal(p))", {"p": P}, (1 / P).sum(), {"p": -1 / P**2}),
    "rsqrt": ("sum(rsqrt(p))", {"p": P}, (P**-0.5).sum(), {"p": -0.5 * P**-1.5}),
    "hypot": ("sum(np.hypot(p, q))", {"p": P, "q": Q}, np.hypot(P, Q).sum(), {"p": P / np.hypot(P, Q), "q": Q / np.hypot(P, Q)}),
    "exp2": ("sum(exp2(x))", {"x": X}, (2**X).sum(), {"x": 2**X * math.log(2)}),
    "log2": ("sum(np.log2(p))", {"p": P}, np.log2(P).sum(), {"p": 1 / (P * math.log(2))}),
    "log10": ("sum(torch.log10(p))", {"p": P}, np.log10(P).sum(), {"p": 1 / (P * math.log(10))}),
    "logaddexp": ("sum(np.logaddexp(p, q))", {"p": P, "q": Q}, np.logaddexp(P, Q).sum(), {"p": sig(P - Q), "q": sig(Q - P)}),
    "deg2rad": ("sum(np.deg2rad(x) ** 2)", {"x": X}, ((X * math.pi / 180) ** 2).sum(), {"x": 2 * X * (math.pi / 180) ** 2}),
    "sinh": ("sum(torch.sinh(x))", {"x": X}, np.sinh(X).sum(), {"x": np.cosh(X)}),
    "cosh": ("sum(cosh(x))", {"x": X}, np.cosh(X).sum(), {"x": np.sinh(X)}),
    "asinh": ("sum(np.arcsinh(x))", {"x": X}, np.arcsinh(X).sum(), {"x": 1 / np.sqrt(X**2 + 1)}),
    "acosh": ("sum(acosh(p + 1))", {"p": P}, np.arccosh(P + 1).sum(), {"p": 1 / np.sqrt((P + 1) ** 2 - 1)}),
    "atanh": ("sum(atanh(p - 0.5))", {"p": P}, np.arctanh(P - 0.5).sum(), {"p": 1 / (1 - (P - 0.5) ** 2)}),
    "silu": ("sum(F.silu(x))", {"x": X}, (X * sig(X)).sum(), {"x": sig(X) * (1 + X * (1 - sig(X)))}),
    "logsigmoid": ("sum(F.logsigmoid(x))", {"x": X}, np.log(sig(X)).sum(), {"x": 1 - sig(X)}),
    "softsign": ("sum(F.softsign(x))", {"x": X}, (X / (1 + abs(X))).sum(), {"x": 1 / (1 + abs(X)) ** 2}),
    "leaky_relu": ("sum(F.leaky_relu(x, 0.2))", {"x": X}, np.where(X > 0, X, 0.2 * X).sum(), {"x": np.where(X > 0, 1, 0.2)}),
    "leaky_relu-default": ("sum(F.leaky_relu(x))", {"x": X}, np.where(X > 0, X, 0.01 * X).sum(), {"x": np.where(X > 0, 1, 0.01)}),
    "elu": ("sum(F.elu(x, alpha=0.5))", {"x": X}, np.where(X > 0, X, 0.5 * np.expm1(X)).sum(), {"x": np.where(X > 0, 1, 0.5 * np.exp(X))}),
    "gelu-tanh": ("sum(F.gelu(x, approximate='tanh'))", {"x": X}, (0.5 * X * (1 + np.tanh(gelu_inner(X)))).sum(),
                  {"x": 0.5 * (1 + np.tanh(gelu_inner(X))) + 0.5 * X * (1 - np.tanh(gelu_inner(X)) ** 2) * GELU_C * (1 + 3 * 0.044715 * X**2)}),
    "hardtanh": ("sum(F.hardtanh(x))", {"x": X}, np.clip(X, -1, 1).sum(), {"x": (abs(X) < 1) * 1.0}),
    "relu6": ("sum(F.relu6(4 * x))", {"x": X}, np.clip(4 * X, 0, 6).sum(), {"x": ((4 * X > 0) & (4 * X < 6)) * 4.0}),
    "clamp": ("sum(torch.clamp(x, -1, 1) * x)", {"x": X}, (np.clip(X, -1, 1) * X).sum(), {"x": np.clip(X, -1, 1) + X * (abs(X) < 1)}),
    "clamp-min": ("sum(x.clamp(min=0) * x)", {"x": X}, (np.maximum(X, 0) * X).sum(), {"x": 2 * np.maximum(X, 0)}),
    "clip-numpy": ("sum(np.clip(x, a_min=-1, a_max=2))", {"x": X}, np.clip(X, -1, 2).sum(), {"x": ((X > -1) & (X < 2)) * 1.0}),
    "softmax": ("sum(F.softmax(z, dim=1) * w)", {"z": Z, "w": Z.T[::-1].T.copy()},
                (softmax(Z) * Z[:, ::-1]).sum(), {"z": softmax(Z) * (Z[:, ::-1] - (softmax(Z) * Z[:, ::-1]).sum(axis=1, keepdims=True)), "w": softmax(Z)}),
    "log_softmax": ("sum(z.log_softmax(-1) * w)", {"z": Z, "w": ONE_HOT}, (np.log(softmax(Z)) * ONE_HOT).sum(), {"z": ONE_HOT - softmax(Z)}),
    "var-torch": ("torch.var(x)", {"x": X}, X.var(ddof=1), {"x": var_grad(X, 1)}),
    "var-numpy": ("np.var(x)", {"x": X}, X.var(), {"x": var_grad(X, 0)}),
    "var-unbiased-false": ("x.var(unbiased=False)", {"x": X}, X.var(), {"x": var_grad(X, 0)}),
    "var-ddof": ("np.var(x, ddof=1)", {"x": X}, X.var(ddof=1), {"x": var_grad(X, 1)}),
    "std-torch": ("torch.std(x)", {"x": X}, X.std(ddof=1), {"x": var_grad(X, 1) / (2 * X.std(ddof=1))}),
    "std-numpy": ("np.std(x)", {"x": X}, X.std(), {"x": var_grad(X, 0) / (2 * X.std())}),
    "var-dim": ("sum(torch.var(z, 1, correction=0))", {"z": Z}, Z.var(axis=1).sum(), {"z": 2 * (Z - Z.mean(axis=1, keepdims=True)) / 3}),
    "mse_loss": ("F.mse_loss(p, q)", {"p": P, "q": Q}, ((P - Q) ** 2).mean(), {"p": 2 * (P - Q) / 3, "q": -2 * (P - Q) / 3}),
    "mse_loss-sum": ("F.mse_loss(p, q, reduction='sum')", {"p": P, "q": Q}, ((P - Q) ** 2).sum(), {"p": 2 * (P - Q), "q": -2 * (P - Q)}),
    "l1_loss": ("F.l1_loss(p, q)", {"p": P, "q": Q}, abs(P - Q).mean(), {"p": np.sign(P - Q) / 3}),
    "huber_loss": ("F.huber_loss(x, 0.1 * x, delta=0.5)", {"x": X},
                   huber(0.9 * X, 0.5).mean(), {"x": 0.9 * huber_grad(0.9 * X, 0.5) / 4}),
    "smooth_l1_loss": ("F.smooth_l1_loss(x, 0.1 * x, beta=2.0, reduction='sum')", {"x": X}, (huber(0.9 * X, 2.0) / 2).sum(),
                       {"x": 0.9 * huber_grad(0.9 * X, 2.0) / 2}),
    "bce_with_logits": ("F.binary_cross_entropy_with_logits(x, y)", {"x": X, "y": np.array([1.0, 0.0, 0.25, 1.0])},
                        (-(np.array([1, 0, 0.25, 1]) * np.log(sig(X)) + (1 - np.array([1, 0, 0.25, 1])) * np.log(1 - sig(X)))).mean(),
                        {"x": (sig(X) - np.array([1, 0, 0.25, 1])) / 4}),
    # weight and pos_weight (MindSpore passes both positionally, torch by keyword): -w (p t log s(x) + (1 - t) log(1 - s(x)))
    "bce_with_logits-weights": ("F.binary_cross_entropy_with_logits(x, y, weight=1.5 * torch.ones(4), pos_weight=3 * torch.ones(4), reduction='sum')",
                                {"x": X, "y": np.array([1.0, 0.0, 0.25, 1.0])},
                                (-1.5 * (3 * np.array([1, 0, 0.25, 1]) * np.log(sig(X)) + np.array([0, 1, 0.75, 0]) * np.log(1 - sig(X)))).sum(),
                                {"x": 1.5 * ((3 * np.array([1, 0, 0.25, 1]) + np.array([0, 1, 0.75, 0])) * sig(X) - 3 * np.array([1, 0, 0.25, 1]))}),
    "bce": ("F.binary_cross_entropy(p, q, reduction='sum')", {"p": P, "q": Q}, (-(Q * np.log(P) + (1 - Q) * np.log(1 - P))).sum(),
            {"p": (P - Q) / (P * (1 - P))}),
    "cross_entropy-indices": ("F.cross_entropy(z, k)", {"z": Z, "k": K}, -(np.log(softmax(Z)) * ONE_HOT).sum() / 2,
                              {"z": (softmax(Z) - ONE_HOT) / 2, "k": np.zeros(2)}),
    "cross_entropy-probabilities": ("F.cross_entropy(z, w, reduction='sum')", {"z": Z, "w": softmax(Z[::-1])},
                                    -(np.log(softmax(Z)) * softmax(Z[::-1])).sum(), {"z": softmax(Z) - softmax(Z[::-1]), "w": -np.log(softmax(Z))}),
    "cross_entropy-none": ("sum(F.cross_entropy(z, k, reduction='none') * v)", {"z": Z, "k": K, "v": np.array([1.0, 3.0])},
                           -(np.log(softmax(Z)) * ONE_HOT).sum(axis=1) @ [1, 3], {"z": (softmax(Z) - ONE_HOT) * [[1], [3]]}),
    "nll_loss": ("F.nll_loss(F.log_softmax(z, dim=1), k)", {"z": Z, "k": K}, -(np.log(softmax(Z)) * ONE_HOT).sum() / 2, {"z": (softmax(Z) - ONE_HOT) / 2}),
    "kl_div": ("F.kl_div(log(p), q, reduction='sum')", {"p": P, "q": Q}, (Q * (np.log(Q) - np.log(P))).sum(), {"p": -Q / P, "q": np.log(Q / P) + 1}),
    "kl_div-batchmean": ("F.kl_div(z, w, reduction='batchmean')", {"z": Z, "w": softmax(Z)}, (softmax(Z) * (np.log(softmax(Z)) - Z)).sum() / 2,
                         {"z": -softmax(Z) / 2}),
    "kl_div-log_target": ("F.kl_div(z, w, reduction='sum', log_target=True)", {"z": Z, "w": -Z}, (np.exp(-Z) * (-2 * Z)).sum(), {"z": -np.exp(-Z)}),
    "absolute": ("sum(np.absolute(x))", {"x": X}, abs(X).sum(), {"x": np.sign(X)}),
    "power": ("sum(np.power(p, 3))", {"p": P}, (P**3).sum(), {"p": 3 * P**2}),
    "multiply": ("sum(np.multiply(p, q))", {"p": P, "q": Q}, (P * Q).sum(), {"p": Q, "q": P}),
}  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "sympy", "torch", "fd"])
@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_composed_operation_matches_closed_form(name: str, engine: str) -> None:
    assert_closed_form(engine, *CLOSED_FORMS[name])


# The library's own function, for the spellings whose meaning differs between libraries.
@pytest.mark.needs_torch
def test_spellings_follow_their_library() -> None:
    import torch

    t = torch.tensor(X)
    z, k = torch.tensor(Z), torch.tensor(K).long()
    library = {
        "torch.var(x)": torch.var(t), "np.var(x)": np.var(X), "torch.std(x, correction=0)": torch.std(t, correction=0),
        "np.std(x, ddof=1)": np.std(X, ddof=1), "F.cross_entropy(z, k)": torch.nn.functional.cross_entropy(z, k),
        "F.smooth_l1_loss(x, 0.1 * x, beta=2.0)": torch.nn.functional.smooth_l1_loss(t, 0.1 * t, beta=2.0),
        "F.kl_div(z, torch.softmax(z, 0), reduction='batchmean')": torch.nn.functional.kl_div(z, torch.softmax(z, 0), reduction="batchmean"),
        "F.elu(x)": torch.nn.functional.elu(t).sum(), "F.gelu(x, approximate='tanh')": torch.nn.functional.gelu(t, approximate="tanh").sum(),
    }  # fmt: skip
    for expr, expected in library.items():
        summed = f"sum({expr})" if expr.startswith(("F.elu", "F.gelu")) else expr
        result = run_engine("numpy", make_problem(summed, x=X, z=Z, k=K))
        np.testing.assert_allclose(result.value, float(expected), rtol=1e-12, err_msg=expr)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("sum(x.argsort())", "not supported yet: sorting ('argsort')"),
        ("torch.linalg.eig(x)[0]", "not supported yet: eigendecompositions of general (non-symmetric) matrices: complex results ('eig')"),
        ("sum(np.linalg.matrix_rank(x))", "not supported yet: matrix_rank: a whole number, with no derivative ('matrix_rank')"),
        ("sum(np.convolve(x, x))", "not supported yet: 1-D numpy convolutions ('convolve')"),
        ("sum(x * 1j)", "not supported yet: complex numbers at column 9"),
        ("sum(torch.imag(x))", "not supported yet: complex numbers ('imag')"),
        ("sum(F.softmax(x))", "softmax() needs a dimension, e.g. softmax(x, dim=-1)"),
        ("F.mse_loss(x, x, reduction='avg')", "mse_loss() takes reduction as one of 'mean', 'sum', 'none'"),
        ("F.leaky_relu(x, x)", "leaky_relu() takes negative_slope as a number"),
        ("F.mse_loss(x, x, weight=x)", "mse_loss() got an unknown keyword 'weight' at column 1; allowed: reduction"),
    ],
)
def test_unsupported_and_misused_spellings_say_so(expr: str, message: str) -> None:
    with pytest.raises(ExprError) as error:
        parse(expr)
    assert message in str(error.value)


def test_class_indices_of_the_wrong_shape_name_both_shapes() -> None:
    with pytest.raises(ExprError, match=r"cross_entropy: targets of shape 3 fit input 2x3 neither"):
        parse("F.cross_entropy(z, k)").shapes({"z": (2, 3), "k": (3,)})


def test_class_indices_out_of_range_are_an_engine_error() -> None:
    result = run_engine("numpy", make_problem("F.cross_entropy(z, k)", z=Z, k=[0.0, 3.0]))
    assert result.status == "error" and "class indices must be integers from 0 to 2" in result.reason
