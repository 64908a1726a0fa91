"""Small questions about values from packs and events, asked the same way everywhere."""
from __future__ import annotations


def is_number(value) -> bool:
    """An int or a float, and not a bool (``True`` is an int to Python, never a number to a pack)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def listify(value) -> list:
    """A list as it is; anything else as a list of one (``category: walkers`` or ``[walkers, canes]``)."""
    return value if isinstance(value, list) else [value]
