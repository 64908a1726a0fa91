"""A pack's ``dosage``: how much its customers may hear from it, declared once.

``caps`` and ``quiet_hours`` limit the pack's marketing sends beside the shop's own settings —
whichever is stricter wins, so a shop can tighten a pack's dosage but not loosen it
(``actions.dosage`` applies both). ``keep_in_touch`` is the other bound, "never silent for two
months": the pack gets two generated rules, shown in the admin like any other, that send a
(marketing) template when a customer has heard nothing from the shop for that long — counted
from the last message they got, or from their first order when none came yet — and again after
each such silence. A newer message cancels the pending one at once (its guard
``no_message_since`` is re-checked when a message is sent).
"""
from __future__ import annotations

KEEP_IN_TOUCH = "keep-in-touch"


def generated_rule_ids(pack_id: str) -> tuple[str, str]:
    return f"{pack_id}-{KEEP_IN_TOUCH}", f"{pack_id}-{KEEP_IN_TOUCH}-first"


def generated_rules(pack_id: str, dosage) -> list[dict]:
    """The rules a ``keep_in_touch`` declaration stands for (none without one)."""
    keep = dosage.get("keep_in_touch") if isinstance(dosage, dict) else None
    if not isinstance(keep, dict):
        return []
    every = keep.get("every")
    send = {"template": keep.get("template"), "class": "marketing"}
    if keep.get("channel"):
        send["channel"] = keep["channel"]
    steps = [{"wait": every}, {"check": {"no_message_since": True}}, {"send": send}]
    after_message, first = generated_rule_ids(pack_id)
    return [
        {"id": after_message, "title": "Keep in touch: when they have heard nothing since their last message",
         "trigger": {"event": "message_sent"}, "steps": steps},
        {"id": first, "title": "Keep in touch: when they have heard nothing since their first order",
         "once": "customer", "trigger": {"event": "order_placed"}, "steps": steps},
    ]
