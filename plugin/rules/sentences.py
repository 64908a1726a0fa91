"""A rule in one sentence, in the admin's language: "When a customer buys from *Absorbent*: wait
until 5 days before they should run out (…); if they have not bought from *Absorbent* since,
email *“Running low on pads, {first name}?”*."

Each step kind says its own part (``StepKind.describe``), each event type its "when" (the
``events`` registry), so a new kind cannot be left unworded; the phrases they share are in
``rules.wording``.
"""
from __future__ import annotations

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from . import wording
from .steps import STEPS
from .wording import condition_phrase, trigger_phrase

__all__ = ["Words", "rule_sentence", "rule_sentence_html", "steps_phrase", "trigger_phrase"]


class Words(wording.Words):
    def steps(self, steps: list) -> str:
        return steps_phrase(steps, self)


def steps_phrase(steps: list, words: Words) -> str:
    text = ""
    for position, step in enumerate(steps or []):
        (name, argument), = step.items() if isinstance(step, dict) and len(step) == 1 else ((None, None),)
        kind = STEPS.get(name)
        part = kind.describe(argument, words) if kind else words.name(str(step))
        # a check reads as the condition of what follows it: "if …, email …"
        separator = "" if not position else ", " if previous == "check" else "; "
        text = words.concat([text, part], separator) if position else part
        previous = name
    return text


def rule_sentence(definition: dict, words: Words | None = None) -> str:
    """The whole rule, e.g. "When a customer places an order: email “Thank you…”."""
    words = words or Words()
    definition = definition or {}
    trigger = trigger_phrase(definition.get("trigger") or {}, words)
    conditions = [condition_phrase(c, words) for c in definition.get("conditions") or []]
    when = words.say(_("When {trigger}"), trigger=trigger)
    if conditions:
        when = words.say(_("{when}, if {conditions}"), when=when, conditions=words.join(conditions))
    once = {"customer": _(" (once per customer)"), "order": _(" (once per order)"),
            "product": _(" (once per product)")}.get(definition.get("once", "event"), "")
    steps = steps_phrase(definition.get("steps") or [], words) or _("nothing happens")
    return words.say("{when}{once}: {steps}.", when=when, once=once, steps=steps)


def rule_sentence_html(rule) -> SafeString:
    """A stored rule's sentence for the admin, its pack's template subjects and parameters named."""
    return rule_sentence(rule.definition, Words.for_pack(rule.pack, html=True))
