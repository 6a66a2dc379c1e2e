"""A Hessian that is not symmetric is a finding in itself: ∂²f/∂x∂y = ∂²f/∂y∂x wherever f is twice differentiable."""

from __future__ import annotations

import math

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import hessian_key
from verifygrad.engines import EngineResult
from verifygrad.verdict.compare import compare_arrays


def asymmetries(problem: Problem, results: dict[str, EngineResult], tolerances: dict[str, tuple[float, float]]) -> list[str]:
    """One sentence per engine whose Hessian blocks are not each other's transposes, naming the worst pair of elements.

    NOTE: fd is left out: it differences each pair of elements once, so its blocks are symmetric by construction.
    """
    found = []
    shapes = {name: problem.inputs[name].shape for name in problem.wrt}
    for engine, result in results.items():
        if engine == "fd" or not result.ok:
            continue
        for i, x in enumerate(problem.wrt):
            for y in problem.wrt[i:]:
                key, other = hessian_key(x, y), hessian_key(y, x)
                if key not in result.grads or other not in result.grads:
                    continue
                size_x, size_y = math.prod(shapes[x]), math.prod(shapes[y])
                block = result.grads[key].reshape(size_x, size_y)
                mirrored = result.grads[other].reshape(size_y, size_x).T
                difference = compare_arrays(block, mirrored, *tolerances[key])
                if not difference.ok:
                    a, b = (np.unravel_index(k, s) for k, s in zip(difference.worst, (shapes[x], shapes[y])))
                    at, back = _element(key, (*a, *b)), _element(other, (*b, *a))
                    found.append(f"{engine}'s Hessian is not symmetric: {at} = {difference.actual:.6g} but {back} = {difference.expected:.6g}")
    return found


def _element(key: str, index: tuple) -> str:
    return f"{key}[{','.join(str(int(i)) for i in index)}]" if index else key
