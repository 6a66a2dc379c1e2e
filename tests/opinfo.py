"""torch's own operator test database (OpInfo) as verifygrad cases: the call spelled as torch spells it, torch's
value and gradient as claims.

Each sample input of an op (float64, on the CPU) becomes a case: its tensors are named inputs, its other
arguments are written out as literals, and what torch computes (the value, and the gradient of
``<output, grad_output>`` for a seeded ``grad_output``) is claimed to 12 significant digits of the largest
element.  ``python -m tests.opinfo [--engines=numpy,torch,fd] [k/n] [op ...]`` runs every first-order sample (of the k-th of n
parts of the ops, or of the ops named) and prints the pass count.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides
from verifygrad.cases.written import WrittenFloat
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import PASSED

SAMPLES_PER_OP = 5  # as in the baseline: 2,467 first-order cases over 493 ops
CLAIM_DIGITS = 12  # significant digits of the largest element of a claim
NAMES = "abcdefghjkmnpqrstuvw"
SEED = 0


class Unwritable(Exception):
    """A sample the expression language has no text for (a complex number, a dtype, a tensor in a list)."""


@dataclass
class Sample:
    op: str  # "nn.functional.conv2d", with its variant: "norm.fro"
    index: int
    case: Case | None
    why_not: str = ""  # why there is no case: the sample cannot be written, or torch gives no gradient


def ops() -> list[Any]:
    """The OpInfos with autograd and float64 on the CPU."""
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    return [op for op in op_db if op.supports_autograd and torch.float64 in op.supported_dtypes("cpu")]


def full_name(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def samples(op: Any, per_op: int = SAMPLES_PER_OP) -> Iterator[Sample]:
    import torch

    torch.manual_seed(SEED)
    try:
        inputs = list(op.sample_inputs("cpu", torch.float64, requires_grad=True))[:per_op]
    except Exception as err:  # noqa: BLE001 - torch's own sample generator failing is a sample we cannot write
        yield Sample(full_name(op), 0, None, f"no samples: {type(err).__name__}")
        return
    for index, sample in enumerate(inputs):
        try:
            yield Sample(full_name(op), index, _case(op, sample, index))
        except Unwritable as why:
            yield Sample(full_name(op), index, None, str(why))
        except Exception as err:  # noqa: BLE001 - torch itself failing on its own sample (a sparse layout): no case
            yield Sample(full_name(op), index, None, f"torch: {type(err).__name__}")


class _Names:
    """Each tensor of a sample as a named input, in the order met."""

    def __init__(self) -> None:
        self.tensors: dict[str, Any] = {}

    def text(self, value: Any) -> str:
        import torch

        if isinstance(value, torch.Tensor):
            if value.is_complex():
                raise Unwritable("a complex tensor")
            name = NAMES[len(self.tensors)] if len(self.tensors) < len(NAMES) else f"t{len(self.tensors)}"
            self.tensors[name] = value
            # NOTE: a case's tensors are floats: a boolean one is written as the comparison that makes it a mask again
            return f"({name} > 0)" if value.dtype == torch.bool else name
        return literal_text(value, self)


def literal_text(value: Any, names: _Names | None = None) -> str:
    """Python's text for a literal argument; tensors in a list or tuple are named inputs."""
    import torch

    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise Unwritable("a nan literal")
        return repr(value) if math.isfinite(value) else ("1e309" if value > 0 else "-1e309")
    if isinstance(value, (list, tuple, torch.Size)) and names is not None:
        items = [names.text(item) for item in value]
        return "[" + ", ".join(items) + "]" if isinstance(value, list) else "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, torch.dtype):
        return str(value)  # torch.float64
    raise Unwritable(f"an argument of type {type(value).__name__}")


# OpInfos whose sample is (self, *args) of the method, not the function's order: where's op is torch.where(cond, self, other).
AS_METHOD = {"where"}


def spelled(op: Any) -> tuple[str, bool]:
    """The function's text and whether it is a method of the first tensor."""
    import torch

    name = op.name
    if name in AS_METHOD:
        return name, True
    if isinstance(op.op, torch._ops.OpOverload):  # an aten operator itself: torch.ops.aten.slice.Tensor
        return f"torch.ops.{op.op}", False
    for prefix, written in (("nn.functional.", "F."), ("linalg.", "torch.linalg."), ("special.", "torch.special."), ("fft.", "torch.fft.")):
        if name.startswith(prefix):
            return written + name[len(prefix) :], False
    if "." in name or name.startswith("_"):
        return "torch." + name, False
    if callable(getattr(torch, name, None)):  # NOTE: torch.float is a dtype, not a function: x.float() then
        return "torch." + name, False
    return name, True


