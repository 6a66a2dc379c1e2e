"""JAX's gradient tests (``jax.test_util.check_grads``) as verifygrad cases, converted as tests/peer.py converts autograd's.

The test files (JAX's ``tests/lax_autodiff_test.py``, ``tests/lax_numpy_test.py``) are read with ``ast`` only, never
imported or run.  Each ``test*`` method of a test class is expanded over its ``@jtu.sample_product(...)`` parameters
(float dtypes read as float64, complex and integer ones left out; at most ``COMBINATIONS`` combinations, spread over the
product), its assignments evaluated by peer.py's interpreter extended with what JAX's tests write: comprehensions,
``dict(...)``, ``itertools``, ``partial``, and ``jtu.rand_*(self.rng())`` samplers drawing the same distributions from
numpy's seeded generator (other values than JAX's).  Each ``check_grads(f, args, order, ...)`` becomes a case of every
argument, ``check_grads_bilinear(f, (a, b), order)`` one per argument (first order only, as peer.py).  Tests parameterized
otherwise (``parameterized.parameters`` over the op tables) are "unconvertible", with the reason; a test that calls neither
check (itself or through a helper) is "no gradient check" before any conversion, so that the count of tests with a
gradient check is exact.

``python -m tests.peer_jax [--engines=numpy,torch,fd] FILE.py ...`` prints a line per test and the counts.
"""

from __future__ import annotations

import ast
import collections
import itertools
import math
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests import peer
from tests.peer import Function, PeerTest, Unconvertible

COMBINATIONS = 12  # of a test's parameters, spread over their product (each gives its cases; peer.spread checks 6)
SAMPLERS = {
    "rand_default": ("randn", 3.0, 0.0), "rand_nonzero": ("randn", 3.0, 0.0), "rand_small": ("randn", 1e-3, 0.0),
    "rand_positive": ("rand", 2.0, 1.0), "rand_small_positive": ("rand", 2e-5, 0.0), "rand_not_small": ("randn", 3.0, 0.0),
    "rand_uniform": ("rand", 1.0, 0.0), "rand_unique_int": ("unique", 1.0, 0.0), "rand_int": ("int", 1.0, 0.0),
}  # fmt: skip
# Configuration that does not change a float64 result here: broadcasting allowed (numpy's rule, which verifygrad follows),
# matmul precision and dtype promotion (one dtype per case), warnings, devices.
IGNORED_DECORATORS = (
    "ignore_warning", "skip_on_devices", "run_on_devices", "skip_on_flag", "with_config", "thread_unsafe_test", "unittest.skip",
    "numpy_rank_promotion", "default_matmul_precision", "numpy_dtype_promotion",
)  # fmt: skip
FLOAT_NAMES = ("float16", "float32", "float64", "bfloat16", "float_", "double", "single", "half")
DTYPE_LISTS = ("floating", "inexact", "all_floating", "all_inexact", "all", "integer", "all_integer", "all_unsigned", "boolean", "numeric")


class Ref:
    """A library function named as a value (``op=lax.add``): written into the program by its text."""

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return self.text

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - grad_test_spec names a spec by op.__name__
        return self.text.rpartition(".")[2]


class Sampler:
    """``jtu.rand_default(self.rng())``: a function of (shape, dtype) drawing from the converter's generator."""

    def __init__(self, rng: np.random.Generator, name: str, low: float | None = None, high: float | None = None, offset: float = 10.0,
                 scale: float | None = None):  # fmt: skip
        self.rng, self.name, self.low, self.high, self.offset, self.scale = rng, name, low, high, offset, scale

    def __call__(self, shape: Any = (), dtype: Any = "float64", *_: Any) -> Any:
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,) if isinstance(shape, int) else ()
        if dtype == "complex":
            raise Unconvertible("a complex dtype")
        kind, scale, shift = SAMPLERS[self.name]
        scale = scale if self.scale is None else self.scale  # NOTE: rand_default(rng, scale=1): the normal draw's scale
        if kind == "unique":
            return self.rng.permutation(math.prod(shape)).reshape(shape).astype(float)
        if kind == "int":
            return self.rng.integers(int(self.low or 0), int(self.high or 10), shape).astype(float)
        value = (self.rng.standard_normal(shape) if kind == "randn" else self.rng.random(shape)) * scale + shift
        if self.name == "rand_uniform":
            value = value * ((self.high if self.high is not None else 1.0) - (self.low or 0.0)) + (self.low or 0.0)
        elif self.name == "rand_not_small":
            value = value + np.where(value > 0, self.offset, -self.offset)
        elif self.name == "rand_nonzero":
            value = np.where(value == 0, 1.0, value)
        return float(value) if np.ndim(value) == 0 else value


