"""Stable random assignment of customers, for holdouts and A/B splits: a customer's bucket for a
scope is a hash of the two, the same on every worker and after every restart, with nothing
stored. Different scopes draw independently."""
from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(scope: str, customer_id: int) -> int:
    """0 … 9,999: this customer's place in ``scope`` ("rule:refill", "split:refill:steps[2].split")."""
    digest = hashlib.sha256(f"masa-assignment:{scope}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_share(scope: str, customer_id: int, start_percent: float, end_percent: float) -> bool:
    """Whether the customer's bucket falls in [start, end) percent of the range."""
    place = bucket(scope, customer_id)
    return start_percent * BUCKETS / 100 <= place < end_percent * BUCKETS / 100
