"""Constant tensors written as constructor calls: ``ones(2, 2)``, ``randn(3, seed=0)``."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from verifygrad.process import limits

MAX_DIMENSIONS = 16  # NOTE: numpy's broadcasting stops at 32, torch at 25; no gradient of a tutorial needs more


class ConstantError(ValueError):
    """A constructor call with arguments it cannot take."""


def _shape(args: list[Any], name: str) -> tuple[int, ...]:
    dims = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not all(type(d) is int and d >= 0 for d in dims):
        raise ConstantError(f"{name}() takes its shape as non-negative integers, got {dims}")
    _check_size(dims, name)
    return tuple(dims)


def _check_size(dims: list[int] | tuple[int, ...], name: str) -> None:
    if len(dims) > MAX_DIMENSIONS:
        raise ConstantError(f"{name}() would make {len(dims)} dimensions; at most {MAX_DIMENSIONS} are supported")
    # NOTE: the product is taken over Python ints (dtype=object): int64 would overflow and wrap.
    size = int(np.prod(dims, dtype=object)) if dims else 1
    limit = limits.current().max_elements
    if size > limit:
        raise ConstantError(f"{name}() would make {size} elements; {limits.elements_over()}")
    if _counts:
        _counts[-1].add(size, f"{name}()")


class ElementCount:
    """Elements of every tensor one case makes, counted before each is built (see ``counted``)."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, size: int, what: str) -> None:
        self.total += size
        limit = limits.current().max_elements
        if self.total > limit:
            raise ConstantError(f"{what} brings the case's tensors to over {limit} elements together; {limits.elements_over()}")


_counts: list[ElementCount] = []


@contextlib.contextmanager
def counted() -> Iterator[ElementCount]:
    """Within: every constant built counts against one --max-elements total for the case, before it is built."""
    _counts.append(ElementCount())
    try:
        yield _counts[-1]
    finally:
        _counts.pop()


def _finite(value: Any) -> bool:
    """A number that is a finite float64 (a huge int literal is not)."""
    try:
        return type(value) in (int, float) and math.isfinite(float(value))
    except OverflowError:
        return False


def _ones(args: list[Any]) -> np.ndarray:
    return np.ones(_shape(args, "ones"))


def _zeros(args: list[Any]) -> np.ndarray:
    return np.zeros(_shape(args, "zeros"))


def _full(args: list[Any], fill: float | None = None) -> np.ndarray:
    if fill is None and len(args) == 2:
        args, fill = args[:1], args[1]
    if not isinstance(fill, (int, float)):
        raise ConstantError("full() takes a shape and a fill value, e.g. full((2, 3), 0.5)")
    return np.full(_shape(args, "full"), float(fill))


def _eye(args: list[Any]) -> np.ndarray:
    if not 1 <= len(args) <= 2:
        raise ConstantError("eye() takes one or two sizes, e.g. eye(3)")
    if not all(type(size) is int and size >= 0 for size in args):
        raise ConstantError(f"eye() takes its sizes as non-negative integers, got {args}")
    rows, columns = (*args, *args)[:2]  # NOTE: eye(n) is n x n: its size is the product of both
    _check_size([rows, columns], "eye")
    return np.eye(rows, columns)


def _arange(args: list[Any]) -> np.ndarray:
    if not 1 <= len(args) <= 3 or not all(isinstance(a, (int, float)) for a in args):
        raise ConstantError("arange() takes (stop), (start, stop) or (start, stop, step) numbers")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    if step == 0 or not all(_finite(a) for a in args):
        raise ConstantError("arange() takes finite numbers and a non-zero step")
    with np.errstate(over="ignore"):
        count = np.ceil((float(stop) - float(start)) / float(step))
    if not count <= limits.current().max_elements:  # NOTE: inf (1e308/1e-308) or huge: int() would overflow
        raise ConstantError(f"arange() would make {count:g} elements; {limits.elements_over()}")
    _check_size([int(count)], "arange")
    return np.arange(start, stop, step, dtype=np.float64)