class Factory:
    """``jtu.rand_uniform`` (or ``partial(jtu.rand_uniform, low=0.1)``): called with ``self.rng()``, a Sampler."""

    def __init__(self, name: str, kwargs: dict[str, Any] | None = None):
        self.name, self.kwargs = name, kwargs or {}

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> Sampler:
        if self.name not in SAMPLERS:
            raise Unconvertible(f"an input drawn by jtu.{self.name}")
        if self.name == "rand_int" and args:  # NOTE: rand_int(rng, high) as JAX's tests call it
            kwargs = {"high": args[0], **kwargs}
        elif args or set(kwargs) - {"low", "high", "offset", "scale"}:
            raise Unconvertible(f"jtu.{self.name} with arguments the converter does not read")
        return Sampler(rng, self.name, **{**self.kwargs, **kwargs})

    def __repr__(self) -> str:
        return f"jtu.{self.name}"


class JaxReader(peer.FileReader):
    """A JAX test file: its imports, module-level functions and assignments, and the test methods of its classes."""

    def __init__(self, tree: ast.Module):
        self.assigns: dict[str, ast.expr] = {}
        self.methods: dict[str, ast.FunctionDef] = {}  # the test classes' helpers (self._checkGrad(...))
        super().__init__(tree)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.assigns[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.ClassDef):
                self.tests += [m for m in stmt.body if isinstance(m, ast.FunctionDef) and m.name.startswith("test")]
                self.methods.update({m.name: m for m in stmt.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("test")})

    def checks_gradients(self, node: ast.AST, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a test calls check_grads or check_grads_bilinear, itself or through a helper of the file or its class:
        a test that does not is "no gradient check" whatever else stops its conversion."""
        for part in ast.walk(node):
            if not isinstance(part, ast.Call):
                continue
            name = peer._check_name(part.func)
            if name in GRADIENT_CHECKS:
                return True
            helper = self.methods.get(name) if ast.unparse(part.func).startswith("self.") else getattr(self.functions.get(name), "node", None)
            if helper is not None and name not in seen and self.checks_gradients(helper, seen | {name}):
                return True
        return False


GRADIENT_CHECKS = ("check_grads", "check_grads_bilinear")


def _hashable(key: Any) -> Any:
    """A dict key as the converter reads it: a dtype family (read as a list of dtypes) as a tuple."""
    return tuple(key) if isinstance(key, list) else key


def _imported(module: str) -> str:
    """How the program writes a module JAX's tests import: lax, jnp, np (the program imports lax and jnp itself)."""
    return {"jax.lax": "lax", "jax.numpy": "jnp", "numpy": "np", "jax": "jax"}.get(module, module)


class JaxDraws(peer.Draws):
    """peer.py's interpreter of inputs, with what JAX's parameter lists and test bodies write."""

    def __init__(self, reader: JaxReader, rng: np.random.Generator, functions: dict[str, Function]):
        super().__init__(reader, rng, functions)
        self.module: dict[str, Any] = {}

    def value(self, node: ast.AST, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Dict):
            return {_hashable(self.value(k, env)): self.value(v, env) for k, v in zip(node.keys, node.values) if k is not None}
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return list(self._comprehension(node.elt, node.generators, env))
        if isinstance(node, ast.IfExp):
            return self.value(node.body if self.value(node.test, env) else node.orelse, env)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
            left, right = self.value(node.left, env), self.value(node.comparators[0], env)
            table: dict[type, Callable[[Any, Any], bool]] = {
                ast.Is: lambda a, b: a == b, ast.IsNot: lambda a, b: a != b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
                ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
            }  # fmt: skip
            return table[type(node.ops[0])](left, right)
        if isinstance(node, ast.BoolOp):
            values = [self.value(v, env) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return self.value(node.value, env)[self.value(node.slice, env)]
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self.value(part, env) for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Name) and node.id not in env:
            return self._named(node.id, node)
        if isinstance(node, ast.Attribute) and node.attr != "T":
            return self._named(ast.unparse(node), node, env)
        if isinstance(node, ast.Starred):
            return self.value(node.value, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = self.value(node.left, env), self.value(node.right, env)
            if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):  # NOTE: Python's joins and repeats, not numpy's sums
                return left + right if isinstance(node.op, ast.Add) else left * right
        return super().value(node, env)

    def _comprehension(self, element: ast.expr, generators: list[ast.comprehension], env: dict[str, Any]) -> Any:
        if not generators:
            yield self.value(element, env)
            return
        first, rest = generators[0], generators[1:]
        for item in self.value(first.iter, env):
            local = {**env, **_bind(first.target, item)}
            if all(self.value(condition, local) for condition in first.ifs):
                yield from self._comprehension(element, rest, local)

    def _named(self, text: str, node: ast.AST, env: dict[str, Any] | None = None) -> Any:
        """A module-level name, a dtype, a sampler factory or a library function, by its text."""
        if isinstance(node, ast.Attribute) and env is not None:
            head = node.value
            if isinstance(head, ast.Name) and (head.id in env or head.id in self.reader.assigns):
                base = self.value(head, env)
                if isinstance(base, dict):
                    return base[node.attr]
                return getattr(base, node.attr)
        if text in self.reader.assigns:
            if text not in self.module:
                self.module[text] = Unconvertible(f"a module value '{text}' read while it is computed")
                self.module[text] = self._safe(self.reader.assigns[text])
            if isinstance(self.module[text], Unconvertible):
                raise self.module[text]
            return self.module[text]
        last = text.rpartition(".")[2]
        if text.startswith("lax.") or text.startswith("jax.lax."):  # NOTE: lax.complex is an op, not a dtype
            return Ref("lax." + text.removeprefix("jax.").removeprefix("lax."))
        several = last.endswith("dtypes") or last in DTYPE_LISTS or text.split(".")[-2:-1] == ["dtypes"]  # jtu.dtypes.complex: a list
        if "complex" in last:
            return ["complex"] if several else "complex"
        if several:
            return ["int32"] if "int" in last or "bool" in last or "unsigned" in last else ["float64"]
        if last in FLOAT_NAMES:
            return "float64"
        if last in ("int32", "int64", "int8", "int16", "uint8", "uint32", "bool_"):
            return "int32"
        if last.startswith("rand_"):
            return Factory(last)
        if text in ("jnp.inf", "np.inf", "math.inf"):
            return math.inf
        if last in ("pi", "e") and text.split(".")[0] in ("np", "jnp", "math"):
            return math.pi if last == "pi" else math.e
        if text in ("np.nan", "jnp.nan"):
            return math.nan
        head = text.split(".")[0]
        if head in self.reader.modules or head in ("lax", "jnp", "np", "jax", "operator"):
            return Ref(".".join([_imported(self.reader.modules.get(head, head)), *text.split(".")[1:]]))
        raise Unconvertible(f"an input made by '{text}'")

    def _safe(self, node: ast.expr) -> Any:
        try:
            return self.value(node, {})
        except Unconvertible as why:
            return why

    def _call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        text = ast.unparse(node.func)
        args = [self.value(a, env) for a in node.args]
        args = [v for a, value in zip(node.args, args) for v in (value if isinstance(a, ast.Starred) else [value])]
        kwargs = {kw.arg: self.value(kw.value, env) for kw in node.keywords if kw.arg}
        if text == "self.rng":
            return self.rng
        if text == "dict":
            return dict(kwargs)
        if text.endswith("sample_product_testcases"):
            return sample_product(args, kwargs)
        if text in ("partial", "functools.partial"):
            base = args[0]
            if isinstance(base, Factory):
                return Factory(base.name, {**base.kwargs, **kwargs})
            raise Unconvertible(f"a partial of '{ast.unparse(node.args[0])[:40]}'")
        if text in PYTHON:
            return PYTHON[text](*args, **kwargs)
        if isinstance(node.func, ast.Name) and node.func.id in self.functions:
            return self._apply(self.functions[node.func.id].node, self._positional(self.functions[node.func.id].node, args, kwargs), env)
        if isinstance(node.func, ast.Name) and node.func.id in env and callable(env[node.func.id]):
            return env[node.func.id](*args, **kwargs)
        if text.endswith(("np.array", "np.asarray", "jnp.array", "jnp.asarray")) and args:
            return np.asarray(args[0], dtype=float) if not isinstance(args[0], np.ndarray) or args[0].dtype.kind != "c" else args[0]
        function = self._callable(node.func, env)
        if isinstance(function, (Factory, Sampler)):
            return function(*args, **kwargs)
        if isinstance(function, type) and issubclass(function, tuple):  # NOTE: a namedtuple the file defines (GradTestSpec)
            return function(*args, **kwargs)
        if function in ("float64", "int32"):
            return float(args[0]) if function == "float64" else int(args[0])
        return super()._call(node, env)

    def _positional(self, node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
        """A module helper's arguments in order: the positional ones, then each keyword or default (grad_test_spec(op,
        nargs=1, ...))."""
        function = node.value if isinstance(node, ast.Assign) else node
        assert isinstance(function, (ast.Lambda, ast.FunctionDef))
        params = function.args.args
        defaults = dict(zip([p.arg for p in params[len(params) - len(function.args.defaults) :]], function.args.defaults))
        out = list(args)
        for param in params[len(args) :]:
            if param.arg in kwargs:
                out.append(kwargs[param.arg])
            elif param.arg in defaults:
                out.append(self.value(defaults[param.arg], {}))
            else:
                raise Unconvertible(f"a helper '{getattr(function, 'name', 'lambda')}' called without its '{param.arg}'")
        return out

    def _callable(self, func: ast.expr, env: dict[str, Any]) -> Any:
        try:
            return self.value(func, env)
        except Unconvertible:
            return None


def _bind(target: ast.expr, item: Any) -> dict[str, Any]:
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, (ast.Tuple, ast.List)):
        items = list(item)
        if len(items) != len(target.elts):
            raise Unconvertible("a loop unpacking another number of items")
        return {k: v for sub, value in zip(target.elts, items) for k, v in _bind(sub, value).items()}
    raise Unconvertible("a loop target that is not a name")


PYTHON: dict[str, Callable[..., Any]] = {
    "itertools.product": lambda *a, **k: list(itertools.product(*a, **k)), "itertools.chain": lambda *a: list(itertools.chain(*a)),
    "itertools.chain.from_iterable": lambda a: list(itertools.chain.from_iterable(a)),
    "itertools.combinations_with_replacement": lambda *a: list(itertools.combinations_with_replacement(*a)),
    "itertools.combinations": lambda *a: list(itertools.combinations(*a)), "itertools.cycle": itertools.cycle,
    "itertools.permutations": lambda *a: list(itertools.permutations(*a)), "collections.namedtuple": collections.namedtuple,
    "zip": lambda *a: list(zip(*a)), "range": lambda *a: list(range(*a)), "list": list, "tuple": tuple, "len": len, "sorted": sorted,
    "enumerate": lambda a: list(enumerate(a)), "reversed": lambda a: list(reversed(a)), "max": max, "min": min, "sum": sum,
    "dtypes.issubdtype": lambda d, kind: _is_kind(d, kind), "np.issubdtype": lambda d, kind: _is_kind(d, kind),
    "jnp.issubdtype": lambda d, kind: _is_kind(d, kind), "math.prod": math.prod, "np.prod": lambda a: int(np.prod(a)),
    "set": lambda a=(): list(dict.fromkeys(a)), "abs": abs, "int": int, "float": float, "all": all, "any": any,
}  # fmt: skip


def _is_kind(dtype: Any, kind: Any) -> bool:
    """np.issubdtype of the converter's dtypes ("float64", "int32", "complex") and a kind such as np.integer or np.floating."""
    kind = kind.text if isinstance(kind, Ref) else str(kind)
    if "int" in kind:
        return dtype == "int32"
    if "complex" in kind:
        return dtype == "complex"
    return dtype == "float64" if "float" in kind or "inexact" in kind else False


def sample_product(groups: list[Any], keywords: dict[str, Any]) -> list[dict[str, Any]]:
    """jtu.sample_product's combinations: one dict of each group (a list of dicts) and one value of each keyword's list."""
    axes = [[dict(group) for group in groups_of] for groups_of in groups] + [[{key: value} for value in values] for key, values in keywords.items()]
    return [{k: v for part in combo for k, v in part.items()} for combo in itertools.product(*axes)]


class JaxConverter(peer.TestConverter):
    """One JAX test method's cases (of one op of an op table, where ``given`` holds that op's parameters)."""

    def __init__(self, reader: JaxReader, test: ast.FunctionDef, given: list[dict[str, Any]] | None = None, name: str | None = None):
        super().__init__(reader, test)
        self.draws = JaxDraws(reader, self.rng, self.functions)
        self.partials: dict[str, ast.Call] = {}
        self.given, self.name = given, name or test.name

    def convert(self) -> PeerTest:
        result = super().convert()
        result.name = self.name
        if not result.cases and result.why_not == "no gradient check":  # NOTE: read_tests keeps only tests that call one
            result.why_not = "no check_grads reached: each is in a branch not taken"
        return result

    def combinations(self) -> list[dict[str, Any]]:
        """Every combination of the test's ``jtu.sample_product`` or ``parameterized.parameters`` (of dicts)."""
        combos: list[dict[str, Any]] = [{}]
        for decorator in self.test.decorator_list:
            text = ast.unparse(decorator.func if isinstance(decorator, ast.Call) else decorator)
            if text.endswith(IGNORED_DECORATORS):
                continue
            if isinstance(decorator, ast.Call) and text.endswith("parameterized.parameters") and len(decorator.args) == 1:
                listed = self.draws.value(decorator.args[0], {})
                if not all(isinstance(item, dict) for item in listed):
                    raise Unconvertible(f"a test decorated with '{ast.unparse(decorator)[:40]}'")
                combos = [{**base, **item} for base in combos for item in listed]
                continue
            if not (isinstance(decorator, ast.Call) and text.endswith("sample_product")):
                raise Unconvertible(f"a test decorated with '{ast.unparse(decorator)[:40]}'")
            groups = [self.draws.value(arg, {}) for arg in decorator.args]
            keywords = {kw.arg: self.draws.value(kw.value, {}) for kw in decorator.keywords if kw.arg}
            combos = [{**base, **combo} for base in combos for combo in sample_product(groups, keywords)]
        return combos

    def _parameters(self) -> list[dict[str, Any]]:
        """The test's combinations (or those given), real dtypes only, without repeats, spread."""
        combos = self.given if self.given is not None else self.combinations()
        params = {arg.arg for arg in self.test.args.args} - {"self"}
        if params - {k for combo in combos for k in combo}:
            raise Unconvertible("a test taking parameters its decorators do not give")
        real = [combo for combo in combos if not any(isinstance(v, str) and v in ("complex", "int32") for v in combo.values())]
        if not real:
            raise Unconvertible("complex or integer dtypes only")
        unique = list({repr(sorted(combo.items(), key=lambda kv: kv[0])): combo for combo in real}.values())
        return peer.spread(unique, COMBINATIONS)  # type: ignore[arg-type]

    def _run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], (ast.Tuple, ast.List)):
                value = self._safe(stmt.value)
                try:
                    self.env.update(_bind(stmt.targets[0], value))
                except (Unconvertible, TypeError):
                    for name in ast.walk(stmt.targets[0]):
                        if isinstance(name, ast.Name):
                            self.env[name.id] = peer.Unknown(f"an input unpacked from '{ast.unparse(stmt.value)[:40]}'")
                continue
            if isinstance(stmt, ast.If):  # NOTE: device-dependent branches (TPU, GPU) are not taken on the CPU
                test = ast.unparse(stmt.test)
                if "test_device_matches" in test or "device_under_test" in test:
                    self._run(stmt.orelse)
                    continue
                taken = self._safe(stmt.test)
                if isinstance(taken, (bool, np.bool_)):
                    self._run(stmt.body if taken else stmt.orelse)
                elif self.reader.checks_gradients(stmt):
                    raise Unconvertible(f"a check under an if the converter cannot decide: '{test[:40]}'")
                continue
            if isinstance(stmt, ast.Raise):
                return
            super()._run([stmt])

    def _safe(self, node: ast.expr) -> Any:
        try:
            return self.draws.value(node, self.env)
        except Unconvertible as why:
            return peer.Unknown(str(why))

    def _assign(self, name: str, stmt: ast.Assign) -> None:
        value = stmt.value
        if isinstance(value, ast.Call) and ast.unparse(value.func) in ("partial", "functools.partial") and value.args:
            self.partials[name] = value  # NOTE: f = partial(lax.dot_general, dimension_numbers=...): a lambda once its arity is known
            return
        super()._assign(name, stmt)

    def _function_of(self, fun: ast.AST, count: int) -> ast.AST:
        """The checked function with ``count`` plain parameters: a partial's call, or a lambda of *args, written out."""
        params = [f"a{k}" for k in range(count)]
        written = isinstance(fun, ast.Call) and ast.unparse(fun.func) in ("partial", "functools.partial") and fun.args
        if (isinstance(fun, ast.Name) and fun.id in self.partials) or written:
            call = fun if written else self.partials[fun.id]
            keywords = [kw for kw in call.keywords if kw.arg not in DROPPED_KEYWORDS]
            body = ast.Call(call.args[0], [*[ast.Name(p, ast.Load()) for p in params], *call.args[1:]], keywords)
            return ast.fix_missing_locations(ast.Lambda(_arguments(params), body))
        function = self.functions.get(fun.id) if isinstance(fun, ast.Name) else None
        node = function.node.value if function is not None and isinstance(function.node, ast.Assign) else None
        if isinstance(node, ast.Lambda) and node.args.vararg is not None and not node.args.args:
            packed = ast.Tuple([ast.Name(p, ast.Load()) for p in params], ast.Load())
            body = _Renamed({node.args.vararg.arg: packed}).visit(ast.parse(ast.unparse(node.body), mode="eval").body)
            return ast.fix_missing_locations(ast.Lambda(_arguments(params), body))
        return fun

    def _check(self, call: ast.Call) -> None:
        name = peer._check_name(call.func)
        if name == "check_grads" and isinstance(call.func, (ast.Name, ast.Attribute)) and len(call.args) >= 2:
            args = self.draws.value(call.args[1], self.env)
            if not isinstance(args, (list, tuple)):
                raise Unconvertible("check_grads' arguments not a tuple")
            self._add(call.args[0], tuple(range(len(args))), list(args), {})
        elif name == "check_grads_bilinear" and len(call.args) >= 2:
            args = self.draws.value(call.args[1], self.env)
            for argnum in (0, 1):
                self._add(call.args[0], (argnum,), list(args), {})
        else:
            super()._check(call)

    def _add(self, fun: ast.AST, argnums: tuple[int, ...], args: list[Any], kwargs: dict[str, Any]) -> None:
        fun = self._function_of(fun, len(args))
        self.cases.append(JaxWriter(self, fun).case(f"{self.test.name}[{len(self.cases)}]", argnums, args, kwargs))


