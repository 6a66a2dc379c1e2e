"""A case made ready to run: its expression parsed and its inputs as arrays."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.second_order import JACOBIAN_MAX_ELEMENTS, SecondOrder, hessian_directions
from verifygrad.errors import CaseError
from verifygrad.language import constants
from verifygrad.language.constants import ConstantError
from verifygrad.language.evaluate import constant_value
from verifygrad.language.ops import OPS, Shape, fmt, refuse_undifferentiable
from verifygrad.language.parse import METHOD, ExprError, Node, Program, parse
from verifygrad.language.statements import NeedsValues, compile_program, with_probes
from verifygrad.process import limits


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: engines cache per problem
class Problem:
    """What every engine is given: one signature for all of them."""

    program: Program
    inputs: dict[str, np.ndarray]  # float64, the values as written in the case
    wrt: tuple[str, ...]
    grad_output: np.ndarray  # float64, of the output's shape (ones for a scalar output)
    dtype: str  # "float64" or "float32"
    device: str  # "auto", "cpu" or "cuda"
    shapes: tuple[Shape, ...]  # of every node of the program
    second: SecondOrder | None = None  # Hessian, Jacobian, JVP: what the case asks beyond the gradient

    @property
    def output_shape(self) -> Shape:
        return self.shapes[-1]

    @property
    def gradient_quantities(self) -> tuple[str, ...]:
        """The gradients compared: none for a non-scalar output without grad_output (a Jacobian or JVP case)."""
        return self.wrt if self.second is None or self.second.gradients else ()

    @property
    def second_quantities(self) -> dict[str, Shape]:
        """Name and shape of each second-order or forward-mode quantity asked for."""
        if self.second is None:
            return {}
        return self.second.quantities(self.wrt, {name: v.shape for name, v in self.inputs.items()}, self.output_shape)

    @functools.cached_property
    def exact_key(self) -> tuple:
        """What an exact answer depends on (the program's nodes, the inputs as written, wrt, grad_output, second
        order), not the dtype or device: two problems with one key have one SymPy derivative and reference."""

        def arrays(named: dict[str, np.ndarray] | None) -> tuple | None:
            return None if named is None else tuple((name, value.shape, value.tobytes()) for name, value in sorted(named.items()))

        second = self.second
        second = second and (second.hessian, second.jacobian, second.gradients, arrays(second.tangents), arrays(second.directions), second.order)
        return (self.program.key, self.program.at_values, arrays(self.inputs), self.wrt, arrays({"": self.grad_output}), second)

    def cast_inputs(self) -> dict[str, np.ndarray]:
        """The inputs in the case's dtype: what the numeric engines compute with."""
        return {name: value.astype(self.dtype) for name, value in self.inputs.items()}


def compile_case_program(text: str, inputs: dict[str, np.ndarray], line_offset: int = 0, output: str | None = None) -> Program:
    """Compile once per text and input names (suites repeat expressions, engines cache per Program);
    a program whose if/while depends on the inputs' values is compiled again with them, every time."""
    try:
        return _compile_under(text, tuple(inputs), line_offset, output, limits.current())
    except NeedsValues:
        return compile_program(text, inputs, line_offset=line_offset, output=output)


@functools.lru_cache(maxsize=1024)
def _compile_under(text: str, names: tuple[str, ...], line_offset: int, output: str | None, run_limits: limits.Limits) -> Program:
    # NOTE: keyed by the limits too: a text parsed under loose limits must not pass under strict ones.
    return compile_program(text, names, line_offset=line_offset, output=output)


def tensor_value(raw: Any, what: str) -> np.ndarray:
    """A case value (number, nested list, or constant expression) as a float64 array."""
    return marked_value(raw, what)[0]


def marked_value(raw: Any, what: str) -> tuple[np.ndarray, bool]:
    """A case value as a float64 array, and whether it was written with requires_grad=True."""
    if isinstance(raw, str):
        program = parse(raw, allow_inputs=False)
        check_total_size(program, program.shapes({}))
        return constant_value(program), program.requires_grad
    if isinstance(raw, bool):
        raise ConstantError(f"{what} must be a number, list or constant expression, not a boolean")
    return constants.to_array(raw, what), False


def expr_line_offset(case: Case) -> int:
    """What to add to a line of the program to get its line in the file: a program of several lines is a block scalar."""
    return case.line_of("expr") if "\n" in case.expr.strip() else 0


