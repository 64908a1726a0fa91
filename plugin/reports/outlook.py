"""How far a holdout or an A/B split is from an answer, in terms an owner can act on.

``customers_to_tell``: customers a group it takes to tell the difference seen so far from chance
(95 % confidence, 80 % power) — sized on what this shop's customers actually do, not on a fixed
uplift a small shop could never measure. ``Outlook`` turns it into "about N more customers (about
M weeks at this pace)", or says the difference is too small to tell when that would take longer
than ``LONGEST_WAIT``. ``chance_best``: each branch's probability of ordering most (uniform
priors, the same draws every time).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

Z = 1.959964            # two-sided 95 %
Z_POWER = 0.841621      # 80 % power

LONGEST_WAIT = timedelta(days=365)   # beyond this, "too small to tell at this shop's size"
MINIMUM_A_SIDE = 10                  # below it no verdict is given, however wide the gap
DRAWS = 10_000


def customers_to_tell(p1: float, p2: float) -> float:
    """Customers a group to tell ``p1`` from ``p2`` (two-sided 95 %, 80 % power); inf when equal."""
    if p1 == p2:
        return math.inf
    mean = (p1 + p2) / 2
    n = (Z * math.sqrt(2 * mean * (1 - mean)) + Z_POWER * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p1 - p2) ** 2
    return float(math.ceil(n))


def about(number: float) -> int:
    """Rounded as one says "about": 7, 40, 130, 1,200."""
    if number < 10:
        return max(1, math.ceil(number))
    scale = 10 ** (len(str(int(number))) - 2)
    return int(math.ceil(number / scale) * scale)


@dataclass(frozen=True)
class Outlook:
    """``state``: ``none`` (no customer yet), ``no_orders`` (no one ordered on either side),
    ``more`` (about ``more`` customers to go, ``wait`` at this pace), ``too_small`` (the gap would
    take longer than LONGEST_WAIT to tell), ``told`` (enough customers or a clear answer)."""

    state: str
    more: int = 0
    wait: timedelta | None = None

    @property
    def weeks(self) -> int:
        return max(1, round(self.wait.days / 7)) if self.wait else 0


def outlook(groups: list, shares: list[float], period: timedelta, told: bool) -> Outlook:
    """Where a comparison of ``groups`` (each with customers, converted) stands; ``shares``: the
    part of the customers each group gets (they add up to 1); ``period``: how long the customers
    so far took to come; ``told``: the comparison already gives an answer."""
    customers = [group.customers for group in groups]
    if not sum(customers):
        return Outlook("none")
    if told and min(customers) >= MINIMUM_A_SIDE:
        return Outlook("told")
    if not any(group.converted for group in groups):
        return Outlook("no_orders")
    rates = sorted((group.rate for group in groups), reverse=True)
    per_group = max(customers_to_tell(rates[0], rates[1]), MINIMUM_A_SIDE)
    if math.isinf(per_group):
        return Outlook("too_small")
    more = max(max(per_group - count, 0) / share for count, share in zip(customers, shares) if share)
    if more <= 0:
        return Outlook("told")
    pace = sum(customers) / max(period.total_seconds(), 1)
    wait = timedelta(seconds=more / pace)
    if wait > LONGEST_WAIT:
        return Outlook("too_small")
    return Outlook("more", about(more), wait)


def chance_best(groups: list, seed: int = 2026) -> list[float]:
    """For each group, the probability that its true order rate is the highest (Beta(1 + ordered,
    1 + not ordered) for each, compared over the same seeded draws)."""
    rng = random.Random(seed)
    wins = [0] * len(groups)
    for _ in range(DRAWS):
        draws = [rng.betavariate(1 + g.converted, 1 + g.customers - g.converted) for g in groups]
        wins[draws.index(max(draws))] += 1
    return [count / DRAWS for count in wins]
