"""A case built from the operations real code differentiates: softmax cross-entropy, in every engine."""

from __future__ import annotations

import numpy as np

CROSS_ENTROPY = "F.cross_entropy(z, k)"


def hand_cross_entropy(z: np.ndarray, k: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss and its gradient, written by hand: (softmax(z) - onehot(k)) / N."""
    shifted = z - z.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(k))
    grad = np.exp(log_probabilities)
    grad[rows, k] -= 1
    return float(-log_probabilities[rows, k].mean()), grad / len(k)


def cross_entropy_rows(samples: int, classes: int, repeats: int, timer) -> list[tuple[str, str, str, str]]:
    """One row per engine: its time on F.cross_entropy of samples x classes logits, and its ratio to the hand-written gradient."""
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine

    rng = np.random.default_rng(12)
    z, k = rng.standard_normal((samples, classes)), rng.integers(0, classes, samples)
    case = Case("softmax-cross-entropy", CROSS_ENTROPY, {"z": z.tolist(), "k": k.astype(float).tolist()}, "bench", 1, wrt=["z"])
    problem = prepare(case, Overrides())
    expected_value, expected_grad = hand_cross_entropy(z, k)
    label = f"softmax cross-entropy {samples}x{classes}"
    rows = []
    for engine in ("numpy", "torch", "fd", "sympy"):
        result = run_engine(engine, problem)
        if not result.ok:
            rows.append((f"{label} via {engine}", f"{result.status}: {result.reason}", "", ""))
            continue
        np.testing.assert_allclose(result.value, expected_value, rtol=1e-9, err_msg=engine)
        if "z" in result.grads:
            np.testing.assert_allclose(result.grads["z"], expected_grad, rtol=1e-6, atol=1e-9, err_msg=engine)
        runs = min(repeats, 3) if engine == "sympy" else repeats  # NOTE: seconds a run
        times = timer({"hand": lambda: hand_cross_entropy(z, k), engine: lambda e=engine: run_engine(e, problem)}, runs)
        detail = f" ({result.detail})" if result.detail else ""
        rows.append((f"{label} via {engine}{detail}", f"{times[engine].wall * 1e3:.1f} ms", times[engine].ratio(times["hand"]), ""))
    return rows


SCALING_CASES = {
    "cross-entropy": ("F.cross_entropy(z, k)", ("z", "k")),
    "softmax": ("sum(F.softmax(z, dim=1) * z)", ("z",)),
    "log_softmax": ("torch.log_softmax(z, -1).sum()", ("z",)),
    "logsumexp": ("torch.logsumexp(z, dim=1).mean()", ("z",)),
    "var + std": ("torch.var(x) + np.std(x)", ("x",)),
    "max + indexing": ("torch.amax(z, dim=1).sum() + (z[:, 1:3] ** 2).sum() + z[::-1][0].sum()", ("z",)),
    "cumsum": ("torch.cumsum(x, 0).sum()", ("x",)),
    "mse": ("F.mse_loss(x, y)", ("x", "y")),
    "bce with logits": ("F.binary_cross_entropy_with_logits(x, q)", ("x", "q")),
    "smooth l1 + l1": ("F.smooth_l1_loss(x, y) + F.l1_loss(x, y)", ("x", "y")),
    "kl_div(log_softmax, softmax)": ("F.kl_div(F.log_softmax(z, dim=1), F.softmax(z * 0.5, dim=1), reduction='batchmean')", ("z",)),
}


def sympy_scaling_rows(elements: int, repeats: int, timer) -> list[tuple[str, str, str, str]]:
    """The SymPy engine in-process on cases of ``elements`` elements per input (the target: an exact reference within 1 s)."""
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine
    from verifygrad.process import limits

    rng = np.random.default_rng(3)
    rows_, columns = int(elements**0.5), elements // int(elements**0.5)
    data = {
        "z": rng.standard_normal((rows_, columns)),
        "k": rng.integers(0, columns, rows_).astype(float),
        "x": rng.standard_normal(elements),
        "y": rng.standard_normal(elements),
        "q": rng.uniform(0.05, 0.95, elements),
    }
    rows = []
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 0})):
        for label, (expr, names) in SCALING_CASES.items():
            wrt = [names[0]]
            problem = prepare(Case(label, expr, {n: data[n].tolist() for n in names}, "bench", 1, wrt=wrt), Overrides())
            result, numpy_result = run_engine("sympy", problem), run_engine("numpy", problem)
            if not result.ok:
                rows.append((f"{label}, {elements} elements, via sympy", f"{result.status}: {result.reason}", "", "≤ 1 s"))
                continue
            np.testing.assert_allclose(result.grads[wrt[0]], numpy_result.grads[wrt[0]], rtol=1e-9, atol=1e-15, err_msg=label)
            times = timer({"numpy": lambda p=problem: run_engine("numpy", p), "sympy": lambda p=problem: run_engine("sympy", p)}, repeats)
            route = "exact" if result.exact else "float64"
            measured, ratio = f"{times['sympy'].wall * 1e3:.0f} ms", f"{times['sympy'].ratio(times['numpy'])} of numpy"
            rows.append((f"{label}, {elements} elements, via sympy ({route})", measured, ratio, "≤ 1 s"))
    return rows


# A small CNN: two convolutions, max pooling, batch norm (training), a linear layer, cross-entropy; one expression.
CNN = (
    "F.cross_entropy(F.linear(torch.flatten(F.relu(F.batch_norm(F.conv2d(F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2), w2, b2, padding=1),"
    " None, None, gamma, beta, True)), 1), wl, bl), k)"
)
CNN_WEIGHTS = ("w1", "b1", "w2", "b2", "gamma", "beta", "wl", "bl")


def cnn_inputs(batch: int, side: int, seed: int = 21) -> dict[str, np.ndarray]:
    """Images (batch, 1, side, side), 4 then 6 channels, 3 classes: the CNN's inputs and weights."""
    rng = np.random.default_rng(seed)
    pooled = (side - 2) // 2
    return {
        "x": rng.standard_normal((batch, 1, side, side)),
        "w1": rng.standard_normal((4, 1, 3, 3)) / 3, "b1": rng.standard_normal(4) / 10,
        "w2": rng.standard_normal((6, 4, 3, 3)) / 6, "b2": rng.standard_normal(6) / 10,
        "gamma": 1 + rng.standard_normal(6) / 10, "beta": rng.standard_normal(6) / 10,
        "wl": rng.standard_normal((3, 6 * pooled * pooled)) / pooled, "bl": rng.standard_normal(3) / 10,
        "k": rng.integers(0, 3, batch).astype(float),
    }  # fmt: skip


def torch_cnn(inputs: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """The CNN written in torch itself (torch.nn.functional and autograd): the value and each weight's gradient."""
    import torch
    import torch.nn.functional as F

    leaves = {name: torch.from_numpy(value).requires_grad_(name in CNN_WEIGHTS) for name, value in inputs.items() if name != "k"}
    hidden = F.max_pool2d(F.relu(F.conv2d(leaves["x"], leaves["w1"], leaves["b1"])), 2)
    hidden = F.conv2d(hidden, leaves["w2"], leaves["b2"], padding=1)
    hidden = F.relu(F.batch_norm(hidden, None, None, leaves["gamma"], leaves["beta"], True))
    logits = F.linear(torch.flatten(hidden, 1), leaves["wl"], leaves["bl"])
    loss = F.cross_entropy(logits, torch.from_numpy(inputs["k"]).long())
    loss.backward()
    return loss.item(), {name: leaves[name].grad.numpy() for name in CNN_WEIGHTS}


def cnn_rows(batch: int, side: int, sympy_batch: int, sympy_side: int, repeats: int, timer) -> list[tuple[str, str, str, str]]:
    """One row per engine: its time on the CNN's value and weight gradients, against torch written directly; and the
    SymPy reference's time on a smaller batch (it expands every element symbolically)."""
    import torch

    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine
    from verifygrad.process import limits

    torch.set_num_threads(1)  # NOTE: on a shared machine, torch's thread pool measures the contention, not the work
    rows = []
    for engines, size in ((("numpy", "torch", "fd"), (batch, side)), (("sympy",), (sympy_batch, sympy_side))):
        inputs = cnn_inputs(*size)
        case = Case("small-cnn", CNN, {name: value.tolist() for name, value in inputs.items()}, "bench", 1, wrt=list(CNN_WEIGHTS))
        problem = prepare(case, Overrides())
        expected_value, expected_grads = torch_cnn(inputs)
        label = f"small CNN (2 conv, max pool, batch norm, linear, cross-entropy), batch {size[0]} of 1x{size[1]}x{size[1]}"
        with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 0})):
            for engine in engines:
                result = run_engine(engine, problem)
                if not result.ok:
                    rows.append((f"{label} via {engine}", f"{result.status}: {result.reason}", "", ""))
                    continue
                np.testing.assert_allclose(result.value, expected_value, rtol=1e-9, err_msg=engine)
                # NOTE: relative to the largest gradient element: b2's gradient is 0 (batch norm takes the mean out)
                scale = max(float(np.max(np.abs(grad))) for grad in expected_grads.values())
                worst = max(float(np.max(np.abs(result.grads[n] - expected_grads[n]))) for n in CNN_WEIGHTS if n in result.grads) / scale
                if engine != "fd":  # NOTE: central differences straddle the relu and max-pool kinks: reported, not asserted
                    assert worst < 1e-8, f"{engine}: gradients differ from torch's by {worst:.1e}"
                detail = f" ({result.detail}; gradients within {worst:.0e} of torch's)" if result.detail else f" (within {worst:.0e} of torch)"
                if engine == "sympy":  # NOTE: later calls reuse the derivation (cached): the first call is the reference's time
                    rows.append((f"{label} via {engine}{detail}, first call", f"{result.seconds * 1e3:.0f} ms", "", ""))
                    continue
                times = timer({"torch (written directly)": lambda i=inputs: torch_cnn(i), engine: lambda e=engine, p=problem: run_engine(e, p)}, repeats)
                ratio = f"{times[engine].ratio(times['torch (written directly)'])} of torch written directly"
                rows.append((f"{label} via {engine}{detail}", f"{times[engine].wall * 1e3:.1f} ms", ratio, ""))
    return rows
