"""Where the forward pass lands on a point with no derivative, and where values stop being finite.

Each primitive declares its kinks in ``ops.OPS`` (``kink``: a mask of where it is not
differentiable; ``subgradients``: the valid local derivatives there, or None at a
singular point).  A kink is traced back to the input elements that feed it where
the op's argument is an input or an elementwise function of one, so the report
can say "non-differentiable at x[1]".

At a kink with a subgradient set, any answer in the set is right: engines that
disagree there but each give a valid subgradient do not mismatch.  Under
``subgradient: strict`` the derivative is taken not to exist there: the case fails,
naming the point and what each engine returned.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import JVP
from verifygrad.engines import EngineResult
from verifygrad.errors import EngineSkipped
from verifygrad.language.ops import OPS, Op, same_shape
from verifygrad.language.parse import Node
from verifygrad.verdict.budget import backward, forward
from verifygrad.verdict.compare import Difference, compare_engine, quantity_of

MAX_NAMED = 4  # elements named in one note


@dataclasses.dataclass(frozen=True)
class Kink:
    node: int
    op: str  # as the user spelled it (norm for the sqrt inside a norm)
    mask: np.ndarray  # where, in the node's output
    source: str | None  # the input whose elements feed the kink elementwise, if one does
    subgradients: tuple[float, float] | None

    def places(self) -> list[str]:
        return [element_name(self.source, index) for index in map(tuple, np.argwhere(self.mask))] if self.source else []


def element_name(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(map(str, index))}]" if index else name


def find_kinks(problem: Problem, values: list[np.ndarray]) -> list[Kink]:
    """Every node whose arguments sit exactly on one of its op's kinks, in program order."""
    found = []
    for i, node in enumerate(problem.program.nodes):
        op = OPS.get(node.op)
        if op is None or op.kink is None or not any(_varies(problem, node.args[a]) for a in op.kink_args):
            continue  # NOTE: a kink in an argument no differentiated input flows into is no kink of this case
        with np.errstate(all="ignore"):
            mask = np.broadcast_to(op.kink(*[values[j] for j in node.args], **node.attrs), problem.shapes[i])
        if mask.any():
            source = elementwise_source(problem, node.args[0], problem.shapes[i])
            if op.kink_vjps and not op.broadcasts and problem.program.nodes[node.args[0]].op == "input":
                mask, source = tied_elements(op, node, values, i), problem.program.nodes[node.args[0]].attrs["name"]
            valid = (0.0, 1.0) if op.kink_vjps else op.subgradients  # NOTE: for a tie, each tied element's share of g
            found.append(Kink(i, node.spelling or node.op, mask, source, valid))
    return found


def tied_elements(op: Op, node: Node, values: list[np.ndarray], index: int) -> np.ndarray:
    """The elements of a reduction's argument whose gradient depends on how a tie is shared: the tied ones."""
    args = [values[j] for j in node.args]
    ones = np.ones(np.shape(values[index]))
    share = [op.kink_vjps[0](ones, values[index], *args, share=end, **node.attrs) for end in (0.0, 1.0)]
    return share[0] != share[1]


def _varies(problem: Problem, index: int) -> bool:
    """Whether node ``index`` depends on a differentiated input."""
    nodes, pending, seen = problem.program.nodes, [index], set()
    while pending:
        i = pending.pop()
        if i in seen:
            continue
        seen.add(i)
        if nodes[i].op == "input" and nodes[i].attrs["name"] in problem.wrt:
            return True
        pending.extend(nodes[i].args)
    return False


def elementwise_source(problem: Problem, index: int, shape: tuple[int, ...]) -> str | None:
    """The input whose elements map one to one onto node ``index``'s, through elementwise ops with constant partners."""
    nodes, shapes = problem.program.nodes, problem.shapes
    while nodes[index].op != "input":
        node = nodes[index]
        op = OPS.get(node.op)
        if op is None or not (op.broadcasts or op.shape is same_shape):
            return None
        varying = [j for j in node.args if nodes[j].op != "const"]
        if len(varying) != 1 or shapes[varying[0]] != shape:
            return None
        index = varying[0]
    return nodes[index].attrs["name"] if shapes[index] == shape else None


