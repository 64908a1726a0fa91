"""Today's code and a git ref side by side: one benchmark run on each, in one run, and the ratio.

    python -m bench.compare 08423a2 evaluate            # full size
    python -m bench.compare main~5 evaluate intake --smoke

The ref is exported with ``git archive`` into a temporary directory and run with this checkout's
virtualenv: ``masa`` is imported from the ref's ``plugin/`` (and its ``migrations/`` and
``packs/``, laid out as the wheel lays them out) through ``PYTHONPATH``, which comes before the
editable install. The ref gets its own database (``masa_bench_ref``, dropped first: its
migrations are its own). Both write ``bench/results/<name>.json``; every number found under the
same key in both is printed with the ratio now / ref. A ref whose dependencies differ from
today's needs those installed in the virtualenv first.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import ROOT

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


def run(tree: Path, name: str, extra: list[str], env: dict) -> dict:
    subprocess.run([sys.executable, "-m", f"bench.{name}", *extra], cwd=tree, env=env, check=True)
    return json.loads((tree / "bench" / "results" / f"{name}.json").read_text())


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
    args = parser.parse_args(argv)
    extra = ["--smoke"] if args.smoke else []
    with tempfile.TemporaryDirectory(prefix="masa-ref-") as temporary:
        tree = export(args.ref, Path(temporary))
        drop_database(REF_DATABASE)
        ref_env = {**os.environ, "PYTHONPATH": str(Path(temporary) / "path"), "PGDATABASE": REF_DATABASE}
        report = []
        for name in args.benchmarks:
            print(f"== {name} at {args.ref}", flush=True)
            ref_figures = run(tree, name, extra, ref_env)
            print(f"== {name} now", flush=True)
            now_figures = run(ROOT, name, extra, dict(os.environ))
            report += [f"{name}: ref {args.ref} against the working tree", *side_by_side(ref_figures, now_figures)]
    print("\n".join(report))
    out = ROOT / "bench" / "results" / "compare.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
