"""HIPS autograd's gradient tests as verifygrad cases: the differentiated function as a program, its inputs drawn again.

The test files are read with ``ast`` only (never imported or run).  In each ``test_*`` function the assignments are
evaluated by a small interpreter of constants, arithmetic and ``npr.randn``/``rand``/``uniform``/``randint`` drawn from
numpy's seeded PCG64 generator (not autograd's draws: the same shapes, other values), and each ``check_grads(fun)(a, b)``,
``combo_check(fun, argnums)(...)`` and numpy_utils helper (``unary_ufunc_check``, ``binary_ufunc_check``, ``stat_check``)
becomes cases: ``fun``'s ``def`` (and the helpers it calls) written out as a program, a call of it on named inputs, the
differentiated arguments as ``wrt``, no claims (the engines against the exact reference are the check).  A test verifygrad's
language rejects is "rejected"; one this converter cannot write (a complex number, a list argument, a random draw inside
``fun``) is "unconvertible", with its reason.  ``python -m tests.peer [--engines=numpy,torch,fd] FILE.py ...`` prints a
line per test and the counts.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests import opinfo
from verifygrad.cases.load import Case
from verifygrad.cases.problem import compile_case_program
from verifygrad.language.evaluate import program_value
from verifygrad.verdict.outcome import ERROR, PASSED

SEED = 0
CASES_PER_TEST = 6  # the combinations of a combo_check checked, spread over its list (a binary ufunc has 16)
UNCONVERTIBLE, REJECTED = "unconvertible", "rejected"


class Unconvertible(Exception):
    """A test this converter cannot write as cases."""


@dataclass
class Function:
    """A function of the test file: its definition's text (a def or a lambda) and the names it reads."""

    name: str
    node: ast.AST


@dataclass
class PeerTest:
    name: str
    cases: list[Case] = field(default_factory=list)
    why_not: str = ""  # why there are no cases


RANDOM = {"randn", "rand", "uniform", "randint", "normal", "random", "random_sample"}


def _imported_as(module: str) -> str:
    """How a program writes a module the test file imports: numpy as np, autograd.scipy.special as scipy.special."""
    module = module.removeprefix("autograd.") if module.startswith("autograd.") else module
    if module in ("numpy", "numpy.random"):
        return "np" if module == "numpy" else "npr"
    if module.startswith("numpy."):
        return "np." + module[len("numpy.") :]
    return module


