"""Which rules send a message: a rule names a message by its key (``send``, ``notify_staff``, in
any branch), and every language version of that key is the message it sends. Wagtail's own usage
count (its reference index) cannot see a key inside a rule's definition and said "Used 0 times"."""
from __future__ import annotations

from collections import Counter

from ..models import Rule
from ..rules.compiler import used_templates


def usage_counts() -> Counter:
    """Message key → how many rules send it."""
    counts = Counter()
    for definition in Rule.objects.values_list("definition", flat=True):
        counts.update(used_templates(definition))
    return counts


def rules_using(key: str) -> list[Rule]:
    """The rules that send message ``key``, by title."""
    return [rule for rule in Rule.objects.order_by("title") if key in used_templates(rule.definition)]
