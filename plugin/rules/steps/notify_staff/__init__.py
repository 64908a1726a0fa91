"""``notify_staff``: a message to the shop's staff (``MASA["STAFF_EMAILS"]``) about the customer."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import Build, EditableField, StepKind
from ..send import message_argument


class NotifyStaff(StepKind):
    name = "notify_staff"
    plans = "notify_staff"
    sends_message = True
    example = {"template": "staff-alert"}
    label = gettext_lazy("Tell the staff")
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"template": {"type": "string", "minLength": 1}, "channel": {"type": "string", "minLength": 1}},
        "required": ["template"],
        "description": "A message to MASA[\"STAFF_EMAILS\"]",
        "examples": [{"template": "staff-alert"}],
    }

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, dict) or not argument.get("template"):
            compiler.fail(f"{build.where}.notify_staff", "needs a 'template'")
        compiler.only(f"{build.where}.notify_staff", argument, ("template", "channel"))
        build.schedule(self.plans, {"template": argument["template"], "channel": argument.get("channel", "email")})

    def describe(self, argument, words) -> str:
        return words.say(_("tell the shop's staff with {template}"), template=words.template(argument["template"]))

    def planned_argument(self, params: dict):
        return message_argument(params)

    def templates(self, argument) -> set[str]:
        return {argument["template"]} if isinstance(argument, dict) and isinstance(argument.get("template"), str) else set()

    def fields(self, argument) -> list[EditableField]:
        return [EditableField(("notify_staff", "template"), "notify staff — message", "template")] \
            if isinstance(argument, dict) else []


KINDS = [NotifyStaff()]
