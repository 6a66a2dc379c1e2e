"""The long fuzz and differential run, for local use: ``python -m tests.fuzz --scale 40``.

The default suite runs the same tests with bounded example counts; this multiplies
every count by SCALE and prints Hypothesis's
statistics: how many examples passed, failed, or were rejected as outside the domain.
"""

from __future__ import annotations

import argparse
import os
import sys

import pytest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20, help="multiply every test's example count (default 20)")
    parser.add_argument("-k", default="", help="only tests matching this pytest -k expression")
    parser.add_argument("-n", default="0", help="pytest-xdist workers (default 0: in this process)")
    args = parser.parse_args()
    os.environ["VERIFYGRAD_FUZZ_SCALE"] = str(args.scale)
    here = os.path.dirname(__file__)
    files = [os.path.join(here, name) for name in ("test_fuzz.py", "test_fuzz_reports.py", "test_differential.py")]
    options = ["-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", "-n", args.n]
    return pytest.main([*files, *options, *(["-k", args.k] if args.k else [])])


if __name__ == "__main__":
    sys.exit(main())
