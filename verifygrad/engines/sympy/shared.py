"""One SymPy run per distinct problem: work that depends only on ``Problem.exact_key`` is done once.

A float32 copy of a float64 case, a case repeated with another device, or the claims of one case
ask SymPy the same question: the same program at the same inputs as written. The answer is kept
(in the process that computed it: the SymPy worker, or this one under ``--time-limit 0``) and
each later asker gets a copy of it. Only small problems are kept: above ``KEPT_MAX_ELEMENTS`` the
evaluation, not the derivation, is the work, and the derivation is cached by structure anyway.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from verifygrad.cases.problem import Problem
from verifygrad.process import limits

KEPT_MAX_ELEMENTS = 4096  # the scalar rule's exact range: where symbolic work dominates a case
KEPT = 256  # answers kept, least recently used dropped first

Answer = TypeVar("Answer")
_kept: OrderedDict[Hashable, object] = OrderedDict()


def once(kind: str, problem: Problem, compute: Callable[[], Answer], *extra: Hashable) -> Answer:
    """``compute()``, or a copy of what it gave for a problem with the same exact key (and ``extra``).

    An exception is not kept: a skip or a failure is found again by the next asker.
    """
    if sum(value.size for value in problem.inputs.values()) > KEPT_MAX_ELEMENTS:
        return compute()
    key = (kind, problem.exact_key, limits.current(), *extra)
    if key in _kept:
        _kept.move_to_end(key)
        return copy.deepcopy(_kept[key])  # NOTE: a copy: askers may change their answer (seconds, slimming)
    answer = compute()
    _kept[key] = copy.deepcopy(answer)
    if len(_kept) > KEPT:
        _kept.popitem(last=False)
    return answer
