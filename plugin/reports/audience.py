"""Whom a rule speaks to: a journey sends customers messages; a bookkeeping rule sends them
nothing (it changes a tier, a tag or a fact, tells staff or the store). Only a journey with a
marketing message can be held out (transactional messages always go)."""
from __future__ import annotations


def _sends(definition) -> list[dict]:
    """Every ``send`` step's argument, in the steps and in every branch at any depth (a split's
    versions, a wait's "if it comes" / "if not"), read from the stored definition as it is."""
    found, todo = [], [definition.get("steps")] if isinstance(definition, dict) else []
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if isinstance(node.get("send"), dict):
                found.append(node["send"])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def sends_to_customers(definition) -> bool:
    return bool(_sends(definition))


def sends_marketing(definition, parameters: dict | None = None) -> bool:
    """Whether a send of it is marketing (a ``$parameter`` class read from the pack's values)."""
    for send in _sends(definition):
        value = send.get("class", "marketing")
        if isinstance(value, str) and value.startswith("$"):
            value = (parameters or {}).get(value[1:], "marketing")
        if value != "transactional":
            return True
    return False