class FileReader:
    """The module-level imports and functions of a test file, and its tests."""

    def __init__(self, tree: ast.Module):
        self.modules: dict[str, str] = {}  # name -> the module's text: np -> np, spla -> scipy.linalg
        self.functions: dict[str, Function] = {}
        self.aliases: dict[str, str] = {}  # R = npr.randn
        self.tests: list[ast.FunctionDef] = []
        self._read(tree.body)

    def _read(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    self.modules[alias.asname or alias.name.split(".")[0]] = _imported_as(alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(stmt, ast.ImportFrom) and stmt.module:
                for alias in stmt.names:
                    self.modules[alias.asname or alias.name] = _imported_as(f"{stmt.module}.{alias.name}")
            elif isinstance(stmt, ast.FunctionDef):
                if stmt.name.startswith("test_"):
                    self.tests.append(stmt)
                else:
                    self.functions[stmt.name] = Function(stmt.name, stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                name = stmt.targets[0].id
                if isinstance(stmt.value, ast.Lambda):
                    self.functions[name] = Function(name, stmt)
                elif isinstance(stmt.value, ast.Call) and ast.unparse(stmt.value.func).endswith("RandomState"):
                    self.modules[name] = "npr"  # NOTE: rs = npr.RandomState(0): its draws are the seeded generator's here
                elif isinstance(stmt.value, ast.Attribute):
                    self.aliases[name] = ast.unparse(stmt.value)
            elif isinstance(stmt, (ast.Try, ast.If)):  # NOTE: autograd's scipy tests live in a try's else
                self._read(stmt.body + getattr(stmt, "orelse", []) + getattr(stmt, "finalbody", []))


class Draws:
    """The interpreter of a test's input expressions: constants, arithmetic, numpy constructors and seeded draws."""

    def __init__(self, reader: FileReader, rng: np.random.Generator, functions: dict[str, Function]):
        self.reader, self.rng, self.functions = reader, rng, functions

    def random_name(self, node: ast.AST) -> str | None:
        text = ast.unparse(node)
        text = self.reader.aliases.get(text, text)
        head, _, name = text.rpartition(".")
        return name if name in RANDOM and self.reader.modules.get(head.split(".")[0], head) in ("npr", "np.random") else None

    def value(self, node: ast.AST, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool, type(None), str, type(Ellipsis))):
            return node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, complex):
            raise Unconvertible("a complex number")
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.value(item, env) for item in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise Unconvertible(f"an input made by '{node.id}'")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.value(node.operand, env)
            return operand if isinstance(node.op, ast.UAdd) else -operand if isinstance(operand, (int, float)) else -_array(operand)
        if isinstance(node, ast.BinOp):
            return _binary(node.op, self.value(node.left, env), self.value(node.right, env))
        if isinstance(node, ast.Attribute) and node.attr == "T":
            return _array(self.value(node.value, env)).T
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
            return COMPARISONS[type(node.ops[0])](_array(self.value(node.left, env)), _array(self.value(node.comparators[0], env)))
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            return self.value(node.value, env)[node.slice.value]
        if isinstance(node, ast.Call):
            return self._call(node, env)
        raise Unconvertible(f"an input made by {type(node).__name__.lower()} '{ast.unparse(node)[:40]}'")

    def _call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        args: list[Any] = []
        for arg in node.args:
            value = self.value(arg.value if isinstance(arg, ast.Starred) else arg, env)
            args.extend(value) if isinstance(arg, ast.Starred) else args.append(value)
        kwargs = {kw.arg: self.value(kw.value, env) for kw in node.keywords if kw.arg}
        if isinstance(node.func, ast.Name) and node.func.id in self.functions:
            return self._apply(self.functions[node.func.id].node, args, env)
        drawn = self.random_name(node.func)
        if drawn is not None:
            return _draw(self.rng, drawn, args, kwargs)
        text = ast.unparse(node.func)
        head, _, name = text.rpartition(".")
        if isinstance(node.func, ast.Attribute) and name in METHODS and not (head in self.reader.modules or head in ("np", "onp", "npo")):
            return METHODS[name](_array(self.value(node.func.value, env)), *args, **kwargs)
        if self.reader.modules.get(head, head) in ("np", "np.linalg") and name in CONSTRUCTORS:
            return CONSTRUCTORS[name](*args, **kwargs)
        if text in ("float", "range", "list", "tuple", "int", "len", "abs"):
            return getattr(builtins, text)(*args)
        if text in ("it.product", "itertools.product"):
            return list(itertools.product(*args))
        raise Unconvertible(f"an input made by '{text}'")

    def _apply(self, node: ast.AST, args: list[Any], env: dict[str, Any]) -> Any:
        """A helper of the test file called to make an input: a lambda, or a def of assignments and a return (or yield from)."""
        function = node.value if isinstance(node, ast.Assign) else node
        assert isinstance(function, (ast.Lambda, ast.FunctionDef))
        params = function.args
        if params.kwonlyargs or params.kwarg or len(args) > len(params.args) and not params.vararg:
            raise Unconvertible("a helper called with arguments it does not take")
        local = {**env, **{p.arg: v for p, v in zip(params.args, args)}}
        if params.vararg:
            local[params.vararg.arg] = tuple(args[len(params.args) :])
        if isinstance(function, ast.Lambda):
            return self.value(function.body, local)
        for stmt in function.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                local[stmt.targets[0].id] = self.value(stmt.value, local)
            elif isinstance(stmt, ast.Return) and stmt.value is not None:
                return self.value(stmt.value, local)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.YieldFrom):
                return list(self.value(stmt.value.value, local))
            else:
                raise Unconvertible(f"an input made by '{function.name}', with a {type(stmt).__name__.lower()}")
        raise Unconvertible(f"an input made by '{function.name}' returning nothing")


