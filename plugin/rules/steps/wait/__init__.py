"""``wait``: a duration, a time of day / weekday, an anniversary, a refill date — or, as
``wait: {event, within, on_event, on_timeout}``, an event with a timeout (the ``await`` action)."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ....durations import WEEKDAYS, parse_duration
from ....events import is_trigger
from ....plans import plan_to_dict
from ... import wording
from ..base import Branch, Build, Drawn, EditableField, StepKind, ref
from .schema import WAIT

TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
AWAIT = "await"
REFILL_OPTIONS = ("period", "periods", "lead", "per_quantity", "own_rhythm", "category")
WEEKDAY_NAMES = {"mon": gettext_lazy("Monday"), "tue": gettext_lazy("Tuesday"), "wed": gettext_lazy("Wednesday"),
                 "thu": gettext_lazy("Thursday"), "fri": gettext_lazy("Friday"), "sat": gettext_lazy("Saturday"),
                 "sun": gettext_lazy("Sunday")}


def parse_lead(value) -> float:
    return value if isinstance(value, (int, float)) else parse_duration(value).total_seconds()


BRANCH_LABELS = {"on_event": gettext_lazy("If it comes"), "on_timeout": gettext_lazy("If not")}
WAIT_SHAPES = "a duration, {until: 'HH:MM', weekday: mon}, {anniversary: fact} or {refill: {...}}"


class Wait(StepKind):
    name = "wait"
    plans = AWAIT
    example = {"event": "message_opened", "within": "2d", "on_timeout": [{"tag": "unopened"}]}
    label = gettext_lazy("Wait")
    schema = ref("wait")
    schema_defs = {"wait": WAIT}

    def compile(self, compiler, build: Build, argument) -> None:
        where = f"{build.where}.wait"
        if isinstance(argument, dict) and "event" in argument:
            if not build.last:
                compiler.fail(where, "a wait for an event ends its steps; put what follows in on_event / on_timeout")
            self.await_event(compiler, build, argument)
        else:
            build.waits.append(self.delay(compiler, where, argument))

    def await_event(self, compiler, build: Build, argument: dict) -> None:
        """Branches compiled now, scheduled when the event comes or the time runs out."""
        where = f"{build.where}.wait"
        if not is_trigger(argument.get("event")):
            compiler.fail(f"{where}.event", f"unknown event {argument.get('event')!r}")
        unknown = set(argument) - {"event", "within", "on_event", "on_timeout"}
        if unknown:
            compiler.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of event, within, on_event, on_timeout")
        within = compiler.duration(f"{where}.within", argument.get("within")).total_seconds()
        branches = {}
        for name in ("on_event", "on_timeout"):
            _, branch_plan = compiler.plan(argument.get(name, []), f"{where}.{name}", build.guard, branch=True)
            branches[name] = [plan_to_dict(p) for p in branch_plan]
        if not branches["on_event"] and not branches["on_timeout"]:
            compiler.fail(where, "needs on_event or on_timeout steps")
        build.schedule(AWAIT, {"event": argument["event"], "within": within, **branches}, extra_wait={"for": within})

    @staticmethod
    def delay(compiler, where: str, argument) -> dict:
        if isinstance(argument, (str, int, float)):
            return {"for": compiler.duration(where, argument).total_seconds()}
        if not isinstance(argument, dict):
            compiler.fail(where, WAIT_SHAPES)
        if "refill" in argument:
            refill = argument["refill"]
            compiler.only(where, argument, ("refill",))
            if not isinstance(refill, dict) or "period" not in refill:
                compiler.fail(f"{where}.refill", "needs a 'period'")
            compiler.only(f"{where}.refill", refill, REFILL_OPTIONS)
            for flag in ("per_quantity", "own_rhythm"):
                if not isinstance(refill.get(flag, True), bool):
                    compiler.fail(f"{where}.refill.{flag}", "must be true or false")
            if refill.get("category") is not None and not isinstance(refill["category"], str):
                compiler.fail(f"{where}.refill.category", "must be a category slug")
            periods = refill.get("periods", {})
            if not isinstance(periods, dict):
                compiler.fail(f"{where}.refill.periods", "maps product ids to how long one lasts, e.g. {pads-60: 60d}")
            return {"refill": {
                "period": compiler.duration(f"{where}.refill.period", refill["period"]).total_seconds(),
                "periods": {str(product): compiler.duration(f"{where}.refill.periods.{product}", value).total_seconds()
                            for product, value in periods.items()},
                "lead": compiler.duration(f"{where}.refill.lead", refill.get("lead", 0)).total_seconds(),
                "per_quantity": bool(refill.get("per_quantity", True)),
                "own_rhythm": bool(refill.get("own_rhythm", True)),
                "category": refill.get("category"),
            }}
        if "anniversary" in argument:
            compiler.only(where, argument, ("anniversary", "at"))
            if not isinstance(argument["anniversary"], str) or not argument["anniversary"]:
                compiler.fail(f"{where}.anniversary", "names a date fact (first_order or facts.<name>)")
            if not TIME_OF_DAY.fullmatch(str(argument.get("at", "09:00"))):
                compiler.fail(f"{where}.at", "must be a time of day, HH:MM")
            return {"anniversary": argument["anniversary"], "at": argument.get("at", "09:00")}
        if "until" in argument:
            if not isinstance(argument["until"], str) or not TIME_OF_DAY.fullmatch(argument["until"]):
                compiler.fail(f"{where}.until", "must be a time of day, HH:MM")
            weekday = argument.get("weekday")
            if weekday is not None and weekday not in WEEKDAYS:
                compiler.fail(f"{where}.weekday", f"one of {WEEKDAYS}")
            unknown = set(argument) - {"until", "weekday"}
            if unknown:
                compiler.fail(f"{where}.{sorted(unknown)[0]}", "unknown option")
            return {"until": argument["until"], "weekday": weekday}
        compiler.fail(where, WAIT_SHAPES)

    def describe(self, argument, words) -> str:
        argument = words.value(argument)
        if isinstance(argument, (str, int, float)):
            return words.say(_("wait {duration}"), duration=words.duration(argument))
        if "event" in argument:
            parts = [words.say(_("wait up to {within} to see whether {event}"), within=words.duration(argument.get("within", 0)),
                               event=wording.event_phrase(argument["event"], words))]
            if argument.get("on_event"):
                parts.append(words.say(_("if it comes: {steps}"), steps=words.steps(argument["on_event"])))
            if argument.get("on_timeout"):
                parts.append(words.say(_("if not: {steps}"), steps=words.steps(argument["on_timeout"])))
            return words.concat(parts, "; ")
        if "refill" in argument:
            refill = argument["refill"]
            period = words.say(_("one lasts {period}"), period=words.duration(refill["period"]))
            if words.value(refill.get("per_quantity", True)):
                period = words.say(_("{period}, times the quantity bought"), period=period)
            if words.value(refill.get("own_rhythm", True)):
                period = words.say(_("{period}; their own rhythm once they have ordered a few times"), period=period)
            lead = refill.get("lead")
            if lead and parse_lead(words.value(lead)):
                return words.say(_("wait until {lead} before they should run out ({period})"),
                                 lead=words.duration(lead), period=period)
            return words.say(_("wait until they should run out ({period})"), period=period)
        if "anniversary" in argument:
            what = _("their first order") if argument["anniversary"] == "first_order" else wording.fact_name(
                argument["anniversary"], words)
            return words.say(_("wait until the next anniversary of {what}, at {time} their time"), what=what,
                             time=words.name(argument.get("at", "09:00")))
        if "until" in argument:
            weekday = words.value(argument.get("weekday"))
            if weekday:
                return words.say(_("wait until the next {weekday} at {time}, their time"),
                                 weekday=words.emphasis(WEEKDAY_NAMES.get(weekday, weekday)),
                                 time=words.name(words.value(argument["until"])))
            return words.say(_("wait until {time}, their time"), time=words.name(words.value(argument["until"])))
        return words.name(str(argument))

    def branches(self, argument) -> list[Branch]:
        if not isinstance(argument, dict):
            return []
        return [Branch(("wait", name), f"wait.{name}", label, argument[name]) for name, label in BRANCH_LABELS.items()
                if isinstance(argument.get(name), list) and argument[name]]

    def drawn(self, argument, words, where: str, winners: dict) -> Drawn:
        """A wait for an event heads its branches, with who waits and who was answered; another
        wait shows who waits for the action after it."""
        if isinstance(argument, dict) and "event" in argument:
            header = {k: v for k, v in argument.items() if k not in ("on_event", "on_timeout")}
            return Drawn(_("Wait for"), str(self.describe(header, words)), "branches", counted=True)
        return Drawn(str(self.label), str(self.describe(argument, words)), "waits")

    def planned_argument(self, params: dict):
        return {"event": params.get("event"), "within": params.get("within", 0)}

    def fields(self, argument) -> list[EditableField]:
        if isinstance(argument, str):
            return [EditableField(("wait",), "wait", "duration", "e.g. 25d, 36h, 1d12h, or a parameter such as $refill_lead")]
        if isinstance(argument, dict) and "within" in argument:
            return [EditableField(("wait", "within"), f"wait for {argument.get('event')} within", "duration")]
        if isinstance(argument, dict) and isinstance(argument.get("refill"), dict):
            return [EditableField(("wait", "refill", "per_quantity"), "refill — times the quantity bought", "boolean",
                                  default=True),
                    EditableField(("wait", "refill", "own_rhythm"), "refill — the customer's own rhythm after a few "
                                  "orders", "boolean", default=True),
                    EditableField(("wait", "refill", "lead"), "refill — remind this long before", "duration",
                                  default="0d")]
        return []


KINDS = [Wait()]
