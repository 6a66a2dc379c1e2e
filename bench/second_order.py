"""Second-order rows: Hessian-vector products on W1 and W2 against the same engine's gradient, and SymPy's Hessian of W1.

Each HVP contender returns H·v for the workload's inputs along one seeded direction; the
numpy engine's is the derived program (reverse over reverse), timed against its own
gradient on the same inputs, and beside torch's double backward and HIPS autograd's
``hessian_vector_product`` where installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench import workloads
from verifygrad.engines import numpy_second_order
from verifygrad.language.parse import parse

Row = tuple[str, str, str, str]
HVP_TARGET = "≤ 3x"


def _inputs(name: str, size: int) -> tuple[str, dict[str, np.ndarray]]:
    if name == "W1":
        return workloads.W1_EXPR, {"x": np.random.default_rng(0).uniform(-2, 2, size)}
    rng = np.random.default_rng(1)
    return workloads.W2_EXPR, {"A": rng.standard_normal((size, size)) / np.sqrt(size), "B": rng.standard_normal((size, size)) / np.sqrt(size)}


def contenders(name: str, size: int, references: bool) -> dict[str, Callable[[], list[np.ndarray]]]:
    """The gradient (the yardstick) first, then every HVP contender installed."""
    expr, inputs = _inputs(name, size)
    wrt = tuple(inputs)
    program = parse(expr)
    rng = np.random.default_rng(5)
    directions = {n: rng.standard_normal(v.shape) for n, v in inputs.items()}
    gradient = workloads.engine_contender(program, inputs)
    found: dict[str, Callable[[], list[np.ndarray]]] = {
        "verifygrad numpy gradient": lambda: gradient()[1],
        "verifygrad numpy HVP": lambda: list(numpy_second_order.hvp(program, inputs, "float64", wrt, directions).values()),
    }
    if references and workloads.installed("torch"):
        found["torch double backward HVP"] = _torch_hvp(name, inputs, directions)
    if references and workloads.installed("autograd"):
        found["HIPS autograd hessian_vector_product"] = _autograd_hvp(name, inputs, directions)
    return found


def _torch_hvp(name: str, inputs: dict[str, np.ndarray], directions: dict[str, np.ndarray]) -> Callable[[], list[np.ndarray]]:
    import torch

    def run() -> list[np.ndarray]:
        leaves = [torch.from_numpy(v).requires_grad_() for v in inputs.values()]
        if name == "W1":
            x = leaves[0]
            out = torch.mean(torch.exp(torch.sin(x)) * x**2 + torch.tanh(x))
        else:
            out = torch.tanh(leaves[0] @ leaves[1]).sum()
        grads = torch.autograd.grad(out, leaves, create_graph=True)
        dot = sum((g * torch.from_numpy(directions[n])).sum() for g, n in zip(grads, inputs))
        return [h.numpy() for h in torch.autograd.grad(dot, leaves)]

    return run


def _autograd_hvp(name: str, inputs: dict[str, np.ndarray], directions: dict[str, np.ndarray]) -> Callable[[], list[np.ndarray]]:
    import autograd
    import autograd.numpy as anp

    if name == "W1":
        hvp = autograd.hessian_vector_product(lambda v: anp.mean(anp.exp(anp.sin(v)) * v**2 + anp.tanh(v)))
        return lambda: [hvp(inputs["x"], directions["x"])]
    # NOTE: hessian_vector_product takes one argument: A and B travel as one tuple
    hvp = autograd.hessian_vector_product(lambda ab: anp.sum(anp.tanh(anp.dot(ab[0], ab[1]))))
    return lambda: list(hvp((inputs["A"], inputs["B"]), (directions["A"], directions["B"])))


def hvp_rows(name: str, size: int, repeats: int, references: bool, interleaved: Callable) -> list[Row]:
    """HVP times, each against the numpy engine's gradient; every HVP checked against the numpy engine's."""
    runs = contenders(name, size, references)
    ours = runs["verifygrad numpy HVP"]()
    for label, run in runs.items():
        if "HVP" in label or "hessian" in label:
            for got, expected in zip(run(), ours):
                np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=label)
    times = interleaved(runs, repeats)
    gradient = times["verifygrad numpy gradient"]
    return [
        (f"{name} {label}", f"{timing.wall * 1e3:.2f} ms", timing.ratio(gradient), HVP_TARGET if label == "verifygrad numpy HVP" else "")
        for label, timing in times.items()
    ]


def sympy_hessian_rows(size: int, repeats: int, interleaved: Callable) -> list[Row]:
    """SymPy's Hessian of W1 (diagonal: H·v along a seeded direction) by the scalar route, first call and repeated."""
    import time

    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines.sympy import second

    x = np.random.default_rng(0).uniform(-2, 2, size)
    problem = prepare(Case("w1-hessian", workloads.W1_EXPR, {"x": x.tolist()}, "bench", 1, hessian=True), Overrides())
    start = time.perf_counter()
    found, how, _ = second.quantities(problem)
    first = time.perf_counter() - start
    times = interleaved({"sympy": lambda: second.quantities(problem)}, repeats)
    label = f"W1 Hessian via sympy ({how.split(' (')[0]}; {size} elements, H·v: the Hessian is diagonal)"
    return [(f"{label}, first call", f"{first * 1e3:.0f} ms", "", "≤ 2 s"), (f"{label}, repeated", f"{times['sympy'].wall * 1e3:.0f} ms", "", "")]