DROPPED_KEYWORDS = ("precision", "preferred_element_type", "out_dtype")  # NOTE: XLA's arithmetic settings and a float result
# dtype: float64 (the converter's only float dtype) computes exactly as asked


def _arguments(names: list[str]) -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in names], kwonlyargs=[], kw_defaults=[], defaults=[])


class _Renamed(ast.NodeTransformer):
    def __init__(self, table: dict[str, ast.expr]):
        self.table = table

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.table.get(node.id, node) if isinstance(node.ctx, ast.Load) else node


class _Substituted(ast.NodeTransformer):
    """Names bound to library functions (op = lax.add) written as the function; a dtype argument of an array
    constructor left out (the case has one dtype)."""

    def __init__(self, refs: dict[str, Ref], dtypes: set[str], literals: dict[str, Any]):
        self.refs, self.dtypes, self.literals = refs, dtypes, literals

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.refs:
            return ast.parse(self.refs[node.id].text, mode="eval").body
        if isinstance(node.ctx, ast.Load) and node.id in self.dtypes:  # NOTE: a dtype parameter (to_dtype): the case's float64
            return ast.parse("jnp.float64", mode="eval").body
        if isinstance(node.ctx, ast.Load) and node.id in self.literals:
            return ast.parse(repr(self.literals[node.id]).replace("inf", "1e400"), mode="eval").body
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if ast.unparse(node.func).rpartition(".")[2] in ("array", "asarray") and node.args:
            node.args = node.args[:1]
            node.keywords = [kw for kw in node.keywords if kw.arg != "dtype"]
        return node


