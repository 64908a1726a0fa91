"""Did a rule (or pack) earn money it would not have earned anyway? Treated customers against the
held-out ones (``actions.holdout``), with 95 % intervals and how many more customers it takes.

Who counts: each customer whose marketing send of the rule (any rule of the pack) was sent or
held out in the period, once, at the first such send. Converted: an order within ``window``
after it. Revenue: the totals of those orders (in the store's currency).

The statistics (docs/holdouts.md says what they mean and do not mean):
- conversion: the difference of two proportions with Newcombe's hybrid score interval (method
  10 of Newcombe 1998, from two Wilson intervals), which keeps its coverage at small counts and
  rates near 0, where the textbook Wald interval does not;
- revenue per customer: the difference of means with Welch's interval (unequal variances,
  Welch–Satterthwaite degrees of freedom), robust enough for skewed order values at these sizes;
- enough data: customers per group to tell a 25 % relative uplift in conversion from chance at
  95 % confidence with 80 % power, at the held-out group's current rate (5 % while it has none).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q

from ..models import Delivery, RulePack, Rule, ScheduledAction, StoreEvent
from ..money import decimal

Z = 1.959964            # two-sided 95 %
Z_POWER = 0.841621      # 80 % power
RELATIVE_UPLIFT = 0.25  # the smallest uplift the "enough data" figure is for
BASELINE_WHEN_NONE = 0.05
_T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
          12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_of_proportions(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """p1 − p2 with Newcombe's hybrid score 95 % interval."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, low, high


def t_quantile(df: float) -> float:
    """The 97.5 % quantile of Student's t (a table, interpolated; the normal beyond 120)."""
    if df >= 120:
        return Z if df > 1000 else _T_975[120] + (Z - _T_975[120]) * (df - 120) / 880
    keys = sorted(_T_975)
    df = max(1.0, df)
    for low, high in zip(keys, keys[1:]):
        if low <= df <= high:
            return _T_975[low] + (_T_975[high] - _T_975[low]) * (df - low) / (high - low)
    return _T_975[1]


