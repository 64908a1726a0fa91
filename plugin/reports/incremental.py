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
  95 % confidence with 80 % power, at the held-out group's current rate (5 % while it has none),
  or a clear answer already; how far a comparison is from one, in customers and time at this
  shop's pace, is ``outlook`` (``reports.outlook``), which the pages say.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q

from .. import conf
from ..models import Delivery, RulePack, Rule, ScheduledAction, StoreEvent
from ..money import decimal
from .audience import sends_marketing
from .outlook import Z, Z_POWER, chance_best, outlook

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
    period: timedelta = timedelta(days=30)    # how long the customers so far took to come
    shares: tuple = (0.5, 0.5)                # the part of the customers each side gets

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
    def clear(self) -> bool:
        """The 95 % interval of the difference in ordering leaves out zero."""
        return self.conversion[1] > 0 or self.conversion[2] < 0

    @property
    def outlook(self):
        return outlook([self.treated, self.held_out], list(self.shares), self.period, self.clear)

    @property
    def enough(self) -> bool:
        return (self.outlook.state == "told"
                or min(self.treated.customers, self.held_out.customers) >= self.needed)

    @property
    def more_customers(self) -> int:
        """About how many more customers must reach the send before it tells (0: it does, or
        the difference is too small to tell at this shop's pace)."""
        return 0 if self.enough else self.outlook.more

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

    @property
    def earned(self) -> tuple[float, float, float] | None:
        """What sending earned in all, against not sending: the difference in revenue per customer
        times the customers sent it, with its interval (None before 2 customers a side)."""
        if not self.revenue_known:
            return None
        return tuple(value * self.treated.customers for value in self.revenue)


def _reached(actions, side_of) -> dict[int, tuple]:
    """customer → (side, when) of their first marketing send of these actions in the period
    (sent, or held out); ``side_of(held_out, path, arm)`` says which group it puts them in (``arm``:
    the channel comparison's, "preferred" or "default", for a send on the preferred channel)."""
    first: dict[int, tuple] = {}
    sent = set(Delivery.objects.filter(action__in=actions, status__in=Delivery.SENT_STATUSES)
               .values_list("action_id", flat=True))
    for pk, customer_id, held_out, path, arm, at in actions.order_by("completed_at", "pk").values_list(
            "pk", "customer_id", "held_out", "path", "channel_choice__arm", "completed_at"):
        if customer_id in first or not (held_out or pk in sent):
            continue
        first[customer_id] = (side_of(held_out, path, arm), at)
    return first


def _groups(actions, side_of, window: timedelta) -> tuple[dict, dict, str]:
    """Per side: a Group, and each customer's revenue (for Welch); and the orders' currency."""
    reached = _reached(actions, side_of)
    orders = defaultdict(list)
    currency = ""
    for customer_id, at, total, order_currency in StoreEvent.objects.filter(
            name="order_placed", customer_id__in=reached).values_list("customer_id", "occurred_at", "data__total",
                                                                      "data__currency"):
        orders[customer_id].append((at, decimal(total)))
        currency = currency or order_currency or ""
    groups: dict = defaultdict(Group)
    values: dict = defaultdict(list)
    for customer_id, (side, at) in reached.items():
        bought = sum((total for when, total in orders.get(customer_id, []) if at < when <= at + window), Decimal(0))
        group = groups[side]
        group.customers += 1
        group.converted += bool(bought)
        group.revenue += bought
        values[side].append(float(bought))
    return groups, values, currency


def _marketing_sends(rule_pks: list[int], since, until):
    actions = ScheduledAction.objects.filter(rule_id__in=rule_pks, kind="send", status=ScheduledAction.Status.DONE,
                                             completed_at__gte=since, completed_at__lt=until)
    return actions.filter(Q(params__class__isnull=True) | Q(params__class="marketing"))


def compare(key: str, label: str, percent: int, first: tuple, second: tuple, currency: str,
            period: timedelta = timedelta(days=30), shares: tuple = (0.5, 0.5)) -> Incremental:
    """``first`` against ``second``, each (Group, customers' revenue)."""
    (a, a_values), (b, b_values) = first, second
    return Incremental(key, label, percent, a, b,
                       difference_of_proportions(a.converted, a.customers, b.converted, b.customers),
                       difference_of_means(a_values, b_values), customers_needed(b.rate), currency, period, shares)


def incremental(key: str, label: str, percent: int, rule_pks: list[int], since, until,
                window: timedelta = timedelta(days=7)) -> Incremental:
    groups, values, currency = _groups(_marketing_sends(rule_pks, since, until),
                                       lambda held_out, path, arm: bool(held_out), window)
    return compare(key, label, percent, (groups[False], values[False]), (groups[True], values[True]), currency,
                   until - since, ((100 - percent) / 100, percent / 100))


ARMS = ("preferred", "default")


def channel_arms(key: str, label: str, rule_pks: list[int], since, until,
                 window: timedelta = timedelta(days=7)) -> Incremental:
    """Sends on each customer's preferred channel against sends on the pack's default channel
    (``ScheduledAction.channel_choice["arm"]``, drawn by the send step), compared as a holdout is:
    each customer once, at their first such send in the period, and ordered within ``window``.
    ``treated`` is the preferred arm, ``held_out`` the default one, which gets
    ``MASA["PREFERRED_CHANNEL_COMPARISON_PERCENT"]`` of the customers (``percent``)."""
    actions = _marketing_sends(rule_pks, since, until).filter(held_out=False, channel_choice__arm__in=ARMS)
    groups, values, currency = _groups(actions, lambda held_out, path, arm: arm, window)
    percent = min(max(int(conf.get("PREFERRED_CHANNEL_COMPARISON_PERCENT") or 0), 1), 99)
    return compare(key, label, percent, (groups["preferred"], values["preferred"]),
                   (groups["default"], values["default"]), currency, until - since,
                   ((100 - percent) / 100, percent / 100))


