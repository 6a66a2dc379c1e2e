"""Agreement counted per quantity and per element: an element fewer than two independent engines vouch for is not verified.

An engine vouches for an element where its own number there is within tolerance of the
reference's (the reference vouches for all of its own).  Not agreement: an element the
engine doubts (fd at a kink or the edge of the domain), an element it gives a different
valid subgradient for (excused at a kink, not confirmed), and fd's value, which is the
numpy engine's float64 forward pass and no engine of its own.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from verifygrad.cases.second_order import describe
from verifygrad.engines import EngineResult
from verifygrad.verdict.compare import agreeing, has_array, quantity_of, reference_engine

NO_VALUE_OF_ITS_OWN = frozenset({"fd"})  # engines whose value row is another engine's forward pass


def vouching(results: dict[str, EngineResult], quantity: str, reference: str, shape: tuple[int, ...],
             rtol: float, atol: float, bounds: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Per engine that produced the quantity, the elements where it agrees with the reference.

    ``bounds``: at the elements a kink moves (lenient mode), the valid subgradients: an engine whose own
    number there is one of them vouches for "a valid subgradient", as the reference's does.
    """
    expected = np.broadcast_to(np.asarray(quantity_of(results[reference], quantity), np.float64), shape)
    found = {}
    for name, result in results.items():
        if not result.ok or (quantity == "value" and name in NO_VALUE_OF_ITS_OWN):
            continue
        if not (has_array(result, quantity) or quantity in result.directional):
            continue
        found[name] = np.ones(shape, dtype=bool) if name == reference else agreeing(result, quantity, expected, rtol, atol)
        if bounds is not None and name != reference and has_array(result, quantity) and quantity not in result.directional:
            low, high = (np.broadcast_to(np.asarray(b, np.float64), shape) for b in bounds)
            actual = np.broadcast_to(np.asarray(quantity_of(result, quantity), np.float64), shape)
            slack = atol + rtol * np.maximum(np.abs(low), np.abs(high))
            doubted = np.broadcast_to(np.asarray(result.unchecked.get(quantity, False), bool), shape)
            found[name] = found[name] | ((low != high) & (actual >= low - slack) & (actual <= high + slack) & ~doubted)
    return found


def unverified(results: dict[str, EngineResult], quantity: str, reference: str, shape: tuple[int, ...],
               rtol: float, atol: float, bounds: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, str]:  # fmt: skip
    """The elements fewer than two engines vouch for (finite reference elements only), and a sentence naming the first."""
    by_engine = vouching(results, quantity, reference, shape, rtol, atol, bounds)
    count = sum((mask.astype(int) for mask in by_engine.values()), np.zeros(shape, dtype=int))
    finite = np.isfinite(np.broadcast_to(np.asarray(quantity_of(results[reference], quantity), np.float64), shape))
    missing = (count < 2) & finite
    if not missing.any():
        return missing, ""
    index = tuple(int(i) for i in np.argwhere(missing)[0]) if shape else ()
    name = describe(quantity) + (f"[{','.join(map(str, index))}]" if index else "")
    more = f" (and {int(missing.sum()) - 1} more)" if missing.sum() > 1 else ""
    alone = [engine for engine, mask in by_engine.items() if mask[index]]
    said = f"only {alone[0]}'s number" if alone else "no engine's number"
    left = [_why_left_out(engine, results[engine], quantity, index) for engine in results if engine not in alone and results[engine].ok]
    left = [why for why in left if why]
    return missing, f"{name}{more}: {said}, at least two engines must agree" + (f" ({'; '.join(left)})" if left else "")


def _why_left_out(engine: str, result: EngineResult, quantity: str, index: tuple[int, ...]) -> str:
    """Why an engine does not vouch for an element: 'fd doubted it', 'fd's value is numpy's forward pass'."""
    if quantity == "value" and engine in NO_VALUE_OF_ITS_OWN:
        return f"{engine}'s value is the numpy forward pass"
    doubted = result.unchecked.get(quantity)
    if doubted is not None and (quantity in result.directional or np.asarray(doubted)[index]):
        return f"{engine} left it out: not smooth within its step"
    if has_array(result, quantity) or quantity in result.directional:
        return f"{engine} differs there"
    return ""


def unanimous_nan(results: dict[str, EngineResult], quantity: str) -> dict[str, EngineResult]:
    """The results, the reference's element NaN where every other engine's is NaN: not verified, as in first order.

    NOTE: SymPy may keep a finite 0 (the off-diagonal Hessian entry of sum(sqrt(x)) at negative x, where
    the function is undefined) while every float engine's NaN spreads; no second engine confirms it.
    """
    reference = reference_engine(results, quantity)
    if reference is None or quantity == "value":
        return results
    others = [np.asarray(quantity_of(r, quantity), np.float64) for name, r in results.items() if name != reference and has_array(r, quantity)]
    if not others:
        return results
    mask = np.logical_and.reduce([np.isnan(other) for other in others])
    if not mask.any():
        return results
    grads = {**results[reference].grads, quantity: np.where(mask, np.nan, results[reference].grads[quantity])}
    return {**results, reference: dataclasses.replace(results[reference], grads=grads)}
