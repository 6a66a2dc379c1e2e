"""W1, W2, W3: each as a hand-written numpy limit and as every contender installed.

A contender is a function of the workload's inputs returning (value, gradients); the
benchmark times a call and checks its answer against the hand-written one.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from verifygrad.engines import numpy_engine
from verifygrad.language.parse import Node, Program, parse
from verifygrad.language.statements import compile_program

Contender = Callable[[], tuple[float, list[np.ndarray]]]

W1_EXPR = "mean(exp(sin(x))*x**2 + tanh(x))"
W1_PROGRAM = "s = sin(x)\ny = exp(s) * x**2\ny += tanh(x)\ny.mean()"  # W1 as statements: the same nodes
W2_EXPR = "sum(tanh(A @ B))"
W3_CYCLE = ("sin", "mul", "add", "tanh")  # each mul/add takes a constant: 0.9, 0.1


@dataclass
class Workload:
    name: str
    what: str
    ops: int  # primitive operations, for the per-op figure
    contenders: dict[str, Contender]  # "numpy (hand-written)" first: the limit


def installed(module: str) -> bool:
    """Whether a reference library is there to compare with (each is optional)."""
    return importlib.util.find_spec(module) is not None


def engine_contender(program: Program, inputs: dict[str, np.ndarray]) -> Contender:
    wrt = tuple(inputs)

    def run() -> tuple[float, list[np.ndarray]]:
        values = numpy_engine.forward(program, inputs, "float64", wrt)
        value = float(values[-1])  # NOTE: backward() drops values as it goes, the output's too
        grads = numpy_engine.backward(program, values, np.ones(()), wrt)
        return value, [grads[name] for name in wrt]

    return run


# --- W1: an elementwise expression over 10^6 elements ----------------------


def w1(size: int, references: bool = True) -> Workload:
    x = np.random.default_rng(0).uniform(-2, 2, size)

    def hand() -> tuple[float, list[np.ndarray]]:
        e = np.exp(np.sin(x))
        square = x * x
        t = np.tanh(x)
        value = np.mean(e * square + t)
        dx = (e * np.cos(x) * square + 2 * e * x + (1 - t * t)) / x.size
        return float(value), [dx]

    contenders = {
        "numpy (hand-written)": hand,
        "verifygrad numpy": engine_contender(parse(W1_EXPR), {"x": x}),
        "verifygrad numpy, written as a program": engine_contender(compile_program(W1_PROGRAM, ["x"]), {"x": x}),
    }
    if references and installed("torch"):
        import torch

        def torch_run() -> tuple[float, list[np.ndarray]]:
            xt = torch.from_numpy(x).requires_grad_()
            out = torch.mean(torch.exp(torch.sin(xt)) * xt**2 + torch.tanh(xt))
            out.backward()
            return out.item(), [xt.grad.numpy()]

        contenders["torch"] = torch_run
    if references and installed("autograd"):
        import autograd
        import autograd.numpy as anp

        grad_and_value = autograd.value_and_grad(lambda v: anp.mean(anp.exp(anp.sin(v)) * v**2 + anp.tanh(v)))
        contenders["HIPS autograd"] = lambda: (lambda vg: (float(vg[0]), [vg[1]]))(grad_and_value(x))
    if references and installed("jax"):
        contenders["jax"] = _jax_w1(x)
    return Workload("W1", f"mean(exp(sin x)*x**2 + tanh x), x of {size:,} float64", 7, contenders)


def _jax_w1(x: np.ndarray) -> Contender:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    step = jax.jit(jax.value_and_grad(lambda v: jnp.mean(jnp.exp(jnp.sin(v)) * v**2 + jnp.tanh(v))))
    return lambda: (lambda vg: (float(vg[0]), [np.asarray(vg[1])]))(step(x))


# --- W2: a matrix product --------------------------------------------------


def w2(n: int, references: bool = True) -> Workload:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, n)) / np.sqrt(n)

    def hand() -> tuple[float, list[np.ndarray]]:
        t = np.tanh(a @ b)
        value = t.sum()
        g = 1 - t * t
        return float(value), [g @ b.T, a.T @ g]

    contenders = {"numpy (hand-written)": hand, "verifygrad numpy": engine_contender(parse(W2_EXPR), {"A": a, "B": b})}
    if references and installed("torch"):
        import torch

        def torch_run() -> tuple[float, list[np.ndarray]]:
            at, bt = torch.from_numpy(a).requires_grad_(), torch.from_numpy(b).requires_grad_()
            out = torch.tanh(at @ bt).sum()
            out.backward()
            return out.item(), [at.grad.numpy(), bt.grad.numpy()]

        contenders["torch"] = torch_run
    if references and installed("autograd"):
        import autograd
        import autograd.numpy as anp

        grad = autograd.value_and_grad(lambda p, q: anp.sum(anp.tanh(anp.dot(p, q))), argnum=(0, 1))
        contenders["HIPS autograd"] = lambda: (lambda vg: (float(vg[0]), list(vg[1])))(grad(a, b))
    return Workload("W2", f"sum(tanh(A @ B)), A, B {n}x{n} float64", 3, contenders)


# --- W3: per-operation overhead --------------------------------------------


def w3_program(ops: int) -> Program:
    """A chain of ``ops`` primitives on x, built directly: the parser's depth limit forbids it as text."""
    nodes = [
        Node("input", attrs={"name": "x"}),
        Node("const", attrs={"value": np.asarray(0.9), "symbol": None}),
        Node("const", attrs={"value": np.asarray(0.1), "symbol": None}),
    ]
    last = 0
    for k in range(ops):
        op = W3_CYCLE[k % 4]
        args = (last,) if op in ("sin", "tanh") else (last, 1 if op == "mul" else 2)
        nodes.append(Node(op, args))
        last = len(nodes) - 1
    nodes.append(Node("sum", (last,), {"dim": None, "keepdim": False}))
    return Program("w3", tuple(nodes))