class JaxWriter(peer.Writer):
    """peer.py's Writer, with lax and jnp imported at the program's top and library functions named by value written in."""

    def __init__(self, test: peer.TestConverter, fun: ast.AST):
        super().__init__(test, fun)
        self.lines = ["from jax import lax", "import jax.numpy as jnp"]
        self.refs: dict[str, Ref] = {}
        self.dtypes: set[str] = set()
        self.literals: dict[str, Any] = {}

    def _callee(self, fun: ast.AST) -> str:
        """The function, with the test's constants written into it: a tuple, None or a flag held by a variable is not a
        literal to the language (only a number is), where it is one to lax. A parameter naming a library function
        (op = lax.exp) is that function."""
        if isinstance(fun, ast.Name) and isinstance(self.test.env.get(fun.id), Ref):
            return self.test.env[fun.id].text
        callee = super()._callee(fun)
        self.lines = [self._substituted(line) if k >= 2 else line for k, line in enumerate(self.lines)]
        return callee

    def _substituted(self, line: str) -> str:
        tree = ast.parse(line)
        return ast.unparse(ast.fix_missing_locations(_Substituted(self.refs, self.dtypes, self.literals).visit(tree)))

    def _closure(self, name: str, value: Any) -> None:
        if isinstance(value, Ref):
            self.refs[name] = value
            self.written.add(name)
            return
        if isinstance(value, str) and value in ("float64", "int32"):
            self.dtypes.add(name)
            self.written.add(name)
            return
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f" and (math.isinf(value) or value == round(float(value))):
            value = float(value)  # NOTE: np.asarray(0, dtype): a constant of the test (an init value), not an input
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if peer._literal(value) or (isinstance(value, float) and not math.isnan(value)) or _numbers(value):
            self.literals[name] = value
            self.written.add(name)
            return
        super()._closure(name, value)


