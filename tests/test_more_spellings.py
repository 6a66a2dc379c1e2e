"""permute, swapaxes, diff, hardsigmoid, hardswish, celu, logit, normalize, cosine_similarity, around/rint: closed forms in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem

RNG = np.random.default_rng(11)
A = RNG.standard_normal((2, 3, 4))
M = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))
V = np.array([-4.0, -2.5, -0.7, 0.4, 1.9, 3.5])  # away from the kinks at -3, 0 and 3
P = RNG.uniform(0.1, 0.9, 5)


def diff_grads(m: np.ndarray) -> np.ndarray:
    """Gradient of sum(diff(m)**2) + sum(diff(m, n=2, dim=0)**2) + sum(diff(m, 1, 0))."""
    grad = np.zeros_like(m)
    along_rows = np.diff(m, axis=1)
    grad[:, 1:] += 2 * along_rows
    grad[:, :-1] -= 2 * along_rows
    second = m[2] - 2 * m[1] + m[0]
    grad += 2 * second * np.array([1.0, -2.0, 1.0])[:, None]
    grad[-1] += 1
    grad[0] -= 1
    return grad


def column_normalized(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.sqrt((m * m).sum(axis=0, keepdims=True))
    return m / norms, norms


Y, NORMS = column_normalized(M)
COSINE = (M * W).sum(axis=1) / (np.linalg.norm(M, axis=1) * np.linalg.norm(W, axis=1))
COSINE_GRAD = W / (np.linalg.norm(M, axis=1) * np.linalg.norm(W, axis=1))[:, None] - (COSINE / np.linalg.norm(M, axis=1) ** 2)[:, None] * M
INSIDE = np.abs(V) < 3
KL_X, KL_T = np.array([0.2, -0.3, 0.5]), np.array([0.0, 0.4, 0.6])  # a zero target: its term is 0 (torch's xlogy)
Z1, Q1 = np.array([0.2, 1.0, -0.5]), np.array([0.2, 0.5, 0.3])  # one sample of 3 classes, unbatched
SOFT1 = np.exp(Z1) / np.exp(Z1).sum()


def diagonal_of_slab(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """einsum('iij->j') of a[:, :, :2] reshaped to 2x2x3, and the gradient of its sum of squares back in a's shape."""
    t = a[:, :, :2].reshape(2, 2, 3)
    d = t[0, 0] + t[1, 1]
    grad_t = np.zeros_like(t)
    grad_t[0, 0] = grad_t[1, 1] = 2 * d
    grad = np.zeros_like(a)
    grad[:, :, :2] = grad_t.reshape(2, 3, 2)
    return d, grad


DIAGONAL, DIAGONAL_GRAD = diagonal_of_slab(A)