def w3_text(rounds: int) -> str:
    """The same chain as a program: a for loop the compiler unrolls (one expression could not nest this deep)."""
    return f"y = x\nfor i in range({rounds}):\n    y = tanh(sin(y) * 0.9 + 0.1)\ny.sum()"


def w3(ops: int, references: bool = True) -> Workload:
    x = np.random.default_rng(2).uniform(-1, 1, 10)
    rounds = ops // 4

    def hand() -> tuple[float, list[np.ndarray]]:
        saved = []  # what the backward pass reads: the input of each sin, the output of each tanh
        v = x
        for _ in range(rounds):
            t = np.tanh(np.sin(v) * 0.9 + 0.1)
            saved.append((v, t))
            v = t
        value = v.sum()
        g = np.ones_like(x)
        for v, t in reversed(saved):
            g = g * (1 - t * t) * 0.9 * np.cos(v)
        return float(value), [g]

    contenders = {
        "numpy (hand-written)": hand,
        "verifygrad numpy": engine_contender(w3_program(ops), {"x": x}),
        "verifygrad numpy, written as a program": engine_contender(compile_program(w3_text(rounds), ["x"]), {"x": x}),
    }
    if references and installed("torch"):
        import torch

        def torch_run() -> tuple[float, list[np.ndarray]]:
            xt = torch.from_numpy(x).requires_grad_()
            v = xt
            for _ in range(rounds):
                v = torch.tanh(torch.sin(v) * 0.9 + 0.1)
            out = v.sum()
            out.backward()
            return out.item(), [xt.grad.numpy()]

        contenders["torch"] = torch_run
    if references and installed("autograd"):
        import autograd
        import autograd.numpy as anp

        def chain(v):
            for _ in range(rounds):
                v = anp.tanh(anp.sin(v) * 0.9 + 0.1)
            return anp.sum(v)

        grad = autograd.value_and_grad(chain)
        contenders["HIPS autograd"] = lambda: (lambda vg: (float(vg[0]), [vg[1]]))(grad(x))
    return Workload("W3", f"{ops:,} chained ops on 10 elements (per-op cost)", rounds * 4, contenders)
