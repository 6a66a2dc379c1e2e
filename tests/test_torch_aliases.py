"""torch's other names for a spelling (issue 21): the ``_copy`` twins of views, ``unsafe_split``/``unsafe_chunk``,
``split_with_sizes``, and ``conj``/``real``/``resolve_conj``/``resolve_neg`` of a real tensor. Each is held to the
closed form of what torch documents for it (values moved, gradient moved back), in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

X = np.random.default_rng(2131).normal(size=(3, 4))
M12 = np.random.default_rng(2132).normal(size=(12,))


def weighted(expr: str, result: np.ndarray) -> tuple[str, dict, float, np.ndarray]:
    """sum(expr * m) with m of the result's shape: the value, and m as the weight to move back into x's place."""
    m = np.arange(1.0, result.size + 1).reshape(result.shape) / 7
    return f"({expr} * m).sum()", {"x": X, "m": m}, float((result * m).sum()), m


def moved_back(positions: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The gradient in x of sum(x.flat[positions] * m): each weight added at the element it came from."""
    grad = np.zeros(X.size)
    np.add.at(grad, positions.reshape(-1), m.reshape(-1))
    return grad.reshape(X.shape)


FLAT = np.arange(X.size).reshape(X.shape)  # each element's position in x, moved as the values are
CASES = [
    ("torch.view_copy(x, (2, 6))", FLAT.reshape(2, 6)),
    ("torch.unsqueeze_copy(x, 1)", FLAT[:, None, :]),
    ("torch.squeeze_copy(x[None])", FLAT),
    ("torch.expand_copy(x[None], (2, 3, 4))", np.broadcast_to(FLAT, (2, 3, 4))),
    ("torch.diagonal_copy(x, offset=1)", np.diagonal(FLAT, 1)),
    ("torch.narrow_copy(x, 1, 1, 2)", FLAT[:, 1:3]),
    ("torch.permute_copy(x, (1, 0))", FLAT.T),
    ("torch.t_copy(x)", FLAT.T),
    ("torch.transpose_copy(x, -1, 0)", FLAT.T),
    ("torch.unbind_copy(x, 1)[2]", FLAT[:, 2]),
    ("torch.unfold_copy(x, 1, 2, 2)", np.stack([FLAT[:, 0:2], FLAT[:, 2:4]], axis=1)),
    ("torch.alias_copy(x)", FLAT),
    ("torch.split_with_sizes(x, [1, 3], 1)[1]", FLAT[:, 1:]),
    ("torch.split_with_sizes_copy(x, (2, 1))[0]", FLAT[:2]),
    ("torch.unsafe_split(x, 2, 1)[1]", FLAT[:, 2:]),
    ("torch.unsafe_chunk(x, 2)[1]", FLAT[2:]),
    ("torch.conj(x)", FLAT),
    ("x.conj_physical()", FLAT),
    ("torch.resolve_conj(x)", FLAT),
    ("torch.resolve_neg(x)", FLAT),
    ("torch.real(x)", FLAT),
]


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "positions"), CASES, ids=[case[0] for case in CASES])
def test_alias_moves_values_and_gradient_as_its_view(engine: str, expr: str, positions: np.ndarray) -> None:
    text, inputs, value, m = weighted(expr, X.reshape(-1)[positions])
    assert_closed_form(engine, text, inputs, value, {"x": moved_back(positions, m)})