CASES = [
    ("(torch.permute(a, (2, 0, 1)) * 1.5).sum()", {"a": A}, (np.transpose(A, (2, 0, 1)) * 1.5).sum(), {"a": np.full(A.shape, 1.5)}),
    ("(a.permute(1, 2, 0) * w).sum()", {"a": A, "w": np.transpose(A, (1, 2, 0)) ** 2}, (np.transpose(A, (1, 2, 0)) ** 3).sum(), {"a": A**2}),
    ("(np.swapaxes(a, 0, 2) * torch.swapdims(a, 2, 0)).sum()", {"a": A}, (A * A).sum(), {"a": 2 * A}),
    ("(np.split(m, 2, axis=1)[1] ** 2).sum() + np.split(m.ravel(), 3)[2].sum()", {"m": M},
     (M[:, 2:] ** 2).sum() + M.ravel()[8:].sum(), {"m": np.concatenate([np.zeros((3, 2)), 2 * M[:, 2:]], axis=1) + np.eye(12)[8:].sum(axis=0).reshape(3, 4)}),
    ("torch.einsum('ii->', m[:, :3]) + (np.einsum('ii->i', m[:, 1:]) ** 2).sum()", {"m": M},
     np.trace(M[:, :3]) + (np.diag(M[:, 1:]) ** 2).sum(), {"m": np.eye(3, 4) + np.pad(np.diag(2 * np.diag(M[:, 1:])), ((0, 0), (1, 0)))}),
    ("(np.einsum('ij,jk,kl->il', m, m.T, m) * w).sum()", {"m": M, "w": W}, (M @ M.T @ M * W).sum(),
     {"m": W @ M.T @ M + M @ W.T @ M + M @ M.T @ W, "w": M @ M.T @ M}),
    ("np.einsum('i,i,i', v, v, v) + np.einsum('ij->', m) + (np.einsum('ij->ji', m) ** 2).sum()", {"v": V, "m": M},
     (V**3).sum() + M.sum() + (M**2).sum(), {"v": 3 * V**2, "m": 1 + 2 * M}),
    ("(np.einsum('iij->j', a[:, :, :2].reshape(2, 2, 3)) ** 2).sum() + torch.einsum('ij,jk->k', m, w.T).sum()", {"a": A, "m": M, "w": W},
     (DIAGONAL**2).sum() + (M.sum(axis=0) * W.sum(axis=0)).sum(),
     {"a": DIAGONAL_GRAD, "m": np.broadcast_to(W.sum(axis=0), M.shape), "w": np.broadcast_to(M.sum(axis=0), W.shape)}),
    ("F.kl_div(x, t, reduction='sum')", {"x": KL_X, "t": KL_T}, (KL_T[1:] * (np.log(KL_T[1:]) - KL_X[1:])).sum(), {"x": -KL_T}),
    ("F.cross_entropy(z, k)", {"z": Z1, "k": 1.0}, -np.log(SOFT1[1]), {"z": SOFT1 - np.eye(3)[1]}),
    ("F.cross_entropy(z, q, reduction='none')", {"z": Z1, "q": Q1}, -(Q1 * np.log(SOFT1)).sum(), {"z": SOFT1 - Q1, "q": -np.log(SOFT1)}),
    ("F.nll_loss(F.log_softmax(z, dim=0), k, reduction='sum')", {"z": Z1, "k": 2.0}, -np.log(SOFT1[2]), {"z": SOFT1 - np.eye(3)[2]}),
    ("(np.pad(m, 1) ** 2).sum() + np.pad(m, (1, 2)).sum() + (np.pad(a, ((1, 0),)) * 2).sum()", {"m": M, "a": A},
     (M**2).sum() + M.sum() + 2 * A.sum(), {"m": 2 * M + 1, "a": np.full(A.shape, 2.0)}),
    ("(np.moveaxis(a, 0, -1) * w).sum() + (torch.movedim(a, [0, 1], [2, 0]) * u).sum()",
     {"a": A, "w": np.moveaxis(A, 0, -1) ** 2, "u": np.ones((3, 4, 2)) * 0.5}, (A**3).sum() + 0.5 * A.sum(), {"a": A**2 + 0.5}),
    ("(np.transpose(a, (1, 2, 0)) * w).sum()", {"a": A, "w": np.transpose(A, (1, 2, 0)) ** 2}, (A**3).sum(), {"a": A**2}),
    ("(np.diff(m) ** 2).sum() + (torch.diff(m, n=2, dim=0) ** 2).sum() + np.diff(m, 1, 0).sum()", {"m": M},
     (np.diff(M) ** 2).sum() + (np.diff(M, 2, axis=0) ** 2).sum() + np.diff(M, 1, 0).sum(), {"m": diff_grads(M)}),
    ("F.hardsigmoid(v).sum()", {"v": V}, np.clip(V + 3, 0, 6).sum() / 6, {"v": INSIDE / 6}),
    ("F.hardswish(v).sum()", {"v": V}, (V * np.clip(V + 3, 0, 6) / 6).sum(), {"v": np.where(INSIDE, (2 * V + 3) / 6, (V > 0) * 1.0)}),
    ("F.celu(v, 0.5).sum()", {"v": V}, np.where(V > 0, V, 0.5 * (np.exp(V / 0.5) - 1)).sum(), {"v": np.where(V > 0, 1.0, np.exp(V / 0.5))}),
    ("torch.logit(p).sum()", {"p": P}, np.log(P / (1 - P)).sum(), {"p": 1 / (P * (1 - P))}),
    ("(F.normalize(m, dim=0) * w).sum()", {"m": M, "w": W}, (Y * W).sum(), {"m": (W - Y * (Y * W).sum(axis=0, keepdims=True)) / NORMS, "w": Y}),
    ("F.cosine_similarity(m, w).sum()", {"m": M, "w": W}, COSINE.sum(), {"m": COSINE_GRAD}),
    # the method x.where(condition, y) is torch.where(condition, x, y), not where(x, condition, y)
    ("(m.where(w > 0, m * 3) * w).sum()", {"m": M, "w": W}, (np.where(W > 0, M, 3 * M) * W).sum(), {"m": np.where(W > 0, W, 3 * W)}),
    ("(np.around(m * 3) + np.rint(m * 2) + m).sum()", {"m": M}, (np.round(M * 3) + np.round(M * 2) + M).sum(), {"m": np.ones_like(M)}),
]  # fmt: skip