def _numbers(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, bool, type(None))) or _numbers(v) for v in value)


def read_tests(path: Path) -> list[PeerTest]:
    """Every test method of a JAX test file, converted; a test over an op table (its parameters name an ``op``) as one
    test per op, named ``testOpGrad[lax.exp]``."""
    reader = JaxReader(ast.parse(path.read_text(), str(path)))
    reader.modules = {name: _imported(module) for name, module in reader.modules.items()}
    tests: list[PeerTest] = []
    for test in reader.tests:
        if not reader.checks_gradients(test):
            tests.append(PeerTest(test.name, [], "no gradient check"))
            continue
        try:
            combos = JaxConverter(reader, test).combinations()
        except Unconvertible as why:
            tests.append(PeerTest(test.name, [], str(why)))
            continue
        except Exception as err:  # noqa: BLE001 - a form this converter misjudged is counted and named, and the sweep goes on
            tests.append(PeerTest(test.name, [], f"converter: {type(err).__name__}: {err}"))
            continue
        ops = list(dict.fromkeys(combo["op"] for combo in combos if isinstance(combo.get("op"), Ref)))
        if len(ops) > 1:
            for op in ops:
                given = [combo for combo in combos if combo.get("op") == op]
                tests.append(JaxConverter(reader, test, given, f"{test.name}[{op.text}]").convert())
        else:
            tests.append(JaxConverter(reader, test).convert())
    return tests


def sweep(paths: list[Path], engines: tuple[str, ...] = (), out: Callable[[str], None] = print) -> dict[str, Counter]:
    """JAX's test files checked as peer.sweep checks autograd's."""
    return peer.sweep(paths, engines, out, read=read_tests)


if __name__ == "__main__":
    peer.main(sys.argv[1:], read=read_tests)
