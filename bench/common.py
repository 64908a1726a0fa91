"""What every benchmark shares: Django on the real PostgreSQL, percentiles, RSS, result files."""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def setup_django(database: str = "masa_bench") -> None:
    """Point the example site at PostgreSQL database ``database`` (created and migrated if needed)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "example")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["MASA_DB"] = "postgres"
    os.environ.setdefault("PGDATABASE", database)
    _create_database(os.environ["PGDATABASE"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(host=os.environ.get("PGHOST", "127.0.0.1"), user=os.environ.get("PGUSER", "postgres"),
                         dbname="postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE masa_deliveryattempt, masa_delivery, masa_scheduledaction, masa_rulefiring, "
            "masa_storeevent, masa_inbounddelivery, masa_customer, masa_rule, masa_rulepack, "
            "masa_messagetemplate, masa_channel RESTART IDENTITY CASCADE"
        )


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(samples)

    def at(fraction):
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def write_result(name: str, figures: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": machine(), **figures}
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


class Checks:
    """What a benchmark checked of its own work: the figures it reports must come from work done
    (sent = due, evaluated = stored, nothing failed or doubled, headline figures above zero).
    Each check adds what it saw to the ``checked:`` line and any mismatch to ``failures``."""

    def __init__(self):
        self.seen: list[str] = []
        self.failures: list[str] = []
        self._groups: list[tuple[str, list[str]]] = [("", [])]

    def group(self, name: str) -> None:
        """The checks that follow are about ``name`` (one run, one level): shown together."""
        self._groups.append((name, []))

    def _saw(self, text: str, failure: str | None) -> None:
        name = self._groups[-1][0]
        self._groups[-1][1].append(text)
        self.seen.append(f"{name}: {text}" if name else text)
        if failure:
            self.failures.append(f"{name}: {failure}" if name else failure)

    def equal(self, what: str, actual, expected, some: bool = False) -> None:
        """``actual`` must be ``expected`` (and, with ``some``, above 0)."""
        wrong = actual != expected or (some and not is_figure(actual))
        self._saw(f"{_shown(actual)} {what}", f"{what}: {_shown(actual)}, expected {_shown(expected)}"
                  + (" and above 0" if some else "") if wrong else None)

    def none(self, what: str, actual) -> None:
        """``actual`` things went wrong: must be 0."""
        self.equal(what, actual, 0)

    def some(self, what: str, actual) -> None:
        """A figure the benchmark reports: must be a number above 0."""
        self._saw(f"{_shown(actual)} {what}",
                  None if is_figure(actual) else f"{what}: {_shown(actual)}, expected a figure above 0")

    def true(self, what: str, holds: bool) -> None:
        self._saw(f"{what}: {'yes' if holds else 'NO'}", None if holds else f"{what}: no")

    def line(self) -> str:
        return "checked: " + "; ".join(f"{name}: {', '.join(texts)}" if name else ", ".join(texts)
                                       for name, texts in self._groups if texts)


def _shown(value) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def is_figure(value) -> bool:
    """A measured figure: a finite number above zero (not missing, not 0, not NaN, not a bool)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def result_problems(result: dict | None) -> list[str]:
    """Why a benchmark's result (its JSON) cannot be trusted: missing, its own checks failed, or a
    headline figure missing, zero or NaN."""
    if not result:
        return ["no result written"]
    problems = []
    checked = result.get("checked")
    if not isinstance(checked, dict) or not checked.get("seen"):
        problems.append("no record of what it checked")
    elif checked.get("failures"):
        problems += [f"check failed: {failure}" for failure in checked["failures"]]
    headline = result.get("headline")
    if not isinstance(headline, dict) or not headline:
        problems.append("no headline figures")
    else:
        problems += [f"headline figure {key} is {value!r}" for key, value in headline.items() if not is_figure(value)]
    return problems


def read_result(name: str, since: float = 0.0) -> dict | None:
    """``bench/results/<name>.json`` if it was written at or after ``since`` (a time.time())."""
    path = RESULTS / f"{name}.json"
    if not path.exists() or path.stat().st_mtime < since:
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def report(name: str, lines: list[str], figures: dict, checks: Checks, headline: dict) -> None:
    """Print and write the result with what was checked and its headline figures; exits non-zero
    when a check failed or a headline figure is missing, zero or NaN."""
    checks.group("headline")
    for key, value in headline.items():
        checks.some(key, value)
    figures = {**figures, "headline": headline,
               "checked": {"seen": checks.seen, "failures": checks.failures, "ok": not checks.failures}}
    print(f"== {name}")
    for line in [*lines, checks.line()]:
        print(f"  {line}")
    path = write_result(name, figures)
    print(f"  → {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    problems = result_problems(json.loads(json.dumps(figures, default=str)))
    if problems:
        raise SystemExit(f"{name}: did not do the work it reports: " + "; ".join(problems))