def describe(kink: Kink, problem: Problem, results: dict[str, EngineResult]) -> str:
    """'non-differentiable at x[1]: relu at 0, any derivative in [0, 1] is valid; ∂/∂x[1]: sympy 0, numpy 0, torch 0'."""
    node = problem.program.nodes[kink.node]
    places = kink.places()
    where = ", ".join(places[:MAX_NAMED]) + (f" and {len(places) - MAX_NAMED} more" if len(places) > MAX_NAMED else "")
    where = where or f"an intermediate value (`{kink.op}` at {problem.program.where(kink.node)})"
    at = f"{kink.op} of 0" if node.op != "pow" else f"{kink.op} of 0 to a non-integer power"
    op = OPS[node.op]
    if op.kink_vjps:
        return f"non-differentiable at {where}: `{kink.op}` at {op.kink_text}, where any convex combination of the tied elements' gradients is valid"
    if op.kink_text:
        at = f"{kink.op} at {op.kink_text}"
    if kink.subgradients:
        low, high = kink.subgradients
        text = f"non-differentiable at {where}: {at}, where any derivative in [{low:g}, {high:g}] is valid"
    else:
        text = f"non-differentiable at {where}: {at} has no derivative (a singular point)"
    if kink.source in problem.wrt and places:
        index = tuple(int(i) for i in np.argwhere(kink.mask)[0])
        answers = ", ".join(_answer(name, r, kink.source, index) for name, r in results.items() if r.ok and kink.source in r.grads)
        text += f"; ∂/∂{element_name(kink.source, index)}: {answers}"
    return text


def _answer(engine: str, result: EngineResult, source: str, index: tuple[int, ...]) -> str:
    doubted = result.unchecked.get(source)  # fd leaves out its own number at a kink
    left_out = " (left out)" if doubted is not None and doubted[index] else ""
    return f"{engine} {quantity_of(result, source)[index]:.6g}{left_out}"