def expr_error(case: Case, err: ExprError, key: str = "expr") -> CaseError:
    """`file:line: expr: message at column C`, the line the statement's own where the program has several."""
    return CaseError(case.path, err.line or case.line_of(key), f"{key}: {err.located()}")


def prepare(case: Case, overrides: Overrides) -> Problem:
    """Parse and check everything about a case that can be checked before any engine runs."""
    # NOTE: every tensor the case makes counts against one --max-elements total, checked before each is built:
    # twenty unused `zeros(10000000)` inputs are refused at the second, not allocated.
    with constants.counted() as count:
        inputs, marked = {}, []
        for name, raw in case.inputs.items():
            try:
                inputs[name], requires_grad = marked_value(raw, "the value")
            except (ExprError, ConstantError) as err:
                raise case.error(f"input '{name}': {err}", "inputs", name) from None
            if requires_grad:
                marked.append(name)
        try:
            program = compile_case_program(case.expr, inputs, expr_line_offset(case), case.output)
            inputs.update(program.declared)  # x = torch.tensor(..., requires_grad=True) in the program itself
            program = program.scalar_dims_read({name: value.shape for name, value in inputs.items()})
            marked += [name for name, _ in program.declared]
            if not inputs:
                raise case.error("the case has no inputs: give `inputs:`, or create them in the program with requires_grad=True", "expr")
            wrt = tuple(case.wrt or marked or inputs)
            intermediates = [name for name in wrt if name not in inputs]
            for name in intermediates:
                if name not in dict(program.bindings):
                    variables = ", ".join(n for n, _ in program.bindings if n not in inputs)
                    which = "not an input" if not variables else "neither an input nor a variable the output depends on"
                    more = f"; variables: {variables}" if variables else ""
                    raise case.error(f"wrt names '{name}', which is {which}; inputs are: {', '.join(inputs)}{more}", "wrt")
            for name in case.stand_in:
                if name not in inputs:
                    raise case.error(f"stand_in names '{name}', which is not an input; inputs are: {', '.join(inputs)}", "stand_in")
            if intermediates:
                shapes = program.shapes({name: value.shape for name, value in inputs.items()})
                count.add(sum(math.prod(shapes[dict(program.bindings)[name]]) for name in intermediates), "the probes of `wrt`")
                inputs.update({name: np.zeros(shapes[dict(program.bindings)[name]]) for name in intermediates})
                program = with_probes(program, intermediates)
            _refuse_undifferentiable(program, wrt)
            shapes = tuple(program.shapes({name: value.shape for name, value in inputs.items()}))
            check_total_size(program, shapes)
            count.add(_made_by(program, shapes), "the expression")
        except ExprError as err:
            raise expr_error(case, err) from None
        except ConstantError as err:
            raise case.error(f"expr: {err}", "expr") from None
        _refuse_empty_means(case, program, shapes)
        _refuse_rounding_casts(case, program, overrides.dtype or case.dtype)
        _count_the_rest(case, count, {name: value.shape for name, value in inputs.items()})
    second = _second_order(case, inputs, wrt, shapes[-1], program.grad_output is not None)
    no_gradients = second is not None and not second.gradients
    return Problem(
        program=program,
        inputs=inputs,
        wrt=wrt,
        grad_output=np.ones(shapes[-1]) if no_gradients else _grad_output(case, shapes[-1], program.grad_output),
        dtype=overrides.dtype or case.dtype,
        device=overrides.device or case.device,
        shapes=shapes,
        second=second,
    )


def _refuse_undifferentiable(program: Program, wrt: tuple[str, ...]) -> None:
    """zeta's x, gammainc's a: a derivative no engine computes (torch: "not implemented"); differentiating through it is refused."""
    differentiated = {i for i, node in enumerate(program.nodes) if node.op == "input" and node.attrs.get("name") in wrt}
    found = refuse_undifferentiable(program.nodes, differentiated)
    if found is not None:
        node = program.nodes[found[0]]
        name = node.spelling or found[1]
        why = f"{name}() is differentiable in its second argument only: torch does not implement the derivative in its first"
        raise ExprError(f"{why}, which depends on wrt {', '.join(wrt)},", node.col, node.line or None)


