"""Compare arrays under a tolerance, and every engine with the reference. Returns data, never prints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifygrad.cases.second_order import describe
from verifygrad.engines import EngineResult

REFERENCE_ORDER = ("sympy", "numpy", "torch")  # the exact engine first; fd is never the reference


@dataclass(frozen=True)
class Difference:
    """How far ``actual`` is from ``expected``, and where it is worst."""

    ok: bool
    max_abs: float
    max_rel: float
    worst: tuple[int, ...]  # index of the element furthest over (or nearest to) its allowance
    actual: float
    expected: float
    allowed: float  # atol + rtol*|expected| at the worst element
    max_ulp: float = 0.0  # largest error in units in the last place of the case's dtype (see ulp_error)


def ulp_error(actual: np.ndarray | float, expected: np.ndarray | float, dtype: str = "float64") -> np.ndarray:
    """|actual - expected| in units in the last place of ``expected`` rounded to ``dtype``.

    NOTE: at expected = 0 a unit in the last place is the smallest subnormal, so any
    nonzero error is astronomically many ULP there: read it next to the absolute error.
    """
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        spacing = np.abs(np.spacing(expected.astype(dtype))).astype(np.float64)
        ulp = np.abs(actual - expected) / spacing
        same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    return np.where(same, 0.0, np.where(np.isnan(ulp), np.inf, ulp))


def compare_arrays(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, dtype: str = "float64") -> Difference:
    """|actual - expected| <= atol + rtol*|expected| elementwise; NaN matches only NaN; ULP in ``dtype``."""
    actual, expected = np.broadcast_arrays(np.asarray(actual, np.float64), np.asarray(expected, np.float64))
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(actual - expected)
        allowed = atol + rtol * np.abs(expected)
        same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
        error = np.where(same, 0.0, np.where(np.isnan(error), np.inf, error))
        relative = np.where(error == 0, 0.0, error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny))
        excess = error / np.maximum(allowed, np.finfo(np.float64).tiny)
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.size else ()
    worst = tuple(int(i) for i in worst)
    return Difference(
        ok=bool(np.all(same | (error <= allowed))),  # NOTE: at a NaN reference, allowed is NaN too
        max_abs=float(error.max(initial=0.0)),
        max_rel=float(relative.max(initial=0.0)),
        worst=worst,
        actual=float(actual[worst]) if actual.size else 0.0,
        expected=float(expected[worst]) if expected.size else 0.0,
        allowed=float(allowed[worst]) if allowed.size else atol,
        max_ulp=float(ulp_error(actual, expected, dtype).max(initial=0.0)),
    )


def nonfinite_text(reference: np.ndarray, quantity: str) -> str:
    """'∂/∂x[0] is inf' where the reference is not finite (such a quantity cannot be verified), else ''."""
    bad = ~np.isfinite(np.asarray(reference, np.float64))
    if not bad.any():
        return ""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    name = describe(quantity)
    element = f"[{','.join(map(str, index))}]" if index else ""
    more = f" (and {int(bad.sum()) - 1} more)" if bad.sum() > 1 else ""
    return f"{name}{element} is {np.asarray(reference, np.float64)[index]}{more}"


def reference_engine(results: dict[str, EngineResult], quantity: str = "value") -> str | None:
    """The engine the others are measured against: the exact one where it ran (else SymPy's float64, else the first).

    NOTE: an engine may run and still leave a second-order quantity out (SymPy, when it is too large to expand).
    """
    ran = [name for name in REFERENCE_ORDER if name in results and has_array(results[name], quantity)]
    ran += [name for name in results if has_array(results[name], quantity) and name not in ran and name != "fd"]
    return ran[0] if ran else None


def has_array(result: EngineResult, quantity: str) -> bool:
    """Whether the engine ran and found this quantity as an array (not only along fd's directions)."""
    return result.ok and (quantity == "value" or quantity in result.grads)


def quantity_of(result: EngineResult, quantity: str) -> np.ndarray:
    """An engine's array for ``quantity``: "value" or an input's name (its gradient)."""
    return result.value if quantity == "value" else result.grads[quantity]


def compare_engines(results: dict[str, EngineResult], quantity: str, rtol: float, atol: float,
                    dtype: str = "float64") -> tuple[str | None, dict[str, Difference]]:  # fmt: skip
    """The reference engine and each engine's difference from it for one quantity."""
    reference = reference_engine(results, quantity)
    if reference is None:
        return None, {}
    expected = quantity_of(results[reference], quantity)
    found = {name: result for name, result in results.items() if has_array(result, quantity) or result.ok and quantity in result.directional}
    return reference, {name: compare_engine(result, quantity, expected, rtol, atol, dtype) for name, result in found.items()}


def agreeing(result: EngineResult, quantity: str, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Per element of ``expected``, whether this engine's own number there is within tolerance of it.

    NOTE: what the engine doubts (fd at a kink) is no agreement; an engine along random directions
    (fd on a large input) vouches for every element, or none where a direction is off or doubted.
    """
    expected = np.asarray(expected, np.float64)
    if result.engine == "fd":
        from verifygrad.engines.fd_engine import fd_tolerance

        rtol, atol = fd_tolerance(rtol, atol, quantity)
    atol = atol + result.rounding[quantity] if quantity in result.rounding else atol
    doubted = result.unchecked.get(quantity)
    if quantity in result.directional:
        directions, actual = result.directional[quantity]
        projected = np.tensordot(directions, expected, axes=expected.ndim)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.abs(actual - projected) <= atol + rtol * np.abs(projected)
        trusted = bool(np.all(close)) and (doubted is None or not np.any(doubted))
        return np.full(expected.shape, trusted)
    actual = np.broadcast_to(np.asarray(quantity_of(result, quantity), np.float64), expected.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (actual == expected) | (np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    return close & ~np.broadcast_to(np.asarray(doubted, bool), expected.shape) if doubted is not None else close


def compare_engine(result: EngineResult, quantity: str, expected: np.ndarray, rtol: float, atol: float, dtype: str,
                   ignore: np.ndarray | None = None) -> Difference:  # fmt: skip
    """One engine against the reference; fd under its own tolerance, along its directions where it has no array.

    ``ignore``: elements left out (as if equal), where the quantity does not exist.
    """
    if result.engine == "fd":
        from verifygrad.engines.fd_engine import fd_tolerance

        rtol, atol = fd_tolerance(rtol, atol, quantity)
    atol = atol + result.rounding[quantity] if quantity in result.rounding else atol  # the engine's own rounding, per number
    if quantity in result.directional:
        directions, actual = result.directional[quantity]
        expected = np.tensordot(directions, np.asarray(expected, np.float64), axes=expected.ndim)
    else:
        actual = quantity_of(result, quantity)
    if quantity in result.unchecked:  # numbers the engine doubts are left out: as if equal
        actual = np.where(result.unchecked[quantity], expected, actual)
    # NOTE: where the reference is not finite nothing can be verified (the quantity says so): left out too.
    actual = np.where(np.isfinite(expected), actual, expected)
    if ignore is not None:
        actual = np.where(np.broadcast_to(ignore.all(), np.shape(actual)) if quantity in result.directional else ignore, expected, actual)
    return compare_arrays(actual, expected, rtol, atol, dtype)