def _array(value: Any) -> Any:
    if isinstance(value, (list, tuple, int, float)):
        return np.asarray(value)
    return value


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    if not (isinstance(left, (int, float)) and isinstance(right, (int, float))):
        left, right = _array(left), _array(right)
    table: dict[type, Callable[[Any, Any], Any]] = {
        ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
        ast.Pow: lambda a, b: a**b, ast.MatMult: lambda a, b: a @ b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    }  # fmt: skip
    if type(op) not in table:
        raise Unconvertible(f"an input made with {type(op).__name__}")
    return table[type(op)](left, right)


def _shape(args: list[Any], kwargs: dict[str, Any], key: str = "size") -> tuple[int, ...] | None:
    shape = kwargs.get(key, args if args else None)
    if shape is None:
        return None
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    return shape


def _draw(rng: np.random.Generator, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """autograd's draw, from numpy's seeded generator: the same distribution and shape."""
    if name == "randn":
        value = rng.standard_normal(_shape(args, kwargs))
    elif name in ("rand", "random", "random_sample"):
        value = rng.random(_shape(args, kwargs))
    elif name == "uniform":
        low, high = (args + [kwargs.get("low", 0.0), kwargs.get("high", 1.0)][len(args) :])[:2]
        value = rng.uniform(low, high, _shape(args[2:], kwargs))
    elif name == "normal":
        loc, scale = (args + [kwargs.get("loc", 0.0), kwargs.get("scale", 1.0)][len(args) :])[:2]
        value = rng.normal(loc, scale, _shape(args[2:], kwargs))
    else:  # randint
        low, high = (args[:2] if len(args) > 1 else [0, args[0]]) if args else [kwargs.get("low", 0), kwargs["high"]]
        value = rng.integers(low, high, _shape(args[2:], kwargs))
    return float(value) if np.ndim(value) == 0 and not isinstance(value, np.integer) else value


COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {ast.Gt: np.greater, ast.Lt: np.less, ast.GtE: np.greater_equal, ast.LtE: np.less_equal}
CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "array": lambda x, dtype=None: np.array(x, dtype=dtype if dtype in (None, float, int) else None),
    "eye": lambda n, m=None: np.eye(n, m), "ones": lambda s: np.ones(s), "zeros": lambda s: np.zeros(s),
    "arange": np.arange, "linspace": np.linspace, "dot": np.dot, "diag": np.diag, "exp": np.exp, "abs": np.abs,
    "reshape": np.reshape, "full": np.full, "tril": np.tril, "triu": np.triu, "sqrt": np.sqrt,
    "matmul": np.matmul, "transpose": np.transpose, "swapaxes": np.swapaxes, "sum": np.sum, "sin": np.sin, "cos": np.cos,
    "round": np.round, "concatenate": np.concatenate, "stack": np.stack, "log": np.log, "maximum": np.maximum,
}  # fmt: skip
METHODS: dict[str, Callable[..., Any]] = {
    "reshape": lambda a, *s: a.reshape(*s), "dot": lambda a, b: a.dot(b), "copy": lambda a: a.copy(), "transpose": lambda a, *s: a.transpose(*s),
    "astype": lambda a, t: a.astype(float if t in (float, "float64", None) else t), "sum": lambda a, *s, **k: a.sum(*s, **k),
}  # fmt: skip

# numpy_utils' helpers: the inputs each draws and how it combines them.
HELPERS = {"unary_ufunc_check", "binary_ufunc_check", "binary_ufunc_check_no_same_args", "stat_check"}


def _lims(kwargs: dict[str, Any], key: str) -> tuple[float, float]:
    low, high = kwargs.pop(key, None) or [-2, 2]
    return float(low), float(high)