def _refuse_empty_means(case: Case, program: Program, shapes: tuple[Shape, ...]) -> None:
    """A mean or logsumexp over no elements has no value (0/0, log 0) and no gradient: say so, not four engines' errors."""
    for node, shape in zip(program.nodes, shapes):
        if node.op in ("mean", "logsumexp") and math.prod(shape) > 0 and math.prod(shapes[node.args[0]]) == 0:
            empty = fmt(shapes[node.args[0]])
            raise case.error(f"expr: `{node.spelling or node.op}` of an empty tensor ({empty}) at column {node.col} has no value", "expr")


# Casts to a narrower float than the case's dtype: torch rounds there, and verifygrad computes a case in one dtype.
ROUNDING_CASTS = {"float64": {"float": "float32"}, "float32": {}}


def _refuse_rounding_casts(case: Case, program: Program, dtype: str) -> None:
    """x.float() in a float64 case rounds to float32 in torch: say so, rather than read it as x itself."""
    for call in program.calls:
        narrower = ROUNDING_CASTS.get(dtype, {}).get(call.name) if call.namespace == METHOD else None
        if narrower:
            place = f"line {call.line}, column {call.col}" if call.line else f"column {call.col}"
            raise case.error(
                f"expr: .{call.name}() at {place} rounds to {narrower}, inside a {dtype} case; verifygrad computes a case in one dtype: "
                f"give the case `dtype: {narrower}`, or leave .{call.name}() out",
                "expr",
            )


def _count_value(raw: Any, count: constants.ElementCount) -> None:
    """Count a case value as written: a literal's elements, or a constant expression's constants and intermediates."""
    if not isinstance(raw, str):
        tensor_value(raw, "the value")  # NOTE: a literal is already in memory as the file's data; to_array counts it
        return
    program = parse(raw, allow_inputs=False)
    count.add(_made_by(program, program.shapes({})), "the value")


def _made_by(program: Program, shapes: tuple[Shape, ...] | list[Shape]) -> int:
    """Elements of the tensors evaluating ``program`` makes beyond its inputs and constants (already counted)."""
    return sum(math.prod(shape) + _intermediates(node, shapes) for node, shape in zip(program.nodes, shapes) if node.op not in ("input", "const"))


def _count_the_rest(case: Case, count: constants.ElementCount, input_shapes: dict[str, Shape]) -> None:
    """grad_output and the claims' arrays and formulas; one that cannot be read is reported where it is used."""
    written = [("grad_output", case.grad_output, ("grad_output",))] if case.grad_output is not None else []
    expect = case.expect if isinstance(case.expect, dict) else {}
    if "value" in expect:
        written.append(("expect.value", expect["value"], ("expect", "value")))
    written += [(f"expect.grad.{name}", raw, ("expect", "grad", name)) for name, raw in (expect.get("grad") or {}).items()]
    written += [(f"expect.formula.{name}", text, ("expect", "formula", name)) for name, text in (expect.get("formula") or {}).items()]
    for what, raw, keys in written:
        try:
            if keys[-2:-1] == ("formula",):
                formula = parse(str(raw))
                count.add(_made_by(formula, formula.shapes(input_shapes)), what)
            else:
                _count_value(raw, count)
        except ConstantError as err:
            raise case.error(f"{what}: {err}", *keys) from None
        except ExprError as err:
            if "--max-elements" in str(err):  # NOTE: parse reports a constant's ConstantError as an ExprError
                raise case.error(f"{what}: {err}", *keys) from None


