"""Agreement counted per quantity and per element: an element fewer than two independent engines vouch for is not verified.

An engine vouches for an element where its own number there is within tolerance of the
reference's (the reference vouches for all of its own).  Not agreement: an element the
engine doubts (fd at a kink or the edge of the domain), an element it gives a different
valid subgradient for (excused at a kink, not confirmed), and fd's value, which is the
numpy engine's float64 forward pass and no engine of its own.
"""

from __future__ import annotations

import numpy as np

from verifygrad.cases.second_order import describe
from verifygrad.engines import EngineResult
from verifygrad.verdict.compare import agreeing, has_array, quantity_of

NO_VALUE_OF_ITS_OWN = frozenset({"fd"})  # engines whose value row is another engine's forward pass


def vouching(results: dict[str, EngineResult], quantity: str, reference: str, shape: tuple[int, ...],
             rtol: float, atol: float) -> dict[str, np.ndarray]:  # fmt: skip
    """Per engine that produced the quantity, the elements where it agrees with the reference."""
    expected = np.broadcast_to(np.asarray(quantity_of(results[reference], quantity), np.float64), shape)
    found = {}
    for name, result in results.items():
        if not result.ok or (quantity == "value" and name in NO_VALUE_OF_ITS_OWN):
            continue
        if not (has_array(result, quantity) or quantity in result.directional):
            continue
        found[name] = np.ones(shape, dtype=bool) if name == reference else agreeing(result, quantity, expected, rtol, atol)
    return found


def unverified(results: dict[str, EngineResult], quantity: str, reference: str, shape: tuple[int, ...],
               rtol: float, atol: float) -> tuple[np.ndarray, str]:  # fmt: skip
    """The elements fewer than two engines vouch for (finite reference elements only), and a sentence naming the first."""
    by_engine = vouching(results, quantity, reference, shape, rtol, atol)
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
        return f"{engine} differs there (excused at a kink)"
    return ""
