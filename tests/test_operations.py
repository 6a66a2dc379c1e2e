"""The primitives real code differentiates (max/min, indexing, joining, reshaping, linear algebra, special
functions, rounding, masks): value and gradient against closed forms in every engine, and their second order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.engines import numpy_second_order as second
from verifygrad.language.parse import ExprError, parse

W = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.5]])
V = np.array([0.3, -0.6, 0.45])
A = np.array([[2.0, 1.0], [0.5, 3.0]])
B = np.array([1.0, -2.0])
S = np.array([[[0.5, -1.0], [2.0, 0.25]], [[1.5, 0.75], [-0.5, 1.0]], [[0.2, 0.4], [-0.3, 2.0]]])  # a stack of three 2x2 matrices
erf = np.vectorize(math.erf)
CHOL = np.linalg.cholesky(np.tril(A) + np.tril(A, -1).T)  # the factorization reads A's lower triangle only


def ones_at(shape: tuple[int, ...], *indices: tuple[int, ...], value: float = 1.0) -> np.ndarray:
    out = np.zeros(shape)
    for index in indices:
        out[index] += value
    return out


# name: (expression, inputs, closed-form value, closed-form gradient of each input)
CLOSED_FORMS = {
    "max": ("torch.max(w)", {"w": W}, 6.5, {"w": ones_at(W.shape, (1, 2))}),
    "max-dim-values": ("sum(torch.max(w, 1).values * v[:2])", {"w": W, "v": V}, 5 * 0.3 - 6.5 * 0.6,
                       {"w": ones_at(W.shape, (0, 1)) * 0.3 + ones_at(W.shape, (1, 2)) * -0.6, "v": np.array([5.0, 6.5, 0.0])}),
    "max-dim-index-0": ("w.max(dim=0)[0].sum()", {"w": W}, 4 + 5 + 6.5, {"w": np.array([[0, 1, 0], [1, 0, 1.0]])}),
    "np.max-axis": ("np.sum(np.max(w, axis=1) ** 2)", {"w": W}, 25 + 6.5**2, {"w": ones_at(W.shape, (0, 1), value=10) + ones_at(W.shape, (1, 2), value=13)}),
    "amin-keepdim": ("sum(torch.amin(w, 1, keepdim=True) * w)", {"w": W}, 1 * 9 + 2 * 12.5,
                     {"w": np.array([[1 + 9, 1, 1], [2, 2 + 12.5, 2.0]])}),
    "maximum": ("sum(torch.maximum(w, 3 - w))", {"w": W}, np.maximum(W, 3 - W).sum(), {"w": np.where(W > 1.5, 1.0, -1.0)}),
    "minimum": ("sum(np.minimum(w, 3.5))", {"w": W}, np.minimum(W, 3.5).sum(), {"w": (W < 3.5) * 1.0}),
    "index-int": ("w[1, -1] * w[0, 0]", {"w": W}, 6.5, {"w": ones_at(W.shape, (1, 2), value=1.0) + ones_at(W.shape, (0, 0), value=6.5)}),
    "index-slice": ("sum(w[:, 1:] ** 2)", {"w": W}, (W[:, 1:] ** 2).sum(), {"w": 2 * W * [0, 1, 1]}),
    "index-reverse": ("sum(v[::-1] * v)", {"v": V}, (V[::-1] * V).sum(), {"v": 2 * V[::-1]}),
    "index-list-repeated": ("sum(v[[0, 0, 2]])", {"v": V}, 2 * V[0] + V[2], {"v": np.array([2.0, 0, 1])}),
    "index-mask": ("sum(v[[True, False, True]] ** 2)", {"v": V}, V[0] ** 2 + V[2] ** 2, {"v": 2 * V * [1, 0, 1]}),
    "index-none-ellipsis": ("sum(w[None, ..., 0] ** 2)", {"w": W}, 17.0, {"w": 2 * W * [1, 0, 0]}),
    "reshape": ("sum(w.reshape(3, 2)[0] * w.reshape(-1)[:2])", {"w": W}, 1 + 25, {"w": ones_at(W.shape, (0, 0), value=2) + ones_at(W.shape, (0, 1), value=10)}),
    "view-flatten": ("sum(torch.flatten(w) * w.view(6))", {"w": W}, (W**2).sum(), {"w": 2 * W}),
    "unsqueeze-squeeze": ("sum(v.unsqueeze(1) * np.expand_dims(v, 0)) + sum(squeeze(w[:1]))", {"v": V, "w": W}, V.sum() ** 2 + 9,
                          {"v": np.full(3, 2 * V.sum()), "w": np.array([[1.0, 1, 1], [0, 0, 0]])}),
    "cat": ("sum(torch.cat([w, 2 * w], dim=1) ** 2)", {"w": W}, 5 * (W**2).sum(), {"w": 10 * W}),
    "stack": ("sum(torch.stack([v, v ** 2], 1)[:, 1])", {"v": V}, (V**2).sum(), {"v": 2 * V}),
    "concatenate": ("sum(np.concatenate((v, 3 * v)) ** 2)", {"v": V}, 10 * (V**2).sum(), {"v": 20 * V}),
    "hstack-1d": ("sum(np.hstack((v, 2 * v)) * arange(6))", {"v": V}, V @ [0, 1, 2] + 2 * V @ [3, 4, 5], {"v": np.array([6.0, 9, 12])}),
    "hstack-2d": ("sum(torch.hstack([w, w[:, :1]]) ** 2)", {"w": W}, (W**2).sum() + (W[:, 0] ** 2).sum(), {"w": 2 * W * [[2, 1, 1]]}),
    "vstack-1d": ("sum(np.vstack([v, v ** 2])[1])", {"v": V}, (V**2).sum(), {"v": 2 * V}),
    "vstack-2d": ("sum(torch.vstack((w, w[:1])) ** 2)", {"w": W}, (W**2).sum() + (W[0] ** 2).sum(), {"w": 2 * W * [[2], [1]]}),
    "chunk": ("sum(torch.chunk(w, 2, dim=1)[1] ** 2)", {"w": W}, 9 + 6.5**2, {"w": 2 * W * [0, 0, 1]}),  # pieces of ceil(3/2) = 2
    "chunk-method": ("sum(w.chunk(2)[1])", {"w": W}, W[1].sum(), {"w": np.array([[0.0, 0, 0], [1, 1, 1]])}),
    "array_split": ("sum(np.array_split(w, 2, axis=1)[0] ** 2)", {"w": W}, (W[:, :2] ** 2).sum(), {"w": 2 * W * [1, 1, 0]}),
    "array_split-last": ("sum(np.array_split(v, 2)[1])", {"v": V}, V[2], {"v": np.array([0.0, 0, 1])}),
    "split": ("sum(torch.split(w, 2, dim=1)[1] ** 2)", {"w": W}, 9 + 6.5**2, {"w": 2 * W * [0, 0, 1]}),
    "np.split": ("sum(np.split(v, [1], axis=0)[1])", {"v": V}, V[1:].sum(), {"v": np.array([0.0, 1, 1])}),
    "unbind": ("sum(torch.unbind(w, 0)[1] * v)", {"w": W, "v": V}, W[1] @ V, {"w": np.array([[0, 0, 0], V]), "v": W[1]}),
    "tile": ("sum(torch.tile(v, (2, 1)) * w)", {"v": V, "w": W}, (V * W).sum(), {"v": W.sum(axis=0), "w": np.tile(V, (2, 1))}),
    "repeat-method": ("sum(v.repeat(2) ** 2)", {"v": V}, 2 * (V**2).sum(), {"v": 4 * V}),
    "repeat_interleave": ("sum(np.repeat(v, 2) * np.arange(6))", {"v": V}, V @ [1, 5, 9], {"v": np.array([1.0, 5, 9])}),
    "flip": ("sum(torch.flip(w, [1]) * w)", {"w": W}, (W[:, ::-1] * W).sum(), {"w": 2 * W[:, ::-1]}),
    "roll": ("sum(torch.roll(v, 1) * v)", {"v": V}, (np.roll(V, 1) * V).sum(), {"v": np.roll(V, 1) + np.roll(V, -1)}),
    "pad": ("sum(F.pad(v, (1, 2)) * arange(6))", {"v": V}, V @ [1, 2, 3], {"v": np.array([1.0, 2, 3])}),
    "np.pad": ("sum(np.pad(w, ((0, 1), (2, 0))) ** 2)", {"w": W}, (W**2).sum(), {"w": 2 * W}),
    "tril": ("sum(torch.tril(a) * a)", {"a": A}, 4 + 0.25 + 9, {"a": 2 * np.tril(A)}),
    "triu-offset": ("sum(np.triu(a, k=1))", {"a": A}, 1.0, {"a": np.array([[0, 1], [0, 0.0]])}),
    "diag-extract": ("sum(torch.diag(w, 1) ** 2)", {"w": W}, 25 + 6.5**2, {"w": ones_at(W.shape, (0, 1), value=10) + ones_at(W.shape, (1, 2), value=13)}),
    "diag-embed": ("trace(np.diag(v[:2]) @ a)", {"v": V, "a": A}, V[0] * 2 + V[1] * 3,
                   {"v": np.array([2.0, 3, 0]), "a": np.diag([V[0], V[1]])}),
    "trace-offset": ("np.trace(w, offset=1)", {"w": W}, 5 + 6.5, {"w": ones_at(W.shape, (0, 1), (1, 2))}),
    "cumsum": ("sum(torch.cumsum(v, 0) ** 2)", {"v": V}, (np.cumsum(V) ** 2).sum(), {"v": np.cumsum((2 * np.cumsum(V))[::-1])[::-1]}),
    "np.cumsum-flat": ("sum(np.cumsum(a))", {"a": A}, 2 * 4 + 1 * 3 + 0.5 * 2 + 3, {"a": np.array([[4.0, 3], [2, 1]])}),
    "cumprod": ("sum(torch.cumprod(v, 0))", {"v": V}, V[0] + V[0] * V[1] + V.prod(),
                {"v": np.array([1 + V[1] + V[1] * V[2], V[0] + V[0] * V[2], V[0] * V[1]])}),
    "cumprod-with-zero": ("sum(torch.cumprod(v - 0.3, dim=0))", {"v": V}, 0.0, {"v": np.array([1 - 0.9 - 0.9 * 0.15, 0, 0])}),
    "cumprod-two-zeros": ("sum(torch.cumprod(v * (v - 0.3) * (v + 0.6), 0))", {"v": V}, 0.0, {"v": np.array([0.3 * 0.9, 0, 0])}),
    "cumprod-dim0": ("sum(torch.cumprod(w, 0))", {"w": W}, W[0].sum() + (W[0] * W[1]).sum(), {"w": np.array([1 + W[1], W[0]])}),
    "np.cumprod-flat": ("sum(np.cumprod(a))", {"a": A}, 8.0, {"a": np.array([[4.0, 6], [8, 1]])}),
    "prod": ("torch.prod(v)", {"v": V}, V.prod(), {"v": np.array([V[1] * V[2], V[0] * V[2], V[0] * V[1]])}),
    "prod-with-zero": ("np.prod(v - 0.45)", {"v": V}, 0.0, {"v": np.array([0.0, 0.0, (V[0] - 0.45) * (V[1] - 0.45)])}),
    "prod-dim": ("sum(torch.prod(w, 1))", {"w": W}, 15 + 52, {"w": np.array([[15, 3, 5], [13, 26, 8.0]])}),
    "inv": ("sum(torch.linalg.inv(a) * a)", {"a": A}, (np.linalg.inv(A) * A).sum(),
            {"a": np.linalg.inv(A) - (np.linalg.inv(A).T @ A @ np.linalg.inv(A).T)}),
    "det": ("torch.det(a)", {"a": A}, 5.5, {"a": np.array([[3.0, -0.5], [-1, 2]])}),
    "slogdet": ("np.linalg.slogdet(a)[1]", {"a": A}, math.log(5.5), {"a": np.linalg.inv(A).T}),
    "logdet": ("torch.logdet(a)", {"a": A}, math.log(5.5), {"a": np.linalg.inv(A).T}),
    "solve": ("sum(np.linalg.solve(a, b))", {"a": A, "b": B}, np.linalg.solve(A, B).sum(),
              {"b": np.linalg.solve(A.T, np.ones(2)), "a": -np.outer(np.linalg.solve(A.T, np.ones(2)), np.linalg.solve(A, B))}),
    "cholesky": ("sum(torch.linalg.cholesky(a))", {"a": A}, CHOL.sum(),
                 {"a": np.array([[0.5 / CHOL[0, 0] - A[1, 0] / (2 * A[0, 0] ** 1.5) + A[1, 0] ** 2 / (2 * A[0, 0] ** 2 * CHOL[1, 1]), 0],
                                 [1 / CHOL[0, 0] - A[1, 0] / (A[0, 0] * CHOL[1, 1]), 0.5 / CHOL[1, 1]]])}),
    "cholesky-of-gram": ("sum(log(diag(np.linalg.cholesky(a @ a.T))))", {"a": A}, math.log(5.5), {"a": np.linalg.inv(A).T}),  # log|det a|
    "erf": ("sum(torch.erf(v))", {"v": V}, erf(V).sum(), {"v": 2 / math.sqrt(math.pi) * np.exp(-(V**2))}),
    "erfc": ("sum(torch.special.erfc(v))", {"v": V}, (1 - erf(V)).sum(), {"v": -2 / math.sqrt(math.pi) * np.exp(-(V**2))}),
    "gelu": ("sum(F.gelu(v))", {"v": V}, (0.5 * V * (1 + erf(V / math.sqrt(2)))).sum(),
             {"v": 0.5 * (1 + erf(V / math.sqrt(2))) + V * np.exp(-(V**2) / 2) / math.sqrt(2 * math.pi)}),
    "expm1": ("sum(torch.expm1(v))", {"v": V}, np.expm1(V).sum(), {"v": np.exp(V)}),
    "asin": ("sum(np.arcsin(v))", {"v": V}, np.arcsin(V).sum(), {"v": 1 / np.sqrt(1 - V**2)}),
    "acos": ("sum(torch.acos(v))", {"v": V}, np.arccos(V).sum(), {"v": -1 / np.sqrt(1 - V**2)}),
    "atan": ("sum(np.arctan(v))", {"v": V}, np.arctan(V).sum(), {"v": 1 / (1 + V**2)}),
    "atan2": ("sum(torch.atan2(v, 1 - v))", {"v": V}, np.arctan2(V, 1 - V).sum(), {"v": ((1 - V) + V) / ((1 - V) ** 2 + V**2)}),
    "floor": ("sum(floor(3 * v) * v)", {"v": V}, (np.floor(3 * V) * V).sum(), {"v": np.floor(3 * V)}),
    "ceil": ("sum(np.ceil(3 * v) * v)", {"v": V}, (np.ceil(3 * V) * V).sum(), {"v": np.ceil(3 * V)}),
    "round": ("sum(torch.round(3 * v) * v)", {"v": V}, (np.round(3 * V) * V).sum(), {"v": np.round(3 * V)}),
    "trunc": ("sum(torch.trunc(3 * v) * v)", {"v": V}, (np.trunc(3 * V) * V).sum(), {"v": np.trunc(3 * V)}),
    "sign": ("sum(torch.sign(v) * v)", {"v": V}, abs(V).sum(), {"v": np.sign(V)}),
    "mod-operator": ("sum(v % 0.25)", {"v": V}, np.mod(V, 0.25).sum(), {"v": np.ones(3)}),
    "fmod": ("sum(torch.fmod(v, 0.25))", {"v": V}, np.fmod(V, 0.25).sum(), {"v": np.ones(3)}),
    "where": ("sum(torch.where(v > 0, v ** 2, -v))", {"v": V}, np.where(V > 0, V**2, -V).sum(), {"v": np.where(V > 0, 2 * V, -1)}),
    "where-nan-branch-value": ("sum(where(v > 0, log(v), 0 * v))", {"v": V}, np.log(V[V > 0]).sum(), {}),
    "comparison-chain": ("sum((-0.5 < v < 0.4) * v)", {"v": V}, V[0], {"v": np.array([1.0, 0, 0])}),
    "comparison-functions": ("sum(torch.ge(v, 0.35) * v + np.equal(v, v) * v - torch.ne(v, v))", {"v": V}, 0.6, {"v": np.array([1.0, 1, 2])}),
    "einsum-matvec": ("sum(torch.einsum('ij,j->i', w, v))", {"w": W, "v": V}, (W @ V).sum(), {"w": np.tile(V, (2, 1)), "v": W.sum(axis=0)}),
    "einsum-implicit": ("np.einsum('ij,ij', w, w)", {"w": W}, (W * W).sum(), {"w": 2 * W}),
    "einsum-outer-transposed": ("sum(einsum('i,j->ji', v, v[:2]) * w)", {"v": V, "w": W}, V[:2] @ W @ V,
                                {"v": W.T @ V[:2] + np.concatenate([W @ V, [0.0]]), "w": np.outer(V[:2], V)}),
    "bmm": ("sum(torch.bmm(s, s) * s)", {"s": S}, np.einsum("bij,bjk,bik", S, S, S),
            {"s": np.einsum("bjk,bik->bij", S, S) + np.einsum("bij,bik->bjk", S, S) + S @ S}),
    "matmul-batch-broadcast": ("sum(s @ a)", {"s": S, "a": A}, (S @ A).sum(),
                               {"s": np.broadcast_to(A.sum(axis=1), S.shape), "a": np.broadcast_to(S.sum(axis=(0, 1))[:, None], A.shape)}),
    "matmul-batch-vector": ("sum(np.matmul(s, b) ** 2) + sum(b @ s)", {"s": S, "b": B}, ((S @ B) ** 2).sum() + (B @ S).sum(),
                            {"b": 2 * np.einsum("bm,bmk->k", S @ B, S) + S.sum(axis=(0, 2)),
                             "s": 2 * (S @ B)[..., None] * B + np.broadcast_to(B[:, None], S.shape)}),
    "tensordot-all": ("torch.tensordot(w, w, dims=2)", {"w": W}, (W * W).sum(), {"w": 2 * W}),
    "tensordot-pairs": ("sum(torch.tensordot(w, v, dims=([1], [0])) ** 2)", {"w": W, "v": V}, ((W @ V) ** 2).sum(),
                        {"w": 2 * np.outer(W @ V, V), "v": 2 * W.T @ (W @ V)}),
    "tensordot-outer": ("sum(np.tensordot(a, a, 0))", {"a": A}, A.sum() ** 2, {"a": 2 * A.sum() * np.ones((2, 2))}),
    "tensordot-first-dims": ("sum(np.tensordot(s, w, axes=(1, 0)))", {"s": S, "w": W[:, :2]}, np.tensordot(S, W[:, :2], axes=(1, 0)).sum(),
                             {"s": np.broadcast_to(W[:, :2].sum(axis=1)[:, None], S.shape), "w": np.broadcast_to(S.sum(axis=(0, 2))[:, None], (2, 2))}),
    "np.dot-matrix": ("sum(np.dot(a, a))", {"a": A}, (A @ A).sum(), {"a": np.ones((2, 2)) @ A.T + A.T @ np.ones((2, 2))}),
}  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "sympy", "torch", "fd"])
@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_operation_matches_closed_form(name: str, engine: str) -> None:
    assert_closed_form(engine, *CLOSED_FORMS[name])


# Each new elementwise primitive f: the Hessian of sum(f(v)) is diag(f''(v)).
SECOND_DERIVATIVES = {
    "erf(v)": lambda v: -4 * v / math.sqrt(math.pi) * np.exp(-(v**2)),
    "expm1(v)": np.exp,
    "asin(v)": lambda v: v / (1 - v**2) ** 1.5,
    "atan(v)": lambda v: -2 * v / (1 + v**2) ** 2,
    "atan2(v, 0.5 + 0 * v)": lambda v: -2 * 0.5 * v / (0.25 + v**2) ** 2,
    "np.maximum(v, 0.35) ** 2": lambda v: 2.0 * (v > 0.35),
    "floor(3 * v) * v": lambda v: 0 * v,
    "erfc(v)": lambda v: 4 * v / math.sqrt(math.pi) * np.exp(-(v**2)),
    "acos(v)": lambda v: -v / (1 - v**2) ** 1.5,
    "np.minimum(v, 0.35) ** 2": lambda v: 2.0 * (v < 0.35),
    "torch.where(v > 0.35, v ** 2, v)": lambda v: 2.0 * (v > 0.35),
    "(torch.sign(v) + torch.ceil(3 * v) + torch.trunc(3 * v) + torch.round(3 * v)) * v ** 2": lambda v: (
        2 * (np.sign(v) + np.ceil(3 * v) + np.trunc(3 * v) + np.round(3 * v))
    ),
}


@pytest.mark.parametrize("expr", sorted(SECOND_DERIVATIVES))
def test_elementwise_hessian_of_a_new_primitive(expr: str) -> None:
    hessian = second.hessian(parse(f"sum({expr})"), {"v": V}, "float64", ("v",))["v", "v"]
    np.testing.assert_allclose(hessian, np.diag(SECOND_DERIVATIVES[expr](V)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("expr", "hessian"),
    [
        ("sum(v[[0, 0, 2]] ** 2)", np.diag([4.0, 0, 2])),  # index, then scatter-add in the backward pass
        ("sum(torch.cat([v, v]) ** 2)", 4 * np.eye(3)),
        ("sum(torch.chunk(v, 2)[0] ** 2) + sum(np.array_split(v, 2)[1] ** 2)", np.diag([2.0, 2, 2])),
        ("torch.max(v * v)", np.diag([0.0, 2, 0])),
        ("torch.prod(v)", np.array([[0, V[2], V[1]], [V[2], 0, V[0]], [V[1], V[0], 0]])),
        ("sum(torch.cumsum(v, 0) ** 2)", 2 * np.array([[3.0, 2, 1], [2, 2, 1], [1, 1, 1]])),
        ("sum(torch.cumprod(v, 0))", np.array([[0, 1 + V[2], V[1]], [1 + V[2], 0, V[0]], [V[1], V[0], 0]])),
        ("einsum('i,i->', v, v)", 2 * np.eye(3)),
        ("sum(np.tensordot(v, v, 0) ** 2)", 8 * np.outer(V, V) + 4 * (V @ V) * np.eye(3)),  # (v.v)^2; the outer product's VJP is a tensordot's einsum
        ("sum(v.reshape(3, 1, 1) @ v.reshape(3, 1, 1))", 2 * np.eye(3)),  # batched matmul, stacks on both sides
        ("sum(v.reshape(1, 1, 3) @ v) + sum(v @ v.reshape(1, 3, 1))", 4 * np.eye(3)),  # a vector on either side
        # linear maps L: the Hessian of sum(L(v)**2) is 2 L^T L
        ("sum(torch.flip(v, [0]) ** 2) + sum(torch.roll(v, 1) ** 2) + sum(np.pad(v, ((1, 2),)) ** 2)", 6 * np.eye(3)),
        ("sum(np.tile(v, 2) ** 2) + sum(np.repeat(v, 3) ** 2)", 10 * np.eye(3)),
        ("sum(torch.tril(torch.outer(v, v)))", np.array([[2.0, 1, 1], [1, 2, 1], [1, 1, 2]])),  # sum over i >= j of v_i v_j
        ("sum(torch.triu(v.reshape(3, 1) * v, 1) ** 2)", None),
        ("sum(torch.diag(v) ** 2) + sum(torch.diag(torch.outer(v, v)))", 4 * np.eye(3)),
        ("sum(np.einsum('ii->i', torch.outer(v, v)) * 3)", 6 * np.eye(3)),
        ("torch.linalg.det(torch.stack([v[:2], v[1:]]))", np.array([[0.0, 0, 1], [0, -2, 0], [1, 0, 0]])),  # v0 v2 - v1**2
        ("sum(torch.linalg.solve(torch.tensor([[2.0, 1.0], [0.5, 3.0]]), v[:2]) ** 2)", None),
    ],
)
def test_structural_hessians(expr: str, hessian: np.ndarray | None) -> None:
    if hessian is None:
        hessian = _hessian_by_hand(expr)
    np.testing.assert_allclose(second.hessian(parse(expr), {"v": V}, "float64", ("v",))["v", "v"], hessian, rtol=1e-10, atol=1e-12)


def _hessian_by_hand(expr: str) -> np.ndarray:
    """The two Hessians too long for the table: 2 L^T L of solve's linear map, and the triu case's by hand."""
    if "solve" in expr:
        inverse = np.linalg.inv(np.array([[2.0, 1.0], [0.5, 3.0]]))
        out = np.zeros((3, 3))
        out[:2, :2] = 2 * inverse.T @ inverse
        return out
    # triu(v v^T, 1) squared and summed: (v0 v1)^2 + (v0 v2)^2 + (v1 v2)^2
    v0, v1, v2 = V
    return 2 * np.array([[v1**2 + v2**2, 2 * v0 * v1, 2 * v0 * v2], [2 * v0 * v1, v0**2 + v2**2, 2 * v1 * v2], [2 * v0 * v2, 2 * v1 * v2, v0**2 + v1**2]])


@pytest.mark.parametrize("expr", ["torch.logdet(a)", "2 * sum(log(diag(torch.linalg.cholesky(a @ a.T)))) - torch.logdet(a)"])
def test_hessian_of_logdet_is_minus_the_inverse_kronecker_product(expr: str) -> None:
    a = np.array([[2.0, 0.3], [0.1, 1.5]])
    hessian = second.hessian(parse(expr), {"a": a}, "float64", ("a",))["a", "a"].reshape(4, 4)
    inverse = np.linalg.inv(a)
    # d2 logdet / dA_ij dA_kl = -inv(A)_li inv(A)_jk
    expected = -np.einsum("li,jk->ijkl", inverse, inverse).reshape(4, 4)
    np.testing.assert_allclose(hessian, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("expr", "shapes", "message"),
    [
        ("w[2]", {"w": (2, 3)}, "index [2] does not fit shape 2x3"),
        ("w[[True, False]]", {"w": (3,)}, "does not fit shape 3"),
        ("torch.cat([w, v])", {"w": (2, 3), "v": (3,)}, "cannot join 2x3 and 3 along dim 0"),
        ("torch.bmm(w, w)", {"w": (2, 3)}, "bmm needs 3-D and 3-D arguments, got 2x3 and 2x3"),
        ("s @ u", {"s": (2, 3, 4), "u": (3, 4, 2)}, "the batch dimensions of 2x3x4 and 3x4x2 do not broadcast"),
        ("np.tensordot(w, w, axes=([1], [1, 0]))", {"w": (2, 3)}, "tensordot: 1 dims of the first operand paired with 2"),
        ("torch.tensordot(w, w, dims=1)", {"w": (2, 3)}, "tensordot: dim 1 of 2x3 (3) and dim 0 of 2x3 (2) differ"),
        ("torch.chunk(w, 3, dim=0)[2]", {"w": (2, 3)}, "2x3 cut into 3 along dim 0 makes 2 pieces, so no piece 2"),
        ("w.reshape(4, 2)", {"w": (2, 3)}, "cannot reshape 2x3 (6 elements) to 4x2"),
        ("torch.det(w)", {"w": (2, 3)}, "needs a square matrix, got 2x3"),
        ("torch.linalg.cholesky(w)", {"w": (2, 3)}, "cholesky: needs a square matrix, got 2x3"),
        # NOTE: A written out: solve reads A's shape to tell a stack of matrices (parse alone knows only a constant's)
        ("np.linalg.solve(np.eye(2), v)", {"v": (3,)}, "the right-hand side 3 does not fit the matrix 2x2"),
        ("torch.max(w, 2).values", {"w": (2, 3)}, "dim 2 is out of range"),
    ],
)
def test_shape_errors_name_both_shapes(expr: str, shapes: dict, message: str) -> None:
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        parse(expr).shapes(shapes)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("sum(torch.max(w, 1))", "max(x, dim) returns (values, indices): take .values or [0]"),
        ("sum(torch.max(w, 1).indices)", "max() depends on the inputs' values, which are not known here"),
        ("sum(exp(w).values)", "exp() returns one tensor"),
        ("w[v]", "the index depends on the inputs' values, which are not known here at column 3"),
        ("w[::0]", "a slice step cannot be zero"),
        ("np.split(w, indices_or_sections=2.5)[0]", "np.split() takes a number of equal sections or a list of split indices"),
        ("torch.split(w, 2)", "split() returns several tensors"),
        ("torch.chunk(w, 2)", "chunk() returns several tensors"),
        ("np.array_split(w, 'two')[0]", "array_split() takes the number of pieces as a whole number"),
        ("sum(torch.cumsum(w))", "cumsum() needs dim"),
        ("sum(torch.cumprod(w))", "cumprod() needs dim"),
        ("einsum('ii,i->ii', w, v)", "einsum 'ii,i->ii': the output repeats an index"),
        ("einsum('ij,k->iq', w, v)", "einsum 'ij,k->iq': the output names an index no operand has"),
        ("einsum('ij,k', w)", "einsum 'ij,k' names 2 operand(s), 1 given"),
        ("np.tensordot(w, v, axes='ij')", "tensordot() takes dims as a number or a pair of lists of dims"),
        ("einsum('i;j', w, v)", "einsum() takes subscripts of letters (and '...'), e.g. einsum('ij,jk->ik', a, b)"),
    ],
)
def test_misused_operations_say_how_to_write_them(expr: str, message: str) -> None:
    with pytest.raises(ExprError) as error:
        parse(expr)
    assert message in str(error.value)


def test_stacks_read_their_arrays_dims_and_name_both_shapes_when_they_do_not_fit() -> None:
    with pytest.raises(ExprError) as error:
        make_problem("np.vstack([w, v])", w=np.ones((2, 3)), v=np.ones(2))
    assert "cannot join 2x3 and 1x2 along dim 0" in str(error.value)
    with pytest.raises(ExprError) as error:
        make_problem("np.hstack([w, v])", w=np.ones((2, 3, 2)), v=np.ones((2, 3)))
    assert "cannot join 2x3x2 and 2x3 along dim 1" in str(error.value)


def test_np_pad_with_one_pair_pads_every_dimension_as_numpy_does() -> None:
    problem = make_problem("np.pad(w, ((1, 1),))", w=np.ones((2, 3)))
    assert problem.shapes[-1] == (4, 5)


def _product_rule(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """d/dv_j of sum_i w_i prod_{k <= i} v_k, term by term: sum over i >= j of w_i times the product of v_k, k <= i, k != j."""
    n = len(v)
    return np.array([sum(w[i] * math.prod(v[k] for k in range(i + 1) if k != j) for i in range(j, n)) for j in range(n)])


CUMPROD_VECTORS = {  # halves, small integers and zeros: every product and sum below is exact in float64
    "no zero": [2.0, -1.0, 0.5, 3.0, -2.0, 1.5, 0.5, 2.0],
    "a zero first": [0.0, -1.0, 0.5, 3.0, -2.0, 1.5, 0.5, 2.0],
    "a zero inside": [2.0, -1.0, 0.5, 0.0, -2.0, 1.5, 0.5, 2.0],
    "a zero last": [2.0, -1.0, 0.5, 3.0, -2.0, 1.5, 0.5, 0.0],
    "two zeros": [2.0, 0.0, 0.5, 3.0, 0.0, 1.5, 0.5, 2.0],
    "two zeros side by side": [2.0, -1.0, 0.0, 0.0, -2.0, 1.5, 0.5, 2.0],
}
CUMPROD_WEIGHTS = np.array([1.0, -2.0, 0.5, 3.0, 1.0, -1.0, 2.0, 0.25])


@pytest.mark.parametrize("engine", ["numpy", "sympy", "torch", "fd"])
@pytest.mark.parametrize("name", list(CUMPROD_VECTORS))
def test_cumprod_gradient_is_the_product_rule_with_and_without_zeros(name: str, engine: str) -> None:
    v = np.array(CUMPROD_VECTORS[name])
    value = float(CUMPROD_WEIGHTS @ np.cumprod(v))
    assert_closed_form(engine, "sum(w * torch.cumprod(v, 0))", {"v": v, "w": CUMPROD_WEIGHTS}, value,
                       {"v": _product_rule(v, CUMPROD_WEIGHTS), "w": np.cumprod(v)})  # fmt: skip


def test_cumprod_gradient_along_a_middle_dimension_of_a_stack() -> None:
    rows = np.array([CUMPROD_VECTORS["no zero"], CUMPROD_VECTORS["a zero inside"], CUMPROD_VECTORS["two zeros"]])
    stack = np.stack([rows.T, -rows.T])  # 2 x 8 x 3: the products run along dim 1
    expected = np.stack([np.stack([_product_rule(column, np.ones(8)) for column in sheet.T], axis=1) for sheet in stack])
    assert_closed_form("numpy", "sum(torch.cumprod(s, 1))", {"s": stack}, np.cumprod(stack, axis=1).sum(), {"s": expected})


@pytest.mark.parametrize("name", ["no zero", "a zero inside", "two zeros side by side"])
def test_cumprod_hessian_with_and_without_zeros(name: str) -> None:
    """d2/dv_j dv_m of sum_i prod_{k <= i} v_k: the sum over i >= max(j, m) of the product without v_j and v_m (0 on the diagonal)."""
    v = np.array(CUMPROD_VECTORS[name])
    n = len(v)

    def entry(j: int, m: int) -> float:
        return 0.0 if j == m else sum(math.prod(v[k] for k in range(i + 1) if k not in (j, m)) for i in range(max(j, m), n))

    expected = np.array([[entry(j, m) for m in range(n)] for j in range(n)])
    np.testing.assert_array_equal(second.hessian(parse("sum(torch.cumprod(v, 0))"), {"v": v}, "float64", ("v",))["v", "v"], expected)


def test_cumprod_gradient_of_100000_elements_takes_linear_memory() -> None:
    """Ones with a zero at z: d/dv_j of sum(cumprod(v)) is z - j before it, n - z at it, 0 after (no n x n matrix: 80 GB here)."""
    import time
    import tracemalloc

    from verifygrad.engines import run_engine

    n, z = 100_000, 60_000
    v = np.ones(n)
    v[z] = 0.0
    problem = make_problem("sum(torch.cumprod(v, 0))", v=v)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = run_engine("numpy", problem)
        seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.ok, result.reason
    expected = np.concatenate([z - np.arange(z), [n - z], np.zeros(n - z - 1)])
    np.testing.assert_array_equal(result.grads["v"], expected)
    assert peak < 40 * v.nbytes, f"peak {peak / 2**20:.0f} MiB"
    assert seconds < 5, f"{seconds:.1f} s"