def helper_checks(name: str, rng: np.random.Generator, kwargs: dict[str, Any]) -> tuple[tuple[int, ...], list[list[Any]]]:
    """What numpy_utils' helper checks (real inputs only): the argnums and one list of candidates per argument."""
    kwargs.pop("test_complex", None)
    kwargs.pop("modes", None)
    if name == "stat_check":
        x, a, b, c, d = 3.5, float(rng.standard_normal()), rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
        return (0,), [[x, a], [b, c, d], [c, d]]  # NOTE: with axis/keepdims combos, set by stat_kwargs
    if name == "unary_ufunc_check":
        lo, hi = _lims(kwargs, "lims")
        return (0,), [[lo + (hi - lo) * v for v in (0.4, rng.random(2), rng.random((3, 2)), rng.random((1, 2)))]]
    (alo, ahi), (blo, bhi) = _lims(kwargs, "lims_A"), _lims(kwargs, "lims_B")
    if name == "binary_ufunc_check":
        draws = [0.6, rng.random(2), rng.random((3, 2)), rng.random((1, 2))]
        return (0, 1), [[alo + (ahi - alo) * v for v in draws], [blo + (bhi - blo) * v for v in draws]]
    firsts = [0.6, rng.random(2), rng.random((3, 2)), rng.random((1, 2))]
    seconds = [0.7, rng.random(2), rng.random((3, 2)), rng.random((1, 2))]
    return (0, 1), [[alo + (ahi - alo) * v for v in firsts], [blo + (bhi - blo) * v for v in seconds]]


STAT_COMBOS = [(0, {}), (1, {"axis": [None, 0], "keepdims": [True, False]}), (2, {"axis": [None, 0, 1], "keepdims": [True, False]})]


class Unknown:
    """A test variable the interpreter could not compute: an error only where a case needs it."""

    def __init__(self, why: str):
        self.why = why


def _check_name(node: ast.AST) -> str:
    return ast.unparse(node).rpartition(".")[2] if isinstance(node, (ast.Name, ast.Attribute)) else ""