def _linspace(args: list[Any]) -> np.ndarray:
    if len(args) != 3 or type(args[2]) is not int or not all(_finite(a) for a in args):
        raise ConstantError("linspace() takes finite (start, stop, count), e.g. linspace(0, 1, 5)")
    _check_size([args[2]], "linspace")
    return np.linspace(args[0], args[1], args[2])


def _tensor(args: list[Any]) -> np.ndarray:
    if len(args) != 1:
        raise ConstantError("tensor() takes one nested list of numbers, e.g. tensor([[1, 2], [3, 4]])")
    return to_array(args[0], "tensor()")


def _float_tensor(args: list[Any]) -> np.ndarray:
    """``torch.FloatTensor([...])`` and ``torch.Tensor([...])``: the data rounded to float32, as torch stores it."""
    if len(args) != 1 or not isinstance(args[0], list):
        raise ConstantError("FloatTensor()/Tensor() take their values as one nested list here; with sizes, torch leaves them uninitialised")
    return to_array(args[0], "FloatTensor()").astype(np.float32).astype(np.float64)


def _randn(args: list[Any], seed: int = 0) -> np.ndarray:
    if type(seed) is not int or seed < 0:
        raise ConstantError("randn() seed must be a non-negative integer")
    # PCG64 streams are the same on every platform, so every engine and machine sees these values.
    return np.random.default_rng(seed).standard_normal(_shape(args, "randn"))


def to_array(value: Any, what: str) -> np.ndarray:
    """A number or rectangular nested list of numbers as a float64 array."""

    def check(item: Any, depth: int) -> None:
        if isinstance(item, list):
            if depth >= MAX_DIMENSIONS:
                raise ConstantError(f"{what} has over {MAX_DIMENSIONS} dimensions (nested lists); at most {MAX_DIMENSIONS} are supported")
            for sub in item:
                check(sub, depth + 1)
        elif isinstance(item, bool) or not isinstance(item, (int, float)):  # NOTE: floats read from YAML keep their text
            raise ConstantError(f"{what} must hold only numbers, found {item!r}")

    check(value, 0)
    try:
        array = np.array(value, dtype=np.float64)
    except ValueError:
        raise ConstantError(f"{what} is not rectangular (rows of different lengths)") from None
    except OverflowError:
        raise ConstantError(f"{what} holds a number too large for float64") from None
    _check_size(array.shape, what)
    return array


CONSTRUCTORS: dict[str, tuple[Callable[..., np.ndarray], frozenset[str]]] = {
    "ones": (_ones, frozenset()),
    "zeros": (_zeros, frozenset()),
    "full": (_full, frozenset({"fill_value"})),
    "eye": (_eye, frozenset()),
    "arange": (_arange, frozenset()),
    "linspace": (_linspace, frozenset()),
    "tensor": (_tensor, frozenset()),
    "array": (_tensor, frozenset()),
    "randn": (_randn, frozenset({"seed"})),
    "FloatTensor": (_float_tensor, frozenset()),
    "Tensor": (_float_tensor, frozenset()),
    "DoubleTensor": (_tensor, frozenset()),
}


def construct(name: str, args: list[Any], keywords: dict[str, Any]) -> np.ndarray:
    build, allowed = CONSTRUCTORS[name]
    keywords = dict(keywords)
    dtype = keywords.pop("dtype", "float64")
    unknown = set(keywords) - allowed
    if unknown:
        raise ConstantError(f"{name}() got an unknown keyword '{sorted(unknown)[0]}'")
    if "fill_value" in keywords:
        keywords = {"fill": keywords["fill_value"]}
    value = build(args, **keywords)
    # NOTE: dtype=float32 rounds the values as torch would store them; the case's dtype decides the arithmetic.
    return value.astype(np.float32).astype(np.float64) if dtype == "float32" else value
