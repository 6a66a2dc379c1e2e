"""A generated suite of small cases: the kind of file a tutorial checker runs in bulk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

TEMPLATES = (
    "mean(5*(x+1)**2)",
    "sum(exp(sin(x))*x**2 + tanh(x))",
    "sum(sigmoid(x)*y - log1p(y*y))",
    "mean((x - y)**2)",
    "sum(softplus(x) + relu(y) * cos(x))",
    "sum(tanh(x @ y.T))",
    "trace(x @ y.T) + sum(x*y)",
    "logsumexp(x*y)",
    "sum(sqrt(y*y + 1) / (1 + x*x))",
    "norm(x - y)",
)


def write_suite(directory: Path, count: int = 200, seed: int = 0) -> Path:
    """Write ``count`` cases cycling through TEMPLATES at random small shapes and values."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(count):
        rows, cols = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        values = {name: np.round(rng.uniform(-2, 2, (rows, cols)), 3).tolist() for name in ("x", "y")}
        cases.append({"name": f"generated-{k}", "expr": TEMPLATES[k % len(TEMPLATES)], "inputs": values})
    path = directory / "generated.yaml"
    path.write_text(yaml.safe_dump({"cases": cases}, default_flow_style=None))
    return path
