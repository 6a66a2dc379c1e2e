"""What a case asks of second order and forward mode, and the names of those quantities.

``order: n`` (3 to ``MAX_ORDER``) asks for the n-th derivative ``D<n>[x]`` of a scalar output with respect to an input
of one element (higher order by nesting: reverse over reverse, create_graph, ``sp.diff``).
``hessian: true`` asks for every block ``H[x,y]`` (shape ``x.shape + y.shape``) of a scalar
output, or, above ``HESSIAN_MAX_ELEMENTS`` differentiated elements, the Hessian-vector
product ``Hv[x]`` along one seeded random direction ``v``; ``jacobian: true`` for ``J[x]``
(shape ``output.shape + x.shape``); ``jvp:`` for ``Jv``, the derivative of the output along
the given tangents.  Engines report them in ``EngineResult.grads`` under these names, so the
comparison, blame, claims and reports treat them like any gradient.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

Shape = tuple[int, ...]

HESSIAN_MAX_ELEMENTS = 100  # differentiated elements in all; above, Hessian-vector products
JACOBIAN_MAX_ELEMENTS = 10_000  # output elements times input elements
DIRECTION_SEED = 11
JVP = "Jv"
MAX_ORDER = 6  # third to sixth derivatives: each order nests one more reverse pass


def hessian_key(x: str, y: str) -> str:
    return f"H[{x},{y}]"


def hvp_key(x: str) -> str:
    return f"Hv[{x}]"


def jacobian_key(x: str) -> str:
    return f"J[{x}]"


def order_key(x: str, order: int) -> str:
    return f"D{order}[{x}]"


def is_second_order(quantity: str) -> bool:
    return quantity == JVP or quantity.startswith(("H[", "Hv[", "J[")) or re.match(r"D\d+\[", quantity) is not None


def describe(quantity: str) -> str:
    """How a report names the quantity: "the Hessian block H[x,y]", "∂/∂x" for a gradient."""
    if quantity == "value":
        return "the value"
    if quantity == JVP:
        return "the JVP Jv"
    if quantity.startswith("Hv["):
        return f"the Hessian-vector product {quantity}"
    if quantity.startswith("H["):
        return f"the Hessian block {quantity}"
    if quantity.startswith("J["):
        return f"the Jacobian {quantity}"
    if is_second_order(quantity) and quantity.startswith("D"):
        return f"the derivative of order {quantity[1 : quantity.index('[')]} {quantity}"
    return f"∂/∂{quantity}"


@dataclass(frozen=True)
class SecondOrder:
    """The second-order and forward-mode quantities a case asks for."""

    hessian: bool = False
    jacobian: bool = False
    tangents: dict[str, np.ndarray] | None = None  # per differentiated input, for Jv
    directions: dict[str, np.ndarray] | None = None  # set where the Hessian is too large: Hv along these
    gradients: bool = True  # False: a non-scalar output without grad_output, so no gradient rows
    order: int = 0  # 3 or more: the derivative of that order of a scalar output with respect to a one-element input

    def quantities(self, wrt: tuple[str, ...], shapes: dict[str, Shape], output: Shape) -> dict[str, Shape]:
        """Name and shape of each quantity, in the report's order."""
        found: dict[str, Shape] = {}
        if self.hessian and self.directions is None:
            found.update({hessian_key(x, y): shapes[x] + shapes[y] for x in wrt for y in wrt})
        elif self.hessian:
            found.update({hvp_key(x): shapes[x] for x in wrt})
        if self.jacobian:
            found.update({jacobian_key(x): output + shapes[x] for x in wrt})
        if self.tangents is not None:
            found[JVP] = output
        if self.order:
            found.update({order_key(x, self.order): shapes[x] for x in wrt})
        return found


def hessian_directions(shapes: dict[str, Shape], wrt: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """None where the full Hessian is small enough; else one seeded random direction per input, of unit scale."""
    total = sum(math.prod(shapes[name]) for name in wrt)
    if total <= HESSIAN_MAX_ELEMENTS:
        return None
    rng = np.random.default_rng(DIRECTION_SEED)
    return {name: rng.standard_normal(shapes[name]) for name in wrt}
