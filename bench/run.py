"""Run every benchmark in turn, each in its own process: ``python -m bench.run [--smoke]``.

A benchmark fails when it exits non-zero or when the result it wrote in this run
(``bench/results/<name>.json``) does not hold up: its own checks failed, or a headline figure is
missing, zero or NaN (``common.result_problems``). ``python -m bench.run --check soak`` checks
results already written, without running anything.
"""
from __future__ import annotations

import subprocess
import sys
import time

from .common import ROOT, read_result, result_problems

BENCHMARKS = ["intake", "evaluate", "scaleout", "e2e", "sweep", "broadcast", "journey", "memory"]


def check(name: str, since: float = 0.0) -> list[str]:
    """What is wrong with ``name``'s result written at or after ``since``; printed, empty if nothing."""
    problems = result_problems(read_result(name, since))
    for problem in problems:
        print(f"{name}: {problem}", file=sys.stderr)
    return problems


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--check"]:
        return 1 if [name for name in args[1:] or BENCHMARKS if check(name)] else 0
    failed = []
    for name in BENCHMARKS:
        started = time.time()
        result = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT)
        if check(name, since=started - 1) or result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
