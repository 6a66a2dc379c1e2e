"""Eigendecompositions, SVD, QR, pinv and lstsq (issue 21): values and gradients against closed forms in every engine,
the sign convention of the vectors, and "not verified" where eigenvalues (singular values) meet."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from tests.helpers import assert_closed_form, make_problem
from verifygrad.cases.load import Case
from verifygrad.engines import run_engine
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import PASSED, SKIPPED

ENGINES = ["numpy", "torch", "fd", "sympy"]
CASES = Path(__file__).resolve().parent.parent / "cases"
A, B, C = 3.0, 0.5, 1.0  # the symmetric [[a, b], [b, c]]
SYMMETRIC = [[A, -7.0], [B, C]]  # NOTE: the upper triangle is never read (UPLO='L'): its gradient is 0


def eigenvalue_closed_form(sign: int) -> tuple[float, np.ndarray]:
    """(a + c)/2 ± r with r = sqrt(((a - c)/2)^2 + b^2); b counts twice (it stands for both off-diagonal elements)."""
    r = math.hypot((A - C) / 2, B)
    grad = np.array([[0.5 + sign * (A - C) / (4 * r), 0.0], [sign * B / r, 0.5 - sign * (A - C) / (4 * r)]])
    return (A + C) / 2 + sign * r, grad


@pytest.mark.parametrize("engine", ENGINES)
def test_eigvalsh_of_a_2x2_symmetric_matrix(engine: str) -> None:
    low, low_grad = eigenvalue_closed_form(-1)
    high, high_grad = eigenvalue_closed_form(+1)
    expr = "torch.linalg.eigvalsh(S)[1] + 2 * torch.linalg.eigh(S)[0][0]"
    assert_closed_form(engine, expr, {"S": SYMMETRIC}, high + 2 * low, {"S": high_grad + 2 * low_grad})
    assert_closed_form(engine, "np.linalg.eigvalsh(S, UPLO='U')[1]", {"S": np.transpose(SYMMETRIC)}, high, {"S": high_grad.T})


@pytest.mark.parametrize("engine", ENGINES)
def test_eigenvector_of_a_2x2_symmetric_matrix(engine: str) -> None:
    """The top eigenvector is (cos t, sin t), t = atan2(2b, a - c)/2: its first component, the larger, is positive."""
    theta = math.atan2(2 * B, A - C) / 2
    denominator = (A - C) ** 2 + 4 * B * B
    dtheta = {"a": -B / denominator, "b": (A - C) / denominator, "c": B / denominator}
    grad = -math.sin(theta) * np.array([[dtheta["a"], 0.0], [dtheta["b"], dtheta["c"]]])
    assert_closed_form(engine, "torch.linalg.eigh(S).eigenvectors[0, 1]", {"S": SYMMETRIC}, math.cos(theta), {"S": grad})


TALL = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("engine", ENGINES)
def test_svdvals_and_singular_vectors_of_a_matrix_with_orthogonal_columns(engine: str) -> None:
    """s_k = |column k| here, with gradient u_k v_k^T: e_1 e_1^T and e_2 e_2^T."""
    grad = np.zeros((3, 2))
    grad[0, 0], grad[1, 1] = 1.0, 2.0
    assert_closed_form(engine, "torch.linalg.svdvals(M)[0] + 2 * torch.linalg.svd(M, full_matrices=False).S[1]", {"M": TALL}, 5.0, {"M": grad})
    # M M^T gains the coupling e between rows 0 and 1 from M[0, 1] = e (3e from M[1, 0] = e): its second eigenvector,
    # U's second column, turns to (-e/8, 1) (-3e/8), 8 = s1^2 - s2^2; its larger component stays positive.
    grad = np.zeros((3, 2))
    grad[0, 1], grad[1, 0] = -1.0 / 8, -3.0 / 8
    assert_closed_form(engine, "torch.linalg.svd(M, full_matrices=False)[0][0, 1]", {"M": TALL}, 0.0, {"M": grad})
    # M^T M gains the coupling 3e from M[0, 1] = e (e from M[1, 0]): V's first column, Vh's first row, turns to (1, 3e/8)
    grad = np.zeros((3, 2))
    grad[0, 1], grad[1, 0] = 3.0 / 8, 1.0 / 8
    assert_closed_form(engine, "torch.linalg.svd(M, full_matrices=False)[2][0, 1]", {"M": TALL}, 0.0, {"M": grad})


SQUARE = np.array([[2.0, 1.0], [-0.5, 1.5]])


@pytest.mark.parametrize("engine", ENGINES)
def test_nuclear_and_spectral_norms_of_a_2x2_matrix(engine: str) -> None:
    """s1 + s2 = sqrt(F + 2|D|), s1 = sqrt((F + sqrt(F^2 - 4 D^2)) / 2), F the squared Frobenius norm, D the determinant."""
    (a, b), (c, d) = SQUARE
    f, det = float((SQUARE**2).sum()), a * d - b * c
    cofactor = np.array([[d, -c], [-b, a]])
    nuclear = math.sqrt(f + 2 * abs(det))
    nuclear_grad = (SQUARE + np.sign(det) * cofactor) / nuclear
    root = math.sqrt(f * f - 4 * det * det)
    top = math.sqrt((f + root) / 2)
    top_grad = (2 * SQUARE + (2 * f * SQUARE - 4 * det * cofactor) / root) / (4 * top)
    assert_closed_form(engine, "torch.linalg.matrix_norm(M, 'nuc')", {"M": SQUARE}, nuclear, {"M": nuclear_grad})
    assert_closed_form(engine, "torch.linalg.norm(M, 2) + np.linalg.norm(M, 'nuc')", {"M": SQUARE}, top + nuclear, {"M": top_grad + nuclear_grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_qr_of_a_2x2_matrix_with_lapacks_signs(engine: str) -> None:
    """The first reflection maps (a, c) to (-sign(a) r, 0), r = |(a, c)|: Q[0, 0] = -a/r, R[0, 1] = -(a b + c d)/r."""
    (a, b), (c, d) = SQUARE
    r = math.hypot(a, c)
    assert_closed_form(engine, "torch.linalg.qr(M)[0][0, 0]", {"M": SQUARE}, -a / r, {"M": np.array([[-(c**2) / r**3, 0.0], [a * c / r**3, 0.0]])})
    dot = a * b + c * d
    grad = np.array([[-b / r + dot * a / r**3, -a / r], [-d / r + dot * c / r**3, -c / r]])
    assert_closed_form(engine, "torch.linalg.qr(M).R[0, 1]", {"M": SQUARE}, -dot / r, {"M": grad})


FULL_RANK = np.array([[1.0, 2.0], [0.3, -1.0], [1.5, 0.4]])
WEIGHTS = np.arange(1.0, 7.0).reshape(2, 3) / 7
RIGHT = np.array([1.0, 2.0, -1.0])


@functools.cache
def normal_equations() -> tuple[tuple[float, dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]]:
    """sum(P * W) and sum(P @ y) with P = inv(M^T M) M^T, and their gradients, by SymPy from the symbols up."""
    symbols = sp.Matrix(3, 2, sp.symbols("m:6"))
    y = sp.Matrix(sp.symbols("y:3"))
    p = (symbols.T * symbols).inv() * symbols.T
    at = {**dict(zip(symbols, map(sp.Rational, FULL_RANK.ravel()))), **dict(zip(y, map(sp.Rational, RIGHT)))}

    def evaluated(f: sp.Expr, with_y: bool) -> tuple[float, dict[str, np.ndarray]]:
        grads = {"M": np.array([float(sp.diff(f, s).subs(at)) for s in symbols]).reshape(3, 2), "W": np.zeros((2, 3)), "y": np.zeros(3)}
        if with_y:
            grads["y"] = np.array([float(sp.diff(f, s).subs(at)) for s in y])
        return float(f.subs(at)), grads

    pinv_sum = sum(p[i, j] * sp.Rational(WEIGHTS[i, j]) for i in range(2) for j in range(3))
    return evaluated(pinv_sum, False), evaluated(sum(p * y), True)


@pytest.mark.parametrize("engine", ENGINES)
def test_pinv_and_lstsq_of_a_full_rank_tall_matrix_are_the_normal_equations(engine: str) -> None:
    inputs = {"M": FULL_RANK, "W": WEIGHTS, "y": RIGHT}
    (value, grads), (solution, solution_grads) = normal_equations()
    assert_closed_form(engine, "(torch.linalg.pinv(M) * W).sum() + 0 * y.sum()", inputs, value, {"M": grads["M"], "y": grads["y"]})
    value, grads = solution, solution_grads
    assert_closed_form(engine, "torch.linalg.lstsq(M, y)[0].sum() + 0 * W.sum()", inputs, value, {"M": grads["M"], "y": grads["y"]})
    assert_closed_form(engine, "np.linalg.lstsq(M, y, rcond=None)[0].sum() + 0 * W.sum()", inputs, value, {"M": grads["M"], "y": grads["y"]})


@pytest.mark.parametrize(
    ("expr", "inputs", "why"),
    [
        ("torch.linalg.eigh(S)[1].sum()", {"S": [[2.0, 0.0], [0.0, 2.0]]}, "not verified: repeated eigenvalues"),
        ("torch.linalg.eigvalsh(S)[0]", {"S": [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]}, "not verified: repeated eigenvalues"),
        ("torch.linalg.svd(M, full_matrices=False)[0].sum()", {"M": [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]}, "not verified: repeated singular values"),
        ("torch.linalg.matrix_norm(M, 'nuc')", {"M": [[1.0, 2.0], [2.0, 4.0]]}, "not verified: a singular value of 0"),
        ("torch.linalg.pinv(M).sum()", {"M": [[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]}, "not verified: pinv keeps some singular values and cuts off others"),
    ],
)
def test_where_eigenvalues_or_singular_values_meet_nothing_is_verified(expr: str, inputs: dict, why: str) -> None:
    outcome = check_case(Case("meet", expr, inputs, "<test>", 1))
    assert outcome.verdict == SKIPPED
    assert all(why in reason for reason in outcome.reasons[1:]), outcome.reasons
    assert {reason.split(" ")[0] for reason in outcome.reasons[1:]} == {"sympy", "numpy", "torch", "fd"}


def test_vectors_have_their_largest_component_positive_in_every_engine() -> None:
    """LAPACK's own signs are its choice; verifygrad's are fixed: each eigenvector's (left singular vector's) largest
    component positive, and the right singular vector flipped with its left one."""
    s = np.array([[2.0, -1.0, 0.3], [-1.0, 3.0, 0.5], [0.3, 0.5, -1.0]])
    for expr, check in [
        ("torch.linalg.eigh(S)[1]", lambda v: v),
        ("torch.linalg.svd(S)[0]", lambda v: v),
        ("torch.linalg.svd(S)[0] @ torch.diag(torch.linalg.svd(S)[1]) @ torch.linalg.svd(S)[2]", None),
    ]:
        for engine in ENGINES[:2] + ENGINES[3:]:
            value = run_engine(engine, make_problem(f"{expr} * w", S=s, w=np.ones((3, 3)))).value
            if check is None:
                np.testing.assert_allclose(value, s, atol=1e-12)
            else:
                largest = np.take_along_axis(value, np.argmax(np.abs(value), axis=0)[None], axis=0)
                assert np.all(largest > 0), (engine, expr, value)


def test_a_program_unpacks_a_decomposition_as_python_does() -> None:
    program = "\n".join(
        [
            "L, Q = torch.linalg.eigh(S)",
            "U, s, Vh = torch.linalg.svd(S)",
            "Q2, R = torch.linalg.qr(S)",
            "(L * (Q**2).sum(0)).sum() + s.sum() + (U @ Vh).trace() + R.trace()",
        ]
    )
    outcome = check_case(Case("unpacked", program, {"S": [[2.0, -1.0, 0.3], [-1.0, 3.0, 0.5], [0.3, 0.5, -1.0]]}, "<test>", 1))
    assert outcome.verdict == PASSED, outcome.reasons


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("torch.linalg.qr(M, mode='complete')[0]", "Q's columns beyond n = 2 are any completion"),
        ("torch.linalg.eigh(M[:2])[2]", "eigh() results read here: [0] eigenvalues, [1] eigenvectors"),
        ("torch.linalg.lstsq(M, M)[1]", "lstsq() results read here: [0] solution"),
    ],
)
def test_what_has_no_one_answer_is_refused_with_a_reason(expr: str, message: str) -> None:
    outcome = check_case(Case("refused", expr, {"M": TALL.tolist()}, "<test>", 1))
    assert outcome.verdict == "error" and message in outcome.reasons[0], outcome.reasons


def test_singular_vectors_beyond_min_m_n_are_nan_and_sliced_away_harmless() -> None:
    """full_matrices=True (numpy's default) completes U of a tall matrix with any orthonormal columns, each library its
    own: nan here, so using them is not verified, and slicing them away (as torch's own tests do) is verified."""
    used = check_case(Case("used", "torch.linalg.svd(M)[0].abs().sum()", {"M": FULL_RANK.tolist()}, "<test>", 1))
    assert used.verdict == SKIPPED and "not a finite number" in " ".join(used.reasons), used.reasons
    sliced = check_case(Case("sliced", "np.linalg.svd(M)[0][:, :2].abs().sum() + torch.svd(M.T, some=False)[2][:, :2].abs().sum()",
                             {"M": FULL_RANK.tolist()}, "<test>", 1))  # fmt: skip
    assert sliced.verdict == PASSED, sliced.reasons


def test_the_verbose_report_of_a_hessian_sympy_leaves_to_the_others() -> None:
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main

    result = CliRunner().invoke(main, ["run", str(CASES / "decompositions.yaml"), "-v"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "6 passed, 0 failed" in result.output


def test_a_decomposition_with_no_value_still_has_a_shape_and_decides_nothing() -> None:
    """A norm needs the shape of repeated eigenvalues' eigenvectors (the case is not verified, no crash); an `if` on
    them has nothing to decide on (an error naming why)."""
    identity = {"S": [[2.0, 0.0], [0.0, 2.0]]}
    outcome = check_case(Case("shape", "torch.linalg.matrix_norm(torch.linalg.eigh(S)[1], 'nuc')", identity, "<test>", 1))
    assert outcome.verdict == SKIPPED and "not verified: repeated eigenvalues" in outcome.reasons[1]
    program = "L = torch.linalg.eigvalsh(S)\nif L[0] > 0:\n    y = L.sum()\nelse:\n    y = -L.sum()\ny"
    outcome = check_case(Case("decided", program, identity, "<test>", 1))
    assert outcome.verdict == "error" and "the condition has no value to decide on at these inputs (not verified: repeated eigenvalues" in outcome.reasons[0]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 0)])
def test_decompositions_of_empty_matrices_are_empty(engine: str, shape: tuple[int, ...]) -> None:
    expr = "torch.linalg.pinv(M).sum() + torch.linalg.svdvals(M).sum() + torch.linalg.qr(M)[1].sum() + torch.linalg.svd(M, full_matrices=False)[0].sum()"
    assert_closed_form(engine, expr, {"M": np.zeros(shape)}, 0.0, {"M": np.zeros(shape)})