class TestConverter:
    """One test function's cases, in the order its checks run."""

    def __init__(self, reader: FileReader, test: ast.FunctionDef):
        self.reader, self.test = reader, test
        self.rng = np.random.default_rng(SEED)
        self.env: dict[str, Any] = {}
        self.functions: dict[str, Function] = dict(reader.functions)
        self.draws = Draws(reader, self.rng, self.functions)
        self.checkers: dict[str, tuple[ast.AST, tuple[int, ...] | None]] = {}  # check = combo_check(fun, [0])
        self.cases: list[Case] = []
        self.other_checks: list[str] = []

    def convert(self) -> PeerTest:
        try:
            for bound in self._parameters():
                self.env.update(bound)
                self._run(self.test.body)
        except Unconvertible as why:
            return PeerTest(self.test.name, [], str(why))
        except Exception as err:  # noqa: BLE001 - a form this converter misjudged is counted and named, and the sweep goes on
            return PeerTest(self.test.name, [], f"converter: {type(err).__name__}: {err}")
        if not self.cases:
            return PeerTest(self.test.name, [], f"a check by '{self.other_checks[0]}'" if self.other_checks else "no gradient check")
        return PeerTest(self.test.name, self.cases)

    def _parameters(self) -> list[dict[str, Any]]:
        """The test's pytest parameters, each combination of @pytest.mark.parametrize values."""
        axes: list[list[dict[str, Any]]] = []
        for decorator in self.test.decorator_list:
            if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize") and len(decorator.args) == 2):
                raise Unconvertible(f"a test decorated with '{ast.unparse(decorator)[:40]}'")
            written = ast.literal_eval(decorator.args[0])
            names = [n.strip() for n in (written.split(",") if isinstance(written, str) else written)]
            values = self.draws.value(decorator.args[1], self.env)
            axes.append([dict(zip(names, v if len(names) > 1 else (v,))) for v in values])
        if len({arg.arg for arg in self.test.args.args} - {k for axis in axes for k in axis[0]}) if axes else self.test.args.args:
            raise Unconvertible("a test taking pytest fixtures")
        return [{k: v for part in combo for k, v in part.items()} for combo in itertools.product(*axes)]

    def _run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = Function(stmt.name, stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self._assign(stmt.targets[0].id, stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.env[name.id] = Unknown(f"an input unpacked from '{ast.unparse(stmt.value)[:40]}'")
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._check(stmt.value)
            elif isinstance(stmt, ast.For):
                self._loop(stmt)
            elif isinstance(stmt, ast.With) and "raises" not in ast.unparse(stmt.items[0].context_expr):
                self._run(stmt.body)

    def _assign(self, name: str, stmt: ast.Assign) -> None:
        value = stmt.value
        if isinstance(value, ast.Lambda):
            self.functions[name] = Function(name, stmt)
        elif isinstance(value, ast.Call) and _check_name(value.func) in ("combo_check", "check_grads"):
            self.checkers[name] = (value.args[0], _argnums(value) if _check_name(value.func) == "combo_check" else None)
        else:
            try:
                self.env[name] = self.draws.value(value, self.env)
            except Unconvertible as why:
                self.env[name] = Unknown(str(why))

    def _loop(self, stmt: ast.For) -> None:
        targets = [stmt.target] if isinstance(stmt.target, ast.Name) else getattr(stmt.target, "elts", [None])
        if not all(isinstance(target, ast.Name) for target in targets):
            raise Unconvertible("a loop unpacking nested items")
        items = self.draws.value(stmt.iter, self.env)
        if isinstance(items, Unknown) or not isinstance(items, (list, tuple, range)):
            raise Unconvertible(f"a loop over '{ast.unparse(stmt.iter)[:40]}'")
        for item in items:
            self.env.update(zip([t.id for t in targets], [item] if isinstance(stmt.target, ast.Name) else item))
            self._run(stmt.body)

    def _check(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Call) and _check_name(func.func) == "check_grads" and func.args:
            self._combos(func.args[0], None, call, single=True)
        elif isinstance(func, ast.Call) and _check_name(func.func) == "combo_check" and func.args:
            self._combos(func.args[0], _argnums(func), call)
        elif isinstance(func, ast.Name) and func.id in self.checkers:
            fun, argnums = self.checkers[func.id]
            self._combos(fun, argnums, call, single=argnums is None)
        elif _check_name(func) in HELPERS and call.args:
            self._helper(_check_name(func), call)
        elif "check" in _check_name(func) or (isinstance(func, ast.Call) and "check" in _check_name(func.func)):
            self.other_checks.append(_check_name(func) or _check_name(func.func))

    def _kwargs(self, call: ast.Call) -> dict[str, Any]:
        if any(kw.arg is None for kw in call.keywords):
            raise Unconvertible("keywords passed as **kwargs")
        return {kw.arg: self.draws.value(kw.value, self.env) for kw in call.keywords if kw.arg}

    def _args(self, call: ast.Call) -> list[Any]:
        args: list[Any] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                value = self.draws.value(arg.value, self.env)
                if not isinstance(value, (list, tuple)):
                    raise Unconvertible("arguments passed as *args")
                args.extend(value)
            else:
                args.append(self.draws.value(arg, self.env))
        return args

    def _combos(self, fun: ast.AST, argnums: tuple[int, ...] | None, call: ast.Call, single: bool = False) -> None:
        args, kwargs = self._args(call), self._kwargs(call)
        if single:
            self._add(fun, tuple(range(len(args))), args, kwargs)
            return
        args = [list(arg) if isinstance(arg, np.ndarray) and arg.ndim else arg for arg in args]  # NOTE: product() iterates an array's rows
        if not all(isinstance(arg, (list, tuple)) for arg in args) or not all(isinstance(v, (list, tuple)) for v in kwargs.values()):
            raise Unconvertible("a combo_check not given lists")
        keys = list(kwargs)
        for chosen in itertools.product(*args):
            for values in itertools.product(*kwargs.values()):
                self._add(fun, argnums or (0,), list(chosen), dict(zip(keys, values)))

    def _helper(self, name: str, call: ast.Call) -> None:
        kwargs = self._kwargs(call)
        argnums, lists = helper_checks(name, self.rng, kwargs)
        if name != "stat_check":
            for chosen in itertools.product(*lists):
                self._add(call.args[0], argnums, list(chosen), dict(kwargs))
            return
        for index, combos in STAT_COMBOS:
            keys = list(combos)
            for value in lists[index]:
                for values in itertools.product(*combos.values()):
                    self._add(call.args[0], argnums, [value], {**kwargs, **dict(zip(keys, values))})

    def _add(self, fun: ast.AST, argnums: tuple[int, ...], args: list[Any], kwargs: dict[str, Any]) -> None:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("modes", "order", "rtol", "atol", "eps")}
        self.cases.append(Writer(self, fun).case(f"{self.test.name}[{len(self.cases)}]", argnums, args, kwargs))


def _argnums(call: ast.Call) -> tuple[int, ...]:
    if len(call.args) < 2:
        return (0,)
    node = call.args[1]
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise Unconvertible("combo_check's argnums not a literal") from None
    return tuple(value) if isinstance(value, (list, tuple)) else (int(value),)


def _loads(node: ast.AST) -> list[str]:
    """The names a function reads that it does not bind itself (its parameters, its assignments), in order met."""
    bound: set[str] = set()
    for part in ast.walk(node):
        if isinstance(part, ast.arg):
            bound.add(part.arg)
        elif isinstance(part, ast.Name) and isinstance(part.ctx, ast.Store):
            bound.add(part.id)
        elif isinstance(part, ast.FunctionDef) and part is not node:
            bound.add(part.name)
    seen = [part.id for part in ast.walk(node) if isinstance(part, ast.Name) and isinstance(part.ctx, ast.Load)]
    return [name for name in dict.fromkeys(seen) if name not in bound]


class _Modules(ast.NodeTransformer):
    """The test file's module aliases as the program spells them: spla.solve as scipy.linalg.solve."""

    def __init__(self, modules: dict[str, str]):
        self.modules = modules

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.modules:
            return ast.parse(self.modules[node.id], mode="eval").body
        return node


class Writer:
    """One check as a case: the function's definition and what it reads, then a call on named inputs."""

    def __init__(self, test: TestConverter, fun: ast.AST):
        self.test, self.fun = test, fun
        self.lines: list[str] = []
        self.inputs: dict[str, Any] = {}
        self.written: set[str] = set()

    def case(self, name: str, argnums: tuple[int, ...], args: list[Any], kwargs: dict[str, Any]) -> Case:
        callee = self._callee(self.fun)
        texts: list[str] = []
        for index, value in enumerate(args):
            texts.append(self._argument(f"arg{index}", value, index in argnums))
        texts += [f"{key}={self._argument(key, value, False)}" for key, value in kwargs.items()]
        wrt = [key for key in self.inputs if re.fullmatch(r"arg\d+(_\d+)?", key) and int(key[3:].split("_")[0]) in argnums]
        if not wrt:
            raise Unconvertible("no argument differentiated")
        text = "\n".join([*self.lines, f"{callee}({', '.join(texts)})"])
        values = {key: np.asarray(value, dtype=float) for key, value in self.inputs.items()}
        written = {k: (float(v) if v.ndim == 0 else f"zeros({v.shape})" if v.size == 0 else v.tolist()) for k, v in values.items()}  # NOTE: [] loses a shape
        return Case(name, text, written, "<peer>", 1, wrt=wrt,
                    device="cpu", grad_output=_grad_output(text, values))  # fmt: skip

    def _callee(self, fun: ast.AST) -> str:
        if isinstance(fun, ast.Lambda):
            self._reads(fun)
            self.lines.append(f"fun = {ast.unparse(_Modules(self.test.reader.modules).visit(fun))}")
            return "fun"
        if isinstance(fun, ast.Name) and fun.id in self.test.functions:
            self._define(fun.id)
            return fun.id
        text = ast.unparse(fun)
        text = self.test.reader.aliases.get(text, text)
        if isinstance(fun, (ast.Name, ast.Attribute)) and text.split(".")[0] in self.test.reader.modules:
            return ast.unparse(_Modules(self.test.reader.modules).visit(ast.parse(text, mode="eval").body))
        raise Unconvertible(f"a function given as '{text[:40]}'")

    def _define(self, name: str) -> None:
        if name in self.written:
            return
        self.written.add(name)
        node = self.test.functions[name].node
        if isinstance(node, ast.FunctionDef) and (node.decorator_list or node.args.vararg or node.args.kwarg):
            raise Unconvertible(f"'{name}' takes *args or is decorated")
        self._reads(node)
        self.lines.append(ast.unparse(_Modules(self.test.reader.modules).visit(ast.parse(ast.unparse(node)).body[0])))

    def _reads(self, node: ast.AST) -> None:
        for name in _loads(node):
            if name in self.test.reader.modules:
                if self.test.reader.modules[name] in ("npr", "np.random"):
                    raise Unconvertible("a random draw inside the function")
            elif name in self.test.functions:
                self._define(name)
            elif name in self.test.reader.aliases:
                raise Unconvertible(f"'{name}' ({self.test.reader.aliases[name]}) inside the function")
            elif name in self.test.env:
                self._closure(name, self.test.env[name])
            elif not hasattr(builtins, name):
                raise Unconvertible(f"'{name}' unknown to the converter")

    def _closure(self, name: str, value: Any) -> None:
        if name in self.written:
            return
        self.written.add(name)
        if isinstance(value, Unknown):
            raise Unconvertible(value.why)
        if isinstance(value, np.integer):
            value = int(value)
        if _literal(value):
            self.lines.append(f"{name} = {value!r}".replace("Ellipsis", "..."))
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iub":
            self.lines.append(f"{name} = np.array({value.tolist()!r})")
        elif isinstance(value, float):
            self.lines.append(f"{name} = {value!r}")
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            self.inputs[name] = value
        else:
            raise Unconvertible(f"a closure '{name}' of type {type(value).__name__}")

    def _argument(self, name: str, value: Any, differentiated: bool) -> str:
        if isinstance(value, Unknown):
            raise Unconvertible(value.why)
        if isinstance(value, (complex, np.complexfloating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "c"):
            raise Unconvertible("a complex number")
        if differentiated and isinstance(value, (list, tuple)) and value and all(isinstance(v, (float, np.ndarray)) for v in value):
            items = [self._argument(f"{name}_{i}", v, True) for i, v in enumerate(value)]
            return f"[{', '.join(items)}]" if isinstance(value, list) else f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if isinstance(value, (list, tuple, dict)) and (differentiated or not _literal(value)):
            raise Unconvertible(f"a {type(value).__name__} argument")
        if not differentiated and (_literal(value) or (isinstance(value, np.ndarray) and value.dtype.kind in "iub")):
            return repr(value.tolist() if isinstance(value, np.ndarray) else value).replace("Ellipsis", "...")
        if isinstance(value, (int, float, np.number, np.ndarray)):
            self.inputs[name] = value
            return name
        raise Unconvertible(f"an argument of type {type(value).__name__}")


def _literal(value: Any) -> bool:
    """Whether a value is written as a Python literal in the program (an int, a shape, an axis, a string)."""
    if isinstance(value, (list, tuple)):
        return all(_literal(v) for v in value)
    return isinstance(value, (bool, int, str, type(None), type(Ellipsis)))  # NOTE: not np.int64: a numpy scalar is an input


def _grad_output(text: str, inputs: dict[str, np.ndarray]) -> Any:
    """A seeded gradient of the output's shape where it is not a scalar (autograd checks a random VJP); None where
    the program does not compile, which the check then reports."""
    try:
        shape = np.shape(program_value(compile_case_program(text, inputs), inputs))
    except Exception:  # noqa: BLE001 - the language rejecting the program is the check's verdict to give
        return None
    if not shape:
        return None
    return f"zeros({shape})" if 0 in shape else np.random.default_rng(SEED + 1).standard_normal(shape).tolist()  # NOTE: [] loses an empty shape


def read_tests(path: Path) -> list[PeerTest]:
    """Every test function of a file, converted."""
    reader = FileReader(ast.parse(path.read_text(), str(path)))
    return [TestConverter(reader, test).convert() for test in reader.tests]


def spread(cases: list[Case], most: int = CASES_PER_TEST) -> list[Case]:
    """At most ``most`` of the cases, spread over the list (first and last included)."""
    if len(cases) <= most:
        return cases
    return [cases[round(i * (len(cases) - 1) / (most - 1))] for i in range(most)]


def verdict(case: Case, engines: tuple[str, ...] = ()) -> tuple[str, str]:
    """The verdict on a case and its first reason, as the OpInfo sweep gives them; "rejected" for a case verifygrad refuses."""
    result, reason = opinfo.verdict(case, engines)
    return (REJECTED if result == ERROR else result), reason


RANK = {"failed": 0, "crash": 1, REJECTED: 2}


def test_verdict(test: PeerTest, engines: tuple[str, ...] = ()) -> tuple[str, str]:
    """A test's verdict: its worst case's (failed, then crash, then rejected), and that case's reason."""
    if not test.cases:
        return UNCONVERTIBLE, test.why_not
    results = [verdict(case, engines) for case in spread(test.cases)]
    worst = min(results, key=lambda result: RANK.get(result[0], 3))
    return worst if worst[0] != PASSED else (PASSED, "")


def category(reason: str) -> str:
    """A reason without its place and numbers: what the summary counts."""
    reason = re.sub(r"^<peer>:\d+: (expr: )?", "", reason.split("\n")[0])
    return re.sub(r"\d+(\.\d+)?", "N", reason)[:90]


def sweep(
    paths: list[Path], engines: tuple[str, ...] = (), out: Callable[[str], None] = print, read: Callable[[Path], list] | None = None
) -> dict[str, Counter]:
    """Each file's tests (as ``read`` finds them: autograd's by default) checked: a count per verdict per file, and the
    reasons counted under "reasons"."""
    counts: dict[str, Counter] = {"reasons": Counter()}
    for path in paths:
        counts[path.name] = Counter()
        for test in (read or read_tests)(path):
            result, reason = test_verdict(test, engines)
            counts[path.name][result] += 1
            if result != PASSED:
                counts["reasons"][f"{result}: {category(reason)}"] += 1
            out(f"{path.stem}::{test.name}\t{result}\t{len(test.cases)}\t{reason.splitlines()[0][:200] if reason else ''}")
    return counts


def main(arguments: list[str], read: Callable[[Path], list] | None = None) -> None:
    """`python -m tests.peer [--engines=...] FILE ...`: a line per test, then the counts and the reasons."""
    warnings.filterwarnings("ignore")
    engines = tuple(arguments.pop(0).split("=", 1)[1].split(",")) if arguments[:1] and arguments[0].startswith("--engines=") else ()
    start = time.perf_counter()
    counts = sweep([Path(a) for a in arguments], engines, out=lambda line: print(line, flush=True), read=read)
    for name, count in counts.items():
        if name != "reasons":
            print(f"# {name}: {sum(count.values())} tests, {dict(count)}")
    total = sum((c for n, c in counts.items() if n != "reasons"), Counter())
    print(f"# all: {sum(total.values())} tests, {dict(total)} in {time.perf_counter() - start:.0f} s")
    for reason, n in counts["reasons"].most_common(40):
        print(f"#   {n}\t{reason}")


if __name__ == "__main__":
    main(sys.argv[1:])
