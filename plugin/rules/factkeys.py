"""Names of the flat keys a customer fact carries, shared by the compiler and the fact builder.

durable-rules matches flat fields best (``$ex``/``$nex`` on a key is how "has / has never"
is written), so sets become keys: ``cat__walkers`` (purchase count), ``tag__vip``, ``prod__…``.
"""
import hashlib
import re

_SAFE = re.compile(r"[a-z0-9_-]{1,60}")


def key(prefix: str, value) -> str:
    text = str(value)
    if _SAFE.fullmatch(text):
        return f"{prefix}__{text}"
    return f"{prefix}__{hashlib.sha1(text.encode()).hexdigest()[:16]}"


def category(slug) -> str:
    return key("cat", slug)


def product(product_id) -> str:
    return key("prod", product_id)


def tag(name) -> str:
    return key("tag", name)


def fact(name) -> str:
    return key("facts", name)


def since_category(slug) -> str:
    return key("since__cat", slug)


def orders_within(seconds: int) -> str:
    return f"orders_within__{int(seconds)}"


def since_fact(name) -> str:
    """Days since the date a fact holds (``invoice_sent_at: 2026-03-01``)."""
    return key("since__fact", name)