ATTRIBUTES = frozenset({"T", "H", "mT", "mH"})
ORDER_FIRST = frozenset({"polygamma", "special.polygamma"})  # torch.polygamma(n, x)
WEIGHT_FIRST = frozenset({"nn.functional.embedding", "nn.functional.embedding_bag"})  # OpInfo calls lambda weight, indices
EQUATION_LAST = frozenset({"einsum"})  # OpInfo calls lambda tensors, equation: torch.einsum(equation, tensors)
OPERATORS = {"__radd__": "+", "__rsub__": "-", "__rmul__": "*", "__rdiv__": "/", "__rpow__": "**", "__rmatmul__": "@", "__rmod__": "%"}


# OpInfos whose op is a lambda around the function its name says: the text of the lambda's body.
LAMBDAS = {"linalg.pinv.singular": "torch.linalg.pinv({0} @ {1}.mT)"}


def _hermitian(op: Any) -> bool:
    """Whether OpInfo's gradient tests call the op on input + input.mH (the input read as a Hermitian matrix)."""
    from torch.testing._internal.opinfo.core import gradcheck_wrapper_hermitian_input

    return op.gradcheck_wrapper is gradcheck_wrapper_hermitian_input


def _call_text(op: Any, sample: Any, names: _Names) -> str:
    first = names.text(sample.input) if not isinstance(sample.input, (list, tuple)) else literal_text(sample.input, names)
    first = f"{first} + {first}.mH" if _hermitian(op) else first
    args = [names.text(arg) for arg in sample.args]
    if full_name(op) in LAMBDAS:
        if sample.kwargs:
            raise Unwritable("keywords to a lambda op")
        return LAMBDAS[full_name(op)].format(first, *args)
    kwargs = [f"{key}={names.text(value)}" for key, value in sample.kwargs.items()]
    if op.name in OPERATORS:
        if len(args) != 1 or kwargs:
            raise Unwritable("an operator with more than two operands")
        return f"{args[0]} {OPERATORS[op.name]} {first}"  # __radd__(x, y) is y + x
    if op.name in ATTRIBUTES and not args and not kwargs:
        return f"{first}.{op.name}"  # NOTE: x.mT is a property, not a method
    function, method = spelled(op)
    if op.name in EQUATION_LAST and len(args) == 1 and not kwargs and isinstance(sample.input, (list, tuple)):
        return f"{function}({', '.join([args[0], first[1:-1].rstrip(',')])})"  # NOTE: OpInfo's einsum is (tensors, equation); torch's is (equation, *tensors)
    if op.name in WEIGHT_FIRST and args:
        return f"{function}({', '.join([args[0], first, *args[1:], *kwargs])})"  # NOTE: F.embedding(indices, weight)
    if op.name in ORDER_FIRST and len(args) == 1 and not kwargs:
        return f"{function}({args[0]}, {first})"  # NOTE: OpInfo's sample puts the order after the tensor; torch takes it first
    if method:
        return f"{first}.{function}({', '.join(args + kwargs)})"
    return f"{function}({', '.join([first, *args, *kwargs])})"


def _claim(array: np.ndarray) -> Any:
    """The array written to CLAIM_DIGITS significant digits of its largest element, as a claim keeps its text."""
    finite = array[np.isfinite(array)]
    largest = float(np.max(np.abs(finite))) if finite.size else 0.0
    decimals = max(1, CLAIM_DIGITS - 1 - (math.floor(math.log10(largest)) if largest > 0 else 0))

    def written(x: float) -> WrittenFloat:
        return WrittenFloat(float(x), f"{x:.{decimals}f}" if math.isfinite(x) else repr(float(x)))

    if array.size == 0:
        return f"zeros({tuple(array.shape)})"
    if array.ndim == 0:
        return written(float(array))
    return np.vectorize(written, otypes=[object])(array).tolist()


def _input_value(tensor: Any) -> Any:
    value = tensor.detach().to("cpu").double().numpy()
    if value.size == 0:
        return f"zeros({tuple(value.shape)})"
    return float(value) if value.ndim == 0 else value.tolist()


def _processed_text(op: Any, sample: Any, text: str) -> str | None:
    """The text of OpInfo's output_process_fn_grad applied to the call (then its first output), where it is one verifygrad
    knows: SVD's singular vectors are compared by sign-free quantities (abs, U @ Vh), as torch's own tests do."""
    kind = getattr(sample.output_process_fn_grad, "__qualname__", "").rpartition(".")[2]
    if not getattr(sample.output_process_fn_grad, "__qualname__", "").startswith("sample_inputs_svd."):
        return None
    k = min(sample.input.shape[-2:])
    vh = f"({text})[2]" + ("" if op.name == "linalg.svd" else ".mH")
    return {
        "fn_U": f"({text})[0][..., :{k}].abs()",
        "fn_S": f"({text})[1]",
        "fn_Vh": f"({text})[1]",  # NOTE: (S, Vh.abs()): the first output, as for every tuple
        "fn_UVh": f"({text})[0][..., :{k}] @ {vh}[..., :{k}, :]",
    }[kind]


