"""What the admin says of an action, in its rule's words (``rules.sentences``): the step kind that
planned it says which argument of its step the action stands for (``planned_argument``) and
``describe``s it — the customer timeline's "Will email “Running low on pads, {first name}?” …"."""
from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import ScheduledAction
from ..rules.sentences import Words
from ..rules.steps import STEPS


def action_phrase(action: ScheduledAction, words: Words) -> str:
    """What the action does, as its rule's sentence says it: "email “Running low on pads, {first name}?”"."""
    params, kind = action.params or {}, action.kind
    for step_kind in STEPS.values():
        argument = step_kind.planned_argument(params) if step_kind.plans == kind else None
        if argument is not None:
            return str(step_kind.describe(argument, words))
    if kind == "confirm_abandonment":
        return _("check whether the cart was left without an order")
    return kind


def describer():
    """``action_phrase`` with the site's template subjects read once."""
    words = Words.for_pack("", html=False)
    return lambda action: action_phrase(action, words)
