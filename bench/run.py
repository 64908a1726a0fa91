"""Run every benchmark in turn, each in its own process: ``python -m bench.run [--smoke]``."""
from __future__ import annotations

import subprocess
import sys

from .common import ROOT

BENCHMARKS = ["intake", "evaluate", "scaleout", "e2e", "sweep", "journey", "memory"]


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    failed = []
    for name in BENCHMARKS:
        result = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT)
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