def _case(op: Any, sample: Any, index: int) -> Case:
    import torch

    names = _Names()
    text = _call_text(op, sample, names)
    # NOTE: only the Hermitian wrapper, whose input the text writes out; torch.masked's wrapper zeroes the masked-out
    # outputs (for gradcheck), which the call as written does not, and it fails on an OpInfo in place of a function.
    call = op.gradcheck_wrapper if _hermitian(op) else (lambda op, *args, **kwargs: op(*args, **kwargs))
    out = call(op, sample.input, *sample.args, **sample.kwargs)
    processed = _processed_text(op, sample, text)
    if processed is not None:
        out, text = sample.output_process_fn_grad(out), processed
        out = out[0] if isinstance(out, (tuple, list)) else out
    if isinstance(out, (tuple, list)):
        out, text = out[0], f"({text})[0]"
    if not isinstance(out, torch.Tensor) or out.layout != torch.strided or out.is_complex() or not out.dtype.is_floating_point:
        raise Unwritable("the output is not a real floating-point tensor")
    differentiated = {name: t for name, t in names.tensors.items() if t.requires_grad and t.dtype.is_floating_point}
    if not out.requires_grad or not differentiated:
        raise Unwritable("torch gives no gradient")
    generator = torch.Generator().manual_seed(SEED)
    grad_output = torch.randn(out.shape, generator=generator, dtype=out.dtype)
    grads = torch.autograd.grad(out, list(differentiated.values()), grad_output, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, differentiated.values())]
    claims = {"value": _claim(out.detach().numpy()), "grad": {name: _claim(g.detach().numpy()) for name, g in zip(differentiated, grads)}}
    inputs = {name: _input_value(t) for name, t in names.tensors.items()}
    go = grad_output.numpy()
    return Case(
        f"{full_name(op)}[{index}]", text, inputs, "<opinfo>", 1, wrt=list(differentiated), device="cpu",
        grad_output=float(go) if go.ndim == 0 else (f"zeros({tuple(go.shape)})" if go.size == 0 else go.tolist()), expect=claims,
    )  # fmt: skip


def verdict(case: Case, engines: tuple[str, ...] = ()) -> tuple[str, str]:
    """The verdict on a case and its first reason ("crash" where verifygrad itself raised)."""
    try:
        outcome = check_case(case, Overrides(engines=engines))
    except Exception as err:  # noqa: BLE001 - a crash is counted and named, and the sweep goes on
        return "crash", f"{type(err).__name__}: {err}"
    reasons = [str(r) for r in outcome.reasons]
    return outcome.verdict, (reasons[0] if reasons else "")


def sweep(selected: list[Any], engines: tuple[str, ...] = (), verbose: bool = False) -> Counter:
    """Every first-order sample of the ops: a count per verdict ("unwritable" for those with no case)."""
    counts: Counter = Counter()
    for op in selected:
        for sample in samples(op):
            if sample.case is None:
                counts["unwritable"] += 1
                if verbose:
                    print(f"{sample.op}[{sample.index}]\tunwritable\t{sample.why_not}", flush=True)
                continue
            result, reason = verdict(sample.case, engines)
            counts[result] += 1
            if verbose:
                print(f"{sample.case.name}\t{result}\t{sample.case.expr}\t{reason[:300]}", flush=True)
    return counts


if __name__ == "__main__":
    warnings.filterwarnings("ignore")  # torch's deprecation notes about its own ops
    start = time.perf_counter()
    arguments = sys.argv[1:]
    engines = tuple(arguments.pop(0).split("=", 1)[1].split(",")) if arguments[:1] and arguments[0].startswith("--engines=") else ()
    part, wanted = (arguments[0], arguments[1:]) if arguments[:1] and "/" in arguments[0] else ("1/1", arguments)
    k, n = map(int, part.split("/"))
    chosen = [op for op in ops() if not wanted or full_name(op) in wanted or op.name in wanted][k - 1 :: n]  # "2/3": every third op from the second
    counts = sweep(chosen, engines, verbose=True)
    total = sum(counts.values())
    print(f"# {counts[PASSED]} of {total} first-order samples pass ({dict(counts)}) in {time.perf_counter() - start:.0f} s")
