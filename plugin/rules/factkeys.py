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


# The channel kinds a ``reachable`` condition names, with the customer field each sends to (the
# channel's ``address_field``: an SMS goes to the phone, an e-mail and a webhook to the address).
REACHABLE = {"email": "email", "sms": "phone", "webhook": "email"}


def reach(kind) -> str:
    """The customer has the address a channel of this kind sends to."""
    return key("reach", kind)