# torch's own functions, evaluated as written, where torch itself is off in float64 (torch 2.x).
TORCH_BUGS = {"F.hardsigmoid(v).sum()": "hardsigmoid's float64 backward slope is 1/6 rounded to float32 (0.1666666716)"}


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_spellings_match_closed_forms(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    if engine == "torch" and expr in TORCH_BUGS:
        with pytest.raises(AssertionError, match="d/d"):  # the torch engine reports torch's own answer, bug included
            assert_closed_form(engine, expr, inputs, value, grads)
        return
    assert_closed_form(engine, expr, inputs, value, grads)


@pytest.mark.needs_torch
@pytest.mark.parametrize(
    ("expr", "call"),
    [
        ("torch.permute(a, (2, 0, 1))", lambda torch, F, a: torch.permute(a, (2, 0, 1))),
        ("F.hardswish(a) + F.hardsigmoid(a) + F.celu(a, 0.3)", lambda torch, F, a: F.hardswish(a) + F.hardsigmoid(a) + F.celu(a, 0.3)),
        ("F.normalize(a, dim=-1, eps=0.5)", lambda torch, F, a: F.normalize(a, dim=-1, eps=0.5)),
        ("F.cosine_similarity(a, a * 2 + 1, dim=2, eps=2.0)", lambda torch, F, a: F.cosine_similarity(a, a * 2 + 1, dim=2, eps=2.0)),
        ("torch.diff(a, n=2, dim=1)", lambda torch, F, a: torch.diff(a, n=2, dim=1)),
    ],
)
def test_spellings_mean_what_torch_means(expr: str, call) -> None:
    """Values where the eps bounds bite too: the same numbers as torch's own functions."""
    import torch
    import torch.nn.functional as F

    from verifygrad.engines import numpy_engine

    a = A * 0.3
    problem = make_problem(expr, a=a)
    ours = numpy_engine.run(problem).value
    np.testing.assert_allclose(ours, call(torch, F, torch.tensor(a)).numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("torch.permute(a, (0, 0, 1))", "permute() takes a permutation of the dims"),
        ("torch.permute(a, (1, 0))", "permute needs 2-D arguments, got 2x3x4"),
        ("np.rollaxis(a, 3)", "rollaxis() takes an axis of x and a start in [-3, 3]"),  # NOTE: np.transpose(a) of 3-D reverses the dims now
        ("np.split(a, 3, axis=2)[0]", "2x3x4 does not split into 3 equal sections along dim 2: 4 is not a multiple of 3"),
    ],
)
def test_misuse_is_one_line(expr: str, message: str) -> None:
    from verifygrad.engines import numpy_engine
    from verifygrad.language.syntax import ExprError

    try:
        problem = make_problem(expr, a=A)
        numpy_engine.run(problem)
    except (ExprError, ValueError) as error:
        assert message in str(error)
    else:
        pytest.fail("no error")


STACK_SHAPES = {1: (3,), 2: (2, 3), 3: (2, 3, 2)}


def stacked_gradient(join, shape: tuple[int, ...], weights: np.ndarray, first: bool) -> np.ndarray:
    """Where each element of one operand lands in the joined array, and the weight there."""
    positions = np.arange(np.prod(shape), dtype=float).reshape(shape)
    elsewhere = np.full(shape, -1.0)
    landed = join([positions, elsewhere] if first else [elsewhere, positions])
    grad = np.zeros(int(np.prod(shape)))
    np.add.at(grad, landed[landed >= 0].astype(int), weights[landed >= 0])
    return grad.reshape(shape)


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_stacks_join_where_numpy_joins(name: str, ndim: int, engine: str) -> None:
    join = getattr(np, name)
    rng = np.random.default_rng(ndim)  # NOTE: its own seed: the module's RNG would give another draw in another test order
    a, b = rng.standard_normal(STACK_SHAPES[ndim]), rng.standard_normal(STACK_SHAPES[ndim])
    w = np.arange(join([a, b]).size, dtype=float).reshape(join([a, b]).shape) / 7
    grads = {"a": stacked_gradient(join, a.shape, w, True), "b": stacked_gradient(join, b.shape, w, False)}
    assert_closed_form(engine, f"(np.{name}([a, b]) * w).sum()", {"a": a, "b": b, "w": w}, (join([a, b]) * w).sum(), grads)
