"""Write a generated suite of case files for timing `verifygrad run -j N`.

    python bench/gen_suite.py OUT_DIR [--cases 200] [--seed 0]

Cases cycle through expression templates on seeded random inputs; every 25th claims a wrong
gradient, so the suite exercises failing panels and exit code 1 as well as passing cases.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TEMPLATES = [
    ("sum(x*x)", lambda g: {"grad": {"x": [2 * v for v in g["x"]]}}),
    ("mean(5*(x+1)**2)", lambda g: {"grad": {"x": [10 * (v + 1) / len(g["x"]) for v in g["x"]]}}),
    ("sum(sin(x)*y)", None),
    ("sum(exp(x)/(1+exp(x)))", None),
    ("sum(x*y) + sum(y**2)", None),
    ("mean(tanh(x)*3 - y)", None),
    ("sum(log(1 + x*x))", None),
    ("sum(sqrt(x*x + 1)*y)", None),
]
CASES_PER_FILE = 50


def suite(count: int, seed: int = 0) -> list[dict]:
    """``count`` cases as plain data, reproducible from ``seed``."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        expr, claim = TEMPLATES[i % len(TEMPLATES)]
        size = rng.randint(2, 6)
        inputs = {"x": [round(rng.uniform(-2, 2), 3) for _ in range(size)]}
        if "y" in expr:
            inputs["y"] = [round(rng.uniform(-2, 2), 3) for _ in range(size)]
        case = {"name": f"gen-{i:04d}", "expr": expr, "inputs": inputs}
        if claim:
            case["expect"] = claim(inputs)
        if i % 25 == 24:
            case["expect"] = {"grad": {"x": [v + 1 for v in inputs["x"]]}}  # deliberately wrong
        cases.append(case)
    return cases


def write_suite(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """The suite as YAML files of up to 50 cases each under ``folder``."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    cases = suite(count, seed)
    paths = []
    for start in range(0, len(cases), CASES_PER_FILE):
        path = folder / f"generated_{start // CASES_PER_FILE:02d}.yaml"
        path.write_text(yaml.safe_dump({"cases": cases[start : start + CASES_PER_FILE]}, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in write_suite(args.folder, args.cases, args.seed):
        print(path)
