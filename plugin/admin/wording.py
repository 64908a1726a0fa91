"""What the admin says of an action, in its rule's words (``rules.sentences``, each step kind's
``describe``): the customer timeline's "Will email “Running low on pads, {first name}?” …"."""
from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import ScheduledAction
from ..rules.sentences import Words
from ..rules.steps import STEPS


def action_phrase(action: ScheduledAction, words: Words) -> str:
    """What the action does, as its rule's sentence says it: "email “Running low on pads, {first name}?”"."""
    params, kind = action.params or {}, action.kind
    if kind in ("send", "notify_staff"):
        return str(STEPS[kind].describe({key: params[key] for key in ("template", "channel", "class") if key in params},
                                        words))
    if kind == "effect":
        op, fact, value = params.get("op"), params.get("fact"), params.get("value")
        step = {"set": ("set", {"fact": fact, "value": value}), "increment": ("increment", {"fact": fact, "by": value}),
                "tag": ("tag", value), "untag": ("untag", value), "stamp": ("stamp", fact),
                "pause": ("pause_marketing", value)}.get(op)
        return str(STEPS[step[0]].describe(step[1], words)) if step else kind
    if kind == "await":
        return str(STEPS["wait"].describe({"event": params.get("event"), "within": params.get("within", 0)}, words))
    if kind == "sync_to_saleor":
        return str(STEPS["sync_to_saleor"].describe(params.get("facts", []), words))
    if kind == "emit":
        return str(STEPS["emit"].describe(str(params.get("event", "")).removeprefix("custom."), words))
    if kind == "confirm_abandonment":
        return _("check whether the cart was left without an order")
    return kind


def describer():
    """``action_phrase`` with the site's template subjects read once."""
    words = Words.for_pack("", html=False)
    return lambda action: action_phrase(action, words)
