"""Today's code and a git ref side by side: one benchmark run on each, in one run, and the ratio.

    python -m bench.compare 08423a2 evaluate            # full size
    python -m bench.compare main~5 evaluate intake --smoke
    python -m bench.compare 02f99a0 e2e --args="--worker celery --rates 40"   # options for both runs

The ref is exported with ``git archive`` into a temporary directory and run with this checkout's
virtualenv: ``masa`` is imported from the ref's ``plugin/`` (and its ``migrations/`` and
``packs/``, laid out as the wheel lays them out) through ``PYTHONPATH``, which comes before the
editable install. The ref gets its own database (``masa_bench_ref``, dropped first: its
migrations are its own). Both write ``bench/results/<name>.json``; every number found under the
same key in both is printed with the ratio now / ref. A ref whose dependencies differ from
today's needs those installed in the virtualenv first.

A figure is only compared when the work behind it was done. Each side's result is judged as
``bench.run`` judges it (``common.result_problems``): a ref whose benchmark failed its own checks,
wrote no result, or reported zero where today's reports work is printed as "did not do the work"
with the reasons, and its figures are not turned into ratios; a ref older than the checks is said
to be so. Today's tree must pass its checks: compare exits non-zero otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import ROOT, result_problems

REF_DATABASE = "masa_bench_ref"
SETTINGS = {"target", "target_rps", "firings", "events_per_run", "runs", "workers", "threads"}  # sizes, not figures


def export(ref: str, into: Path) -> Path:
    tree = into / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = into / "path" / "masa"
    package.mkdir(parents=True)
    for entry in (tree / "plugin").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "migrations").symlink_to(tree / "migrations")
    (package / "shipped_packs").symlink_to(tree / "packs")
    return tree


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(host=os.environ.get("PGHOST", "127.0.0.1"), user=os.environ.get("PGUSER", "postgres"),
                         dbname="postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(tree: Path, name: str, extra: list[str], env: dict) -> tuple[dict | None, int]:
    """The benchmark's result (None when it wrote none) and its exit code."""
    path = tree / "bench" / "results" / f"{name}.json"
    path.unlink(missing_ok=True)
    code = subprocess.run([sys.executable, "-m", f"bench.{name}", *extra], cwd=tree, env=env).returncode
    try:
        return json.loads(path.read_text()), code
    except (OSError, ValueError):
        return None, code


UNCHECKED = "no record of what it checked"


def verdict(result: dict | None, code: int) -> list[str]:
    """Why a side's figures cannot be compared (empty: they can). A result older than the checks
    is not refused for that alone."""
    problems = [problem for problem in result_problems(result) if problem != UNCHECKED]
    if result is not None and "checked" not in result:
        problems = [problem for problem in problems if problem != "no headline figures"]
    if code and not problems:
        problems.append(f"exited with {code}")
    return problems


def did_no_work(ref_figures: dict, now_figures: dict) -> list[str]:
    """Today's headline figures the ref reported as zero (or not at all) under the same key: what
    a benchmark that did no work looks like from before the checks."""
    ref = dict(numbers(ref_figures))
    return [f"{key} is {ref.get((key,), ref.get(('headline', key), 'missing'))!r} (now {value:,})"
            for key, value in (now_figures.get("headline") or {}).items()
            if isinstance(value, (int, float)) and value and not ref.get((key,), ref.get(("headline", key)))]


def describe(label: str, result: dict | None, problems: list[str]) -> str:
    if problems:
        return f"  {label}: DID NOT DO THE WORK IT REPORTS — " + "; ".join(problems)
    if result is not None and "checked" not in result:
        return f"  {label}: from before benchmarks checked their work (its figures as it printed them)"
    return f"  {label}: checked — {'; '.join(f'{k} {v:,}' for k, v in (result.get('headline') or {}).items())}"


def compared(name: str, ref: str, ref_side: tuple[dict | None, int], now_side: tuple[dict | None, int]) -> tuple[list[str], bool]:
    """The report of one benchmark, and whether today's tree did its work."""
    (ref_figures, ref_code), (now_figures, now_code) = ref_side, now_side
    ref_problems, now_problems = verdict(ref_figures, ref_code), verdict(now_figures, now_code)
    if not ref_problems and ref_figures is not None and now_figures is not None and "checked" not in ref_figures:
        ref_problems = [f"headline {problem}" for problem in did_no_work(ref_figures, now_figures)]
    lines = [f"{name}: ref {ref} against the working tree",
             describe(f"ref {ref}", ref_figures, ref_problems), describe("now", now_figures, now_problems)]
    if not ref_problems and not now_problems:
        lines += side_by_side(ref_figures, now_figures)
    elif now_figures is not None and not now_problems:
        lines += [f"  {'.'.join(path):<60} ref {'(no work)':>12}   now {value:>12,.2f}"
                  for path, value in numbers({k: v for k, v in now_figures.items() if k == "headline"})]
    return lines, not now_problems


def numbers(value, path=()):
    """(key path, number) for every number in a result file (lists by position)."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from numbers(inner, (*path, str(key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from numbers(inner, (*path, str(index)))


def side_by_side(ref_figures: dict, now_figures: dict) -> list[str]:
    def figures(result):
        return {key: value for key, value in result.items()
                if key not in ("machine", "taken_at", "smoke", "headline", "checked")}  # headline: figures repeated

    ref = dict(numbers(figures(ref_figures)))
    lines = []
    for path, value in numbers(figures(now_figures)):
        if path in ref and not path[-1].isdigit() and path[-1] not in SETTINGS:
            before = ref[path]
            ratio = f"{value / before:6.2f}×" if before else "     —"
            lines.append(f"  {'.'.join(path):<60} ref {before:>12,.2f}   now {value:>12,.2f}   {ratio}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="a commit, tag or branch of this repository")
    parser.add_argument("benchmarks", nargs="+", help="benchmark names: evaluate, intake, e2e, …")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--args", default="", help="options for every benchmark run, e.g. \"--worker celery\"")
    args = parser.parse_args(argv)
    extra = (["--smoke"] if args.smoke else []) + args.args.split()
    with tempfile.TemporaryDirectory(prefix="masa-ref-") as temporary:
        tree = export(args.ref, Path(temporary))
        drop_database(REF_DATABASE)
        ref_env = {**os.environ, "PYTHONPATH": str(Path(temporary) / "path"), "PGDATABASE": REF_DATABASE}
        report, all_done = [], True
        for name in args.benchmarks:
            print(f"== {name} at {args.ref}", flush=True)
            ref_side = run(tree, name, extra, ref_env)
            print(f"== {name} now", flush=True)
            now_side = run(ROOT, name, extra, dict(os.environ))
            lines, done = compared(name, args.ref, ref_side, now_side)
            report += lines
            all_done &= done
    print("\n".join(report))
    out = ROOT / "bench" / "results" / "compare.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report) + "\n")
    if not all_done:
        raise SystemExit("compare: today's tree did not do the work it reports (see above)")


if __name__ == "__main__":
    main()
