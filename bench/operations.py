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
        times = timer({"hand": lambda: hand_cross_entropy(z, k), engine: lambda e=engine: run_engine(e, problem)}, repeats)
        detail = f" ({result.detail})" if result.detail else ""
        rows.append((f"{label} via {engine}{detail}", f"{times[engine].wall * 1e3:.1f} ms", times[engine].ratio(times["hand"]), ""))
    return rows