def difference_of_means(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """mean(a) − mean(b) with Welch's 95 % interval."""
    if len(a) < 2 or len(b) < 2:
        difference = (sum(a) / len(a) if a else 0.0) - (sum(b) / len(b) if b else 0.0)
        return difference, -math.inf, math.inf
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    se2 = var_a / len(a) + var_b / len(b)
    if se2 == 0:
        return mean_a - mean_b, mean_a - mean_b, mean_a - mean_b
    df = se2 ** 2 / ((var_a / len(a)) ** 2 / (len(a) - 1) + (var_b / len(b)) ** 2 / (len(b) - 1))
    half = t_quantile(df) * math.sqrt(se2)
    return mean_a - mean_b, mean_a - mean_b - half, mean_a - mean_b + half


def customers_needed(baseline: float) -> int:
    """Customers per group to detect a RELATIVE_UPLIFT at ``baseline`` (95 %, 80 % power)."""
    p1 = baseline if baseline > 0 else BASELINE_WHEN_NONE
    p2 = min(0.99, p1 * (1 + RELATIVE_UPLIFT))
    mean = (p1 + p2) / 2
    n = (Z * math.sqrt(2 * mean * (1 - mean)) + Z_POWER * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
    return math.ceil(n)


@dataclass
class Group:
    customers: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def rate(self) -> float:
        return self.converted / self.customers if self.customers else 0.0


@dataclass
class Incremental:
    key: str
    label: str
    percent: int
    treated: Group
    held_out: Group
    conversion: tuple[float, float, float]   # difference, low, high (proportions)
    revenue: tuple[float, float, float]      # per customer
    needed: int                               # customers per group for the minimum
    currency: str = ""

    @property
    def treated_mean(self) -> Decimal:
        return self.treated.revenue / self.treated.customers if self.treated.customers else Decimal(0)

    @property
    def held_out_mean(self) -> Decimal:
        return self.held_out.revenue / self.held_out.customers if self.held_out.customers else Decimal(0)

    @property
    def revenue_known(self) -> bool:
        return math.isfinite(self.revenue[1])

    @property
    def baseline(self) -> float:
        return self.held_out.rate or BASELINE_WHEN_NONE

    @property
    def enough(self) -> bool:
        return min(self.treated.customers, self.held_out.customers) >= self.needed

    @property
    def more_customers(self) -> int:
        """About how many more customers must reach the send before the groups are big enough."""
        if self.enough or not self.percent:
            return 0
        # at most 50 % held out, the held-out group is the smaller: it sets the pace
        return math.ceil(max(self.needed - self.held_out.customers, 0) * 100 / self.percent)

    @property
    def verdict(self) -> str:
        if not self.enough:
            return "not enough data yet"
        low, high = self.conversion[1], self.conversion[2]
        if low > 0:
            return "it earns orders that would not have come"
        if high < 0:
            return "it loses orders: the held-out customers order more"
        return "no clear difference"


def _reached(actions) -> dict[int, tuple]:
    """customer → (held out, when) of their first marketing send of these rules in the period."""
    first: dict[int, tuple] = {}
    sent = set(Delivery.objects.filter(action__in=actions, status__in=Delivery.SENT_STATUSES)
               .values_list("action_id", flat=True))
    for pk, customer_id, held_out, at in actions.order_by("completed_at", "pk").values_list(
            "pk", "customer_id", "held_out", "completed_at"):
        if customer_id in first or not (held_out or pk in sent):
            continue
        first[customer_id] = (held_out, at)
    return first


def incremental(key: str, label: str, percent: int, rule_pks: list[int], since, until,
                window: timedelta = timedelta(days=7)) -> Incremental:
    actions = ScheduledAction.objects.filter(rule_id__in=rule_pks, kind="send", status=ScheduledAction.Status.DONE,
                                             completed_at__gte=since, completed_at__lt=until)
    actions = actions.filter(Q(params__class__isnull=True) | Q(params__class="marketing"))
    reached = _reached(actions)
    orders = defaultdict(list)
    currency = ""
    for customer_id, at, total, order_currency in StoreEvent.objects.filter(
            name="order_placed", customer_id__in=reached).values_list("customer_id", "occurred_at", "data__total",
                                                                      "data__currency"):
        orders[customer_id].append((at, decimal(total)))
        currency = currency or order_currency or ""
    groups = {True: Group(), False: Group()}
    values: dict[bool, list[float]] = {True: [], False: []}
    for customer_id, (held_out, at) in reached.items():
        bought = [total for when, total in orders.get(customer_id, []) if at < when <= at + window]
        group = groups[bool(held_out)]
        group.customers += 1
        group.converted += bool(bought)
        group.revenue += sum(bought, Decimal(0))
        values[bool(held_out)].append(float(sum(bought, Decimal(0))))
    treated, control = groups[False], groups[True]
    return Incremental(
        key, label, percent, treated, control,
        difference_of_proportions(treated.converted, treated.customers, control.converted, control.customers),
        difference_of_means(values[False], values[True]), customers_needed(control.rate), currency)


def incremental_results(since, until, window: timedelta = timedelta(days=7)) -> list[Incremental]:
    """One per rule with its own holdout and per pack with one."""
    found = []
    for rule in Rule.objects.filter(holdout_percent__gt=0).order_by("title"):
        found.append(incremental(f"rule:{rule.rule_id}", rule.title, rule.holdout_percent, [rule.pk], since, until,
                                 window))
    for pack in RulePack.objects.filter(holdout_percent__gt=0).order_by("title"):
        rule_pks = list(Rule.objects.filter(pack=pack.pack_id, holdout_percent=0).values_list("pk", flat=True))
        found.append(incremental(f"pack:{pack.pack_id}", pack.title, pack.holdout_percent, rule_pks, since, until,
                                 window))
    return found