def _second_order(case: Case, inputs: dict[str, np.ndarray], wrt: tuple[str, ...], output: Shape, handed: bool) -> SecondOrder | None:
    """What the case's `hessian`, `jacobian` and `jvp` keys ask for, checked against the shapes."""
    if not (case.hessian or case.jacobian or case.jvp is not None or case.order):
        return None
    if case.order and output != ():
        raise case.error(f"order: {case.order} needs a scalar output; the expression's value has shape {fmt(output)} (reduce it with sum/mean)", "order")
    if case.order and any(inputs[name].size != 1 for name in wrt):
        big = next(name for name in wrt if inputs[name].size != 1)
        raise case.error(f"order: {case.order} differentiates inputs of one element; '{big}' has shape {fmt(inputs[big].shape)}", "order")
    if case.hessian and output != ():
        raise case.error(f"hessian: true needs a scalar output; the expression's value has shape {fmt(output)} (reduce it with sum/mean)", "hessian")
    if case.jacobian:
        size = math.prod(output) * sum(inputs[name].size for name in wrt)
        if size > JACOBIAN_MAX_ELEMENTS:
            raise case.error(f"jacobian: true would hold {size} elements; the limit is {JACOBIAN_MAX_ELEMENTS} (use jvp: for large inputs)", "jacobian")
    tangents = None
    if case.jvp is not None:
        tangents = {name: np.zeros(inputs[name].shape) for name in wrt}
        for name, raw in case.jvp.items():
            if name not in wrt:
                raise case.error(f"jvp names '{name}', which is not differentiated; wrt: {', '.join(wrt)}", "jvp", name)
            try:
                tangent = tensor_value(raw, "the tangent")
            except (ExprError, ConstantError) as err:
                raise case.error(f"jvp.{name}: {err}", "jvp", name) from None
            if tangent.shape not in ((), inputs[name].shape):
                raise case.error(f"jvp.{name} has shape {fmt(tangent.shape)}; input '{name}' has shape {fmt(inputs[name].shape)}", "jvp", name)
            tangents[name] = np.broadcast_to(tangent, inputs[name].shape).copy()
    shapes = {name: value.shape for name, value in inputs.items()}
    directions = hessian_directions(shapes, wrt) if case.hessian else None
    gradients = output == () or case.grad_output is not None or handed  # handed: the program's backward(v)
    return SecondOrder(case.hessian, case.jacobian, tangents, directions, gradients, case.order or 0)


def check_total_size(program: Program, shapes: list[Shape] | tuple[Shape, ...]) -> None:
    """Refuse, before anything is computed, a program whose tensors together exceed the element limit: each node's
    result and what an engine makes inside it (a matmul's operands broadcast over the batch).

    NOTE: each constant is bounded when it is built, but outer(x, x) or a long chain of
    operations on a large input multiplies the memory every engine would hold.
    """
    limit = limits.current().max_elements
    total = 0
    for node, shape in zip(program.nodes, shapes):
        inside = _intermediates(node, shapes)
        if inside > limit:
            arguments = " and ".join(fmt(shapes[i]) for i in node.args)
            what = f"{node.op} of {arguments} makes {inside} elements of intermediates ({OPS[node.op].intermediate_text})"
            raise ExprError(f"{what}; {limits.elements_over()}", node.col, node.line or None)
        total += math.prod(shape) + inside
        if total > limit:
            raise ExprError(f"the tensors of this expression hold over {limit} elements together; {limits.elements_over()}", node.col, node.line or None)


def _intermediates(node: Node, shapes: list[Shape] | tuple[Shape, ...]) -> int:
    """Elements an engine makes inside the node's operation beyond its arguments and result (see Op.intermediate)."""
    op = OPS.get(node.op)
    if op is None or op.intermediate is None:
        return 0
    return op.intermediate(*(shapes[i] for i in node.args), **node.attrs)


def _grad_output(case: Case, shape: Shape, handed: np.ndarray | None = None) -> np.ndarray:
    """The case's grad_output, else what the program handed to backward(v), else ones for a scalar output."""
    if case.grad_output is None and handed is not None:
        if handed.shape not in (shape, ()):
            raise case.error(f"backward() is handed a gradient of shape {fmt(handed.shape)}; the output has shape {fmt(shape)}", "expr")
        return np.broadcast_to(handed, shape).copy()
    if case.grad_output is None:
        if shape != ():
            raise case.error(
                f"the expression's value has shape {fmt(shape)}, not a scalar: give `grad_output` "
                "(the gradient handed to backward(), e.g. ones of that shape) or reduce it with sum/mean",
                "expr",
            )
        return np.ones(())
    try:
        grad_output = tensor_value(case.grad_output, "the value")
    except (ExprError, ConstantError) as err:
        raise case.error(f"grad_output: {err}", "grad_output") from None
    if grad_output.shape == ():
        return np.full(shape, float(grad_output))
    if grad_output.shape != shape:
        raise case.error(
            f"grad_output has shape {fmt(grad_output.shape)}, the expression's value has shape {fmt(shape)}",
            "grad_output",
        )
    return grad_output


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that replace a case's own."""

    dtype: str | None = None
    device: str | None = None
    rtol: float | None = None
    atol: float | None = None
    engines: tuple[str, ...] = ()
    mutate: bool = False  # --mutate: negative controls for every case