def uses_preferred(rule: Rule) -> bool:
    """The rule sends on the customer's preferred channel somewhere (its definition says so)."""
    return '"channel": "preferred"' in json.dumps((rule.definition or {}).get("steps") or [])


def preference_results(since, until, window: timedelta = timedelta(days=7)) -> list[Incremental]:
    """One per pack whose rules send on the preferred channel: its sends' two arms compared."""
    by_pack: dict[str, list[Rule]] = defaultdict(list)
    for rule in Rule.objects.order_by("pk"):
        if uses_preferred(rule):
            by_pack[rule.pack].append(rule)
    titles = dict(RulePack.objects.filter(pack_id__in=list(by_pack)).values_list("pack_id", "title"))
    return [channel_arms(f"pack:{pack}", titles.get(pack) or pack, [rule.pk for rule in rules], since, until, window)
            for pack, rules in sorted(by_pack.items(), key=lambda item: titles.get(item[0]) or item[0])]


@dataclass
class SplitResult:
    rule: Rule
    at: str
    branches: list            # (name, Group)
    comparison: Incremental   # the first two branches, first − second
    winner: str = ""
    shares: list = field(default_factory=list)    # each branch's part of the customers (adds up to 1)
    period: timedelta = timedelta(days=30)

    @property
    def chances(self) -> list[tuple[str, float]]:
        """(branch, probability that it orders most), the likeliest first; none before an order."""
        groups = [group for _name, group in self.branches]
        if not any(group.converted for group in groups):
            return []
        return sorted(zip([name for name, _g in self.branches], chance_best(groups)), key=lambda pair: -pair[1])

    @property
    def outlook(self):
        chances = self.chances
        told = bool(chances) and (chances[0][1] >= 0.95 or self.comparison.clear)
        return outlook([group for _name, group in self.branches], self.shares, self.period, told)


def split_results(rule: Rule, since, until, window: timedelta = timedelta(days=7)) -> list[SplitResult]:
    """Each split of the rule: its branches' customers, orders and revenue, the first two compared."""
    found = []
    for at, shares in _splits(rule).items():
        names = list(shares)
        def branch_of(held_out, path, arm, at=at):
            rest = path[len(at) + 1:] if path.startswith(f"{at}.") else ""
            return rest.split("[", 1)[0] or None

        groups, values, currency = _groups(_marketing_sends([rule.pk], since, until), branch_of, window)
        first, second = names[0], names[1]
        total = sum(shares.values()) or 1
        comparison = compare(f"split:{rule.rule_id}:{at}", f"{first} − {second}", 0, (groups[first], values[first]),
                             (groups[second], values[second]), currency, until - since,
                             (shares[first] / total, shares[second] / total))
        found.append(SplitResult(rule, at, [(name, groups[name]) for name in names], comparison,
                                 (rule.split_winners or {}).get(at, ""), [shares[name] / total for name in names],
                                 until - since))
    return found


def _splits(rule: Rule) -> dict[str, dict[str, float]]:
    """Split place → its branch names with their shares, in the order written, off the definition."""
    found: dict[str, dict[str, float]] = {}

    def walk(steps, prefix):
        for index, step in enumerate(steps or []):
            if not isinstance(step, dict) or len(step) != 1:
                continue
            (kind, argument), = step.items()
            where = f"{prefix}[{index}]"
            if kind == "split" and isinstance(argument, dict):
                found[f"{where}.split"] = {name: _share(branch) for name, branch in argument.items()}
                for name, branch in argument.items():
                    if isinstance(branch, dict):
                        walk(branch.get("steps"), f"{where}.split.{name}")
            elif kind == "wait" and isinstance(argument, dict):
                for branch in ("on_event", "on_timeout"):
                    walk(argument.get(branch), f"{where}.wait.{branch}")

    walk((rule.definition or {}).get("steps"), "steps")
    return found


def _share(branch) -> float:
    share = branch.get("share") if isinstance(branch, dict) else None
    return float(share) if isinstance(share, (int, float)) and share > 0 else 1.0


def split_results_all(since, until, window: timedelta = timedelta(days=7)) -> list[SplitResult]:
    return [result for rule in Rule.objects.filter(definition__icontains="split").order_by("title")
            for result in split_results(rule, since, until, window)]


def incremental_results(since, until, window: timedelta = timedelta(days=7)) -> list[Incremental]:
    """One per rule with its own holdout and per pack with one."""
    found = []
    for rule in Rule.objects.filter(holdout_percent__gt=0).order_by("title"):
        if not sends_marketing(rule.definition, _parameters(rule.pack)):
            continue   # transactional messages are never held out: there is nothing to compare
        found.append(incremental(f"rule:{rule.rule_id}", rule.title, rule.holdout_percent, [rule.pk], since, until,
                                 window))
    for pack in RulePack.objects.filter(holdout_percent__gt=0).order_by("title"):
        rule_pks = list(Rule.objects.filter(pack=pack.pack_id, holdout_percent=0).values_list("pk", flat=True))
        found.append(incremental(f"pack:{pack.pack_id}", pack.title, pack.holdout_percent, rule_pks, since, until,
                                 window))
    return found


def _parameters(pack_id: str) -> dict:
    pack = RulePack.objects.filter(pack_id=pack_id).first()
    return pack.resolved_parameters() if pack else {}