def subgradient_range(problem: Problem, values: list[np.ndarray], kinks: list[Kink]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per gradient, the lowest and highest element over the valid subgradients at each kink.

    NOTE: each kink is varied alone (the others at their engine's choice): exact for one
    kink, a hull of the corners for several.
    """
    bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kink, end in itertools.product([k for k in kinks if k.subgradients], (0, 1)):
        with np.errstate(all="ignore"):
            grads = backward(problem, values, slopes={kink.node: (kink.mask, kink.subgradients[end])})
        for name in problem.wrt:
            low, high = bounds.get(name, (grads[name], grads[name]))
            bounds[name] = (np.minimum(low, grads[name]), np.maximum(high, grads[name]))
    return bounds


def without_singular(results: dict[str, EngineResult], reference: str | None, kinks: list[Kink]) -> dict[str, EngineResult]:
    """The results, the reference's gradient nan where an input element sits on a singular point (no derivative there).

    NOTE: SymPy may simplify the singularity away (exp(log(x)) is x, sqrt(x)**2 is x), and report a
    derivative the program as written does not have; such an element cannot be verified.
    """
    singular = [k for k in kinks if k.subgradients is None and k.source is not None]
    if reference is None or not singular:
        return results
    grads = dict(results[reference].grads)
    for kink in singular:
        if kink.source in grads and np.shape(grads[kink.source]) == kink.mask.shape:
            grads[kink.source] = np.where(kink.mask, np.nan, grads[kink.source])
    return {**results, reference: dataclasses.replace(results[reference], grads=grads)}


def excuse(difference: Difference, answer: np.ndarray, reference: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], rtol: float, atol: float) -> bool:
    """True if every element outside tolerance is a valid subgradient (within the range, to tolerance)."""
    low, high = bounds
    slack = atol + rtol * np.maximum(np.abs(low), np.abs(high))
    outside = ~(np.abs(answer - reference) <= atol + rtol * np.abs(reference))
    valid = (answer >= low - slack) & (answer <= high + slack)
    return not difference.ok and bool(np.all(valid[outside]))


def analyse(problem: Problem) -> tuple[list[np.ndarray], list[Kink]]:
    """The forward values (float64, the inputs as given) and the kinks they land on."""
    try:
        with np.errstate(all="ignore"):
            values = forward(problem)
    except EngineSkipped:  # a forward pass numpy cannot do (a singular matrix): each engine reports it itself
        return [], []
    return values, find_kinks(problem, values)


def first_nonfinite(problem: Problem, values: list[np.ndarray]) -> str | None:
    """Where NaN or inf first appears in the forward pass: '`log` of 0 at x[1]', or None."""
    nodes = problem.program.nodes
    for i, node in enumerate(nodes):
        if node.op in ("input", "const") or np.all(np.isfinite(values[i])):
            continue
        args = [values[j] for j in node.args]
        if not all(np.all(np.isfinite(a)) for a in args):
            continue  # NOTE: only the first node to make a non-finite value is its origin
        if any(np.broadcast_shapes(np.shape(a), problem.shapes[i]) != problem.shapes[i] for a in args):
            # A reduction or a product (sum, matmul): no one element to point at; an empty mean divides 0 by 0.
            made = "inf (overflow)" if np.any(np.isinf(values[i])) else "nan"
            empty = " of an empty tensor" if any(np.size(a) == 0 for a in args) else ""
            return f"`{node.spelling or node.op}`{empty} (column {node.col}) gives {made} from finite arguments"
        bad = ~np.isfinite(np.broadcast_to(values[i], problem.shapes[i]))
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        arg = np.broadcast_to(args[0], problem.shapes[i])[index]
        divisor = node.op == "div"
        arg = np.broadcast_to(args[1], problem.shapes[i])[index] if divisor else arg
        source = elementwise_source(problem, node.args[1 if divisor else 0], problem.shapes[i])
        where = f" at {element_name(source, index)}" if source else f" ({problem.program.where(i)})"
        name = node.spelling or node.op
        if divisor:
            what = f"`{name}` by 0"
        elif arg == 0 or arg < 0:
            what = f"`{name}` of {'0' if arg == 0 else 'a negative entry'}"
        else:
            what = f"`{name}` overflowed at {arg:.6g}"
        return f"{what}{where} gives {values[i][index] if np.ndim(values[i]) else values[i]}"
    return None


def excuse_all(differences: dict[str, Difference], results: dict[str, EngineResult], quantity: str, reference: str,
               bounds: tuple[np.ndarray, np.ndarray], rtol: float, atol: float) -> dict[str, Difference]:  # fmt: skip
    """The differences, with each mismatch that is only a different valid subgradient marked ok."""
    expected = quantity_of(results[reference], quantity)
    return {
        engine: dataclasses.replace(d, ok=True) if excuse(d, quantity_of(results[engine], quantity), expected, bounds, rtol, atol) else d
        for engine, d in differences.items()
    }


def undefined_second_order(problem: Problem, kinks: list[Kink], quantity: str, shape: tuple[int, ...],
                           values: list[np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
    """Where a second-order quantity does not exist because of a kink: the rows and columns of the kink's elements.

    A kink with no input element of its own (an intermediate value) leaves a whole Hessian block or
    Jacobian undefined. Under a directional quantity only the elements that depend on a kink are:
    for Jv the outputs the kinked values reach, for H·v the gradient elements they reach (``values``
    given: found by making the kinked values NaN and seeing where NaN arrives).
    """
    undefined = np.zeros(shape, dtype=bool)
    if not kinks:
        return undefined
    if quantity == JVP or quantity.startswith("Hv["):
        if values is None:
            return np.ones(shape, dtype=bool)
        output, grads = _reached_by_kinks(problem, values, kinks)
        reached = output if quantity == JVP else grads[quantity[3:-1]]
        return np.broadcast_to(reached, shape).copy()
    if not quantity.startswith(("H[", "J[")):
        return undefined | True
    names = quantity[quantity.index("[") + 1 : -1].split(",")
    for kink in kinks:
        if kink.source is None or kink.mask.shape != problem.inputs[kink.source].shape:
            return np.ones(shape, dtype=bool)
        if quantity.startswith("J["):  # J[x][..., j]: the columns of x's kink elements
            if names[0] == kink.source:
                undefined |= np.broadcast_to(kink.mask, shape)
            continue
        x, y = names
        rows, columns = problem.inputs[x].ndim, problem.inputs[y].ndim
        if x == kink.source:
            undefined |= np.broadcast_to(kink.mask.reshape(kink.mask.shape + (1,) * columns), shape)
        if y == kink.source:
            undefined |= np.broadcast_to(kink.mask.reshape((1,) * rows + kink.mask.shape), shape)
    return undefined


def _reached_by_kinks(problem: Problem, values: list[np.ndarray], kinks: list[Kink]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The output elements and gradient elements that depend on a kinked value: NaN there spreads to them.

    NOTE: a gradient element depends on a kink through the kinked op's slope as well as its value: the
    slope's reach is where the subgradient range is wider than a point, the value's where NaN arrives.
    """
    moved = list(values)
    first = min(kink.node for kink in kinks)
    with np.errstate(all="ignore"):
        for kink in kinks:
            moved[kink.node] = np.where(kink.mask, np.nan, np.broadcast_to(moved[kink.node], kink.mask.shape))
        for i in range(first + 1, len(moved)):
            node = problem.program.nodes[i]
            if node.op in ("input", "const") or any(kink.node == i for kink in kinks):
                continue
            moved[i] = np.asarray(OPS[node.op].forward(*[moved[j] for j in node.args], **node.attrs))
        grads = backward(problem, moved)
        low_high = subgradient_range(problem, values, kinks)
    output = np.isnan(np.asarray(moved[-1], np.float64)) & ~np.isnan(np.asarray(values[-1], np.float64))
    reached = {}
    for name in problem.wrt:
        nan = np.isnan(np.asarray(grads[name], np.float64))
        low, high = low_high.get(name, (0.0, 0.0))
        reached[name] = nan | (np.asarray(low) != np.asarray(high))
    return output, reached


def excuse_undefined(differences: dict[str, Difference], results: dict[str, EngineResult], quantity: str, reference: str,
                     undefined: np.ndarray, rtol: float, atol: float, dtype: str) -> dict[str, Difference]:  # fmt: skip
    """The differences with the elements where the quantity does not exist left out (lenient mode)."""
    expected = np.asarray(quantity_of(results[reference], quantity), np.float64)
    return {
        engine: difference if difference.ok else compare_engine(results[engine], quantity, expected, rtol, atol, dtype, ignore=undefined)
        for engine, difference in differences.items()
    }


def notes(problem: Problem, results: dict[str, EngineResult], values: list[np.ndarray], kinks: list[Kink]) -> list[str]:
    """One line per kink, and where NaN or inf first came from in the forward pass, if it did."""
    origin = first_nonfinite(problem, values) if values else None  # no values: numpy could not do the forward pass
    second = [second_order_note(kink, problem) for kink in kinks] if problem.second and (problem.second.hessian or problem.second.jacobian) else []
    return [describe(kink, problem, results) for kink in kinks] + second + ([f"NaN or inf: {origin}"] if origin else [])


def second_order_note(kink: Kink, problem: Problem) -> str:
    """What a kink means for second derivatives: relu'' is 0 almost everywhere and does not exist at the kink."""
    places = kink.places()
    where = ", ".join(places[:MAX_NAMED]) or f"an intermediate value (`{kink.op}` at column {problem.program.nodes[kink.node].col})"
    return (f"second derivatives at {where}: {kink.op}'' is 0 almost everywhere and undefined at 0; "
            "every engine's Hessian or Jacobian entry there is a convention, not a derivative")  # fmt: skip
