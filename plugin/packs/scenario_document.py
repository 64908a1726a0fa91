"""A scenarios.yaml checked before anything is played: the type of every field, the range of every
time and number, the settings it gives the shop. Whatever a pack author writes, each problem is a
line naming the scenario and the field (``scenario 'x': events[0].order[0].quantity: …``), never a
Python error from deep inside a rehearsal. ``scenarios.run_file`` reports them as failed scenarios.

The format is in docs/rule-packs.md, "Scenarios".
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from .. import conf
from ..rules.parameters import shown
from . import scenario_format as S

# How far a scenario's clock may run from its start, and how much of an order it may hold.
MAX_SPAN = timedelta(days=3660)
MAX_QUANTITY = 10_000
MAX_PRICE = 1_000_000_000
MAX_LINES = 200
MAX_EVENTS = 1000
MAX_TEXT = 10_000
SCENARIO_FIELDS = {"name", "parameters", "settings", "rules", "customer", "assign", "events", "until", "expect"}
DOCUMENT_FIELDS = {"start", "settings", "scenarios"}
LINE_FIELDS = {"category", "product", "name", "quantity", "price"}
MESSAGE_FIELDS = {"template", "at", "contains", "excludes", "subject", "subject_contains", "to", "channel"}
EXPECT_FIELDS = {"sent", "staff", "cancelled", "facts", "tags", "not_tags", "category_counts"}
# Besides ``at`` and its kind, what each event may say (a form's answers are any other field).
EVENT_EXTRAS = {"order_refunded": {"full", "amount"}, "checkout": {"checkout_id"}, "store_event": {"data"},
                "click": {"url"}, "answer": {"choice"}, "join_list": {"list"}, "bounce": {"reason"}, "reply": {"text"}}
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
COUNTRY = re.compile(r"[A-Za-z]{2}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")


class Problems(list):
    def add(self, where: str, text: str) -> None:
        self.append(f"{where}: {text}" if where else text)


def _text(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) <= MAX_PRICE)


def _plain(value, depth: int = 0) -> bool:
    """What an event's data or a form answer may be: JSON's values (a YAML date is not one)."""
    if depth > 10:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return not isinstance(value, int) or isinstance(value, bool) or abs(value) < 2 ** 63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item, depth + 1) for key, item in value.items())
    return False


def when(value, start: datetime) -> datetime:
    """An ``at:``/``until:`` as a moment within MAX_SPAN after ``start``; ScenarioError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, datetime, date)) or value is None:
        raise S.ScenarioError(f"{shown(value)} is not a time: write an offset (0d, 25d, 1d12h) or an ISO date-time")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=dt_timezone.utc)
    try:
        moment = S.moment(value, start)
    except (OverflowError, ValueError) as error:
        if isinstance(error, S.ScenarioError):
            raise S.ScenarioError(str(error).removeprefix("at: ")) from None
        raise S.ScenarioError(f"{shown(value)} is not a time within {MAX_SPAN.days} days of the start") from None
    if not start <= moment <= start + MAX_SPAN:
        raise S.ScenarioError(f"{shown(value)} is not within {MAX_SPAN.days} days after the start")
    return moment


def document_problems(document) -> list[str]:
    """What is wrong with the file as a whole (its ``start``, ``settings`` and ``scenarios`` list)."""
    problems = Problems()
    if not isinstance(document, dict):
        return [f"the file must be a mapping with a list of scenarios (scenarios: [...]), not {shown(document)}"]
    for key in document:
        if key not in DOCUMENT_FIELDS:
            problems.add(str(shown(key)), f"unknown field; the file has {', '.join(sorted(DOCUMENT_FIELDS))}")
    if "start" in document:
        value = document["start"]
        if isinstance(value, str) and "T" not in value or not isinstance(value, (str, datetime, date)) \
                or isinstance(value, bool):
            problems.add("start", f"{shown(value)} is not an ISO date-time (2026-01-05T08:00:00Z)")
        else:
            try:
                start = document_start(document)
            except (OverflowError, ValueError):
                start = None
            if start is None or not 1970 <= start.year <= 2200:
                problems.add("start", f"{shown(value)} is not an ISO date-time between 1970 and 2200")
    problems += settings_problems(document.get("settings"), "settings")
    scenarios = document.get("scenarios")
    if not isinstance(scenarios, list):
        problems.add("scenarios", f"must be a list of scenarios, not {shown(scenarios)}")
    return problems


def document_start(document: dict) -> datetime:
    value = document.get("start", S.START)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=dt_timezone.utc)
    return S.moment(value, S.START)


def scenario_name(scenario, index: int) -> str:
    name = scenario.get("name") if isinstance(scenario, dict) else None
    return name[:200] if isinstance(name, str) and name.strip() else f"scenario {index + 1}"


def scenario_problems(scenario, start: datetime) -> list[str]:
    """Every problem of one scenario, each naming its field; empty when it can be played."""
    problems = Problems()
    if not isinstance(scenario, dict):
        return [f"a scenario is a mapping (name:, events:, expect:…), not {shown(scenario)}"]
    for key in scenario:
        if key not in SCENARIO_FIELDS:
            problems.add(shown(key), f"unknown field; a scenario has {', '.join(sorted(SCENARIO_FIELDS))}")
    if "name" in scenario and not (isinstance(scenario["name"], str) and scenario["name"].strip()):
        problems.add("name", f"must be text, not {shown(scenario['name'])}")
    parameters = scenario.get("parameters")
    if parameters is not None and not (isinstance(parameters, dict) and all(isinstance(k, str) for k in parameters)):
        problems.add("parameters", f"must map the pack's parameter names to values, not {shown(parameters)}")
    problems += settings_problems(scenario.get("settings"), "settings")
    rules = scenario.get("rules")
    if rules is not None and not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
        problems.add("rules", f"must be a list of the pack's rule ids, not {shown(rules)}")
    problems += _customer_problems(scenario.get("customer"))
    assign = scenario.get("assign")
    if assign is not None:
        if not isinstance(assign, dict):
            problems.add("assign", "write {rule id: holdout, send or a branch of its split}")
        else:
            for rule, choice in assign.items():
                choices = choice if isinstance(choice, list) else [choice]
                if not isinstance(rule, str) or not choices or not all(isinstance(c, str) for c in choices):
                    problems.add(f"assign.{shown(rule)}", f"{shown(choice)}: write holdout, send or a branch name")
    events = scenario.get("events")
    if events is not None and not isinstance(events, list):
        problems.add("events", f"must be a list of events, not {shown(events)}")
    elif events:
        if len(events) > MAX_EVENTS:
            problems.add("events", f"{len(events)} events; at most {MAX_EVENTS}")
        else:
            for index, event in enumerate(events):
                problems += _event_problems(event, f"events[{index}]", start)
    if "until" in scenario:
        _time(problems, "until", scenario["until"], start)
    expect = scenario.get("expect")
    if expect is not None:
        problems += _expect_problems(expect, start)
    return problems


def _time(problems: Problems, where: str, value, start: datetime) -> None:
    try:
        when(value, start)
    except S.ScenarioError as error:
        problems.add(where, str(error))


def settings_problems(given, where: str) -> list[str]:
    """A scenario's (or the file's) ``settings``: known names, each of the type Masa reads."""
    problems = Problems()
    if given is None:
        return problems
    if not isinstance(given, dict):
        return [f"{where}: must map setting names to values, not {shown(given)}"]
    for name, value in given.items():
        here = f"{where}.{name}" if isinstance(name, str) else f"{where}.{shown(name)}"
        if name == "TIME_ZONE":
            if not _time_zone(value):
                problems.add(here, f"{shown(value)} is not a time zone (an IANA name: UTC, Asia/Jerusalem)")
            continue
        if not isinstance(name, str) or name not in conf.DEFAULTS:
            problems.add(here, f"unknown setting; a MASA setting or one of {sorted(S.SITE_SETTINGS)}")
            continue
        problem = _setting_problem(name, value)
        if problem:
            problems.add(here, problem)
    return problems


def _setting_problem(name: str, value) -> str | None:
    default = conf.DEFAULTS[name]
    if name == "STAFF_EMAILS" or name == "ALLOWED_CHANNEL_HOSTS":
        if not isinstance(value, list) or not all(_text(v) and (name != "STAFF_EMAILS" or "@" in v) for v in value):
            return f"must be a list of {'e-mail addresses' if name == 'STAFF_EMAILS' else 'host names'}, not {shown(value)}"
        return None
    if name == "QUIET_HOURS":
        if value is None or (isinstance(value, dict) and set(value) == {"start", "end"}
                             and all(isinstance(v, str) and HH_MM.fullmatch(v) for v in value.values())):
            return None
        return f"write {{start: \"21:00\", end: \"08:00\"}} (or null), not {shown(value)}"
    if name == "MARKETING_CAPS":
        if isinstance(value, dict) and all(k in ("day", "week", "month") and _int(v) and 0 <= v <= 1000
                                           for k, v in value.items()):
            return None
        return f"write {{day: 1, week: 4}} (day, week, month: a number of messages), not {shown(value)}"
    if name in ("DEFAULT_FROM_EMAIL",):
        return None if value is None or (_text(value) and "@" in value) else f"must be an e-mail address, not {shown(value)}"
    if name == "CART_ABANDONMENT_PER":
        return None if value in (None, "customer", "checkout") else f"must be customer or checkout, not {shown(value)}"
    if name in conf.DURATIONS:
        return None if conf.duration_problem(name, value) is None else \
            f"must be a duration (1h, 30m), not {shown(value)}"
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"must be true or false, not {shown(value)}"
    if isinstance(default, (int, float)):
        return None if _number(value) and value >= 0 else f"must be a number, not {shown(value)}"
    if isinstance(default, str):
        return None if _text(value) else f"must be text, not {shown(value)}"
    if isinstance(default, (list, dict)):
        return None if isinstance(value, type(default)) and _plain(value) else \
            f"must be a {'list' if isinstance(default, list) else 'mapping'}, not {shown(value)}"
    return None if _plain(value) else f"{shown(value)} is not a value of this setting"


def _time_zone(value) -> bool:
    if not isinstance(value, str) or not value or len(value) > 64:
        return False
    try:
        ZoneInfo(value)
    except (ValueError, OSError, Exception):  # noqa: BLE001 - ZoneInfoNotFoundError, an odd path, a bad key
        return False
    return True


def _customer_problems(customer) -> list[str]:
    problems = Problems()
    if customer is None:
        return problems
    if not isinstance(customer, dict):
        return ["customer: write its fields, e.g. {first_name: Dana, language: he}"]
    for key, value in customer.items():
        here = _at("customer", key)
        if key not in S.CUSTOMER_FIELDS:
            problems.add(here, f"unknown field; one of {', '.join(sorted(S.CUSTOMER_FIELDS))}")
        elif key in ("guest", "marketing_consent"):
            if not isinstance(value, bool):
                problems.add(here, f"must be true or false, not {shown(value)}")
        elif key == "consent":
            problems += _consent_problems(value, customer.get("marketing_consent"))
        elif key == "id":
            if not (_text(value) and value.strip() or _int(value)):
                problems.add(here, f"must be the store's id of her (text), not {shown(value)}")
        elif key == "metadata":
            if not (isinstance(value, dict) and all(isinstance(k, str) for k in value) and _plain(value)):
                problems.add(here, f"must map her store fields to values, not {shown(value)}")
        elif key == "phone":
            if value is not None and not _text(value) or (_text(value) and len(value) > 32):
                problems.add(here, f"must be a phone number (text) or null, not {shown(value)}")
        elif not _text(value) or len(value) > 254:
            problems.add(here, f"must be text, not {shown(value)}")
        elif key == "email" and "@" not in value:
            problems.add(here, f"{shown(value)} is not an e-mail address")
        elif key == "time_zone" and value and not _time_zone(value):
            problems.add(here, f"{shown(value)} is not a time zone (an IANA name: Asia/Jerusalem)")
        elif key == "country" and value and not COUNTRY.fullmatch(value):
            problems.add(here, f"{shown(value)} is not a country code (two letters: IL)")
        elif key == "language" and value and not LANGUAGE.fullmatch(value):
            problems.add(here, f"{shown(value)} is not a language (he, en-us)")
    return problems


def _consent_problems(value, marketing_consent) -> list[str]:
    """``customer.consent``: {email: true, sms: false, whatsapp: true}, each kind once, true or false;
    e-mail's the same as ``marketing_consent`` when both are written."""
    problems = Problems()
    example = "write her consent per channel, e.g. {email: true, sms: false, whatsapp: true}"
    if not isinstance(value, dict):
        return [f"customer.consent: {example}, not {shown(value)}"]
    for kind, given in value.items():
        here = _at("customer.consent", kind)
        if kind not in S.CONSENT_KINDS:
            problems.add(here, f"unknown channel; consent is given for {', '.join(S.CONSENT_KINDS)}")
        elif not isinstance(given, bool):
            problems.add(here, f"must be true or false, not {shown(given)}")
    email = value.get("email")
    if isinstance(email, bool) and isinstance(marketing_consent, bool) and email != marketing_consent:
        problems.add("customer.consent.email", f"says {str(email).lower()} but marketing_consent says "
                                               f"{str(marketing_consent).lower()}: write one of them")
    return problems


def _event_problems(event, where: str, start: datetime) -> list[str]:
    problems = Problems()
    if not isinstance(event, dict):
        return [f"{where}: an event is a mapping ({{at: 0d, order: [...]}}), not {shown(event)}"]
    kinds = [kind for kind in S.EVENT_KINDS if kind in event]
    if len(kinds) != 1:
        problems.add(where, f"name exactly one of {', '.join(S.EVENT_KINDS)}")
        return problems
    kind = kinds[0]
    value = event[kind]
    if "at" in event:
        _time(problems, f"{where}.at", event["at"], start)
    if kind != "form":
        allowed = {"at", kind, *EVENT_EXTRAS.get(kind, ())}
        for key in event:
            if key not in allowed:
                problems.add(f"{where}.{shown(key)}", f"unknown field for {kind}; it has {', '.join(sorted(allowed))}")
    here = f"{where}.{kind}"
    if kind in ("order", "checkout"):
        if not isinstance(value, list) or len(value) > MAX_LINES:
            problems.add(here, f"must be a list of lines (at most {MAX_LINES}), not {shown(value)}")
        else:
            for index, line in enumerate(value):
                problems += _line_problems(line, f"{here}[{index}]")
        if "checkout_id" in event and not (_text(event["checkout_id"]) and event["checkout_id"].strip()):
            problems.add(f"{where}.checkout_id", f"must be text, not {shown(event['checkout_id'])}")
    elif kind in S.ORDER_FOLLOW_UPS:
        if not (value is None or value is True or value == "last" or (_int(value) and 1 <= value <= MAX_EVENTS)):
            problems.add(here, f"must be the scenario's order number (1, 2…) or last, not {shown(value)}")
        if "full" in event and not isinstance(event["full"], bool):
            problems.add(f"{where}.full", f"must be true or false, not {shown(event['full'])}")
        if "amount" in event and not (_number(event["amount"]) and event["amount"] >= 0):
            problems.add(f"{where}.amount", f"must be an amount (a number, 0 or more), not {shown(event['amount'])}")
    elif kind == "customer":
        if not (value is None or (isinstance(value, dict) and set(value) <= {"metadata"}
                                  and (value.get("metadata") is None or (isinstance(value["metadata"], dict)
                                                                         and _plain(value["metadata"]))))):
            problems.add(here, f"write {{metadata: {{field: value}}}}, not {shown(value)}")
    elif kind == "form":
        if not (_text(value) and value.strip()):
            problems.add(here, f"must be the form's name, not {shown(value)}")
        for key, answer in event.items():
            if key not in ("at", "form") and not (isinstance(key, str) and _plain(answer)):
                problems.add(f"{where}.{shown(key)}", f"an answer is text, a number, true/false or a list of them, "
                                                       f"not {shown(answer)} (quote dates)")
    elif kind == "store_event":
        if not (_text(value) and value.strip()):
            problems.add(here, f"must be the event's name, not {shown(value)}")
        if "data" in event and not (isinstance(event["data"], dict) and _plain(event["data"])):
            problems.add(f"{where}.data", f"must map names to values, not {shown(event['data'])}")
    else:  # broadcast: a rule id; the message actions: a template key, with their own fields
        if not (_text(value) and value.strip()):
            problems.add(here, f"must be {'a rule id' if kind == 'broadcast' else 'a template key'}, not {shown(value)}")
        for extra in EVENT_EXTRAS.get(kind, ()):
            if extra in event and not (_text(event[extra]) if extra != "choice" else _plain(event[extra])):
                problems.add(f"{where}.{extra}", f"must be text, not {shown(event[extra])}")
        if kind == "answer" and "choice" not in event:
            problems.add(f"{where}.choice", "an answer says its choice")
        if kind == "join_list" and "list" not in event:
            problems.add(f"{where}.list", "joining names the list")
    return problems


def _at(where: str, key) -> str:
    """The path of ``key`` under ``where`` for a problem's line (a key that is not text shown bounded)."""
    return f"{where}.{key}" if isinstance(key, str) else f"{where}.{shown(key)}"


def _line_problems(line, where: str) -> list[str]:
    problems = Problems()
    if not isinstance(line, dict):
        return [f"{where}: a line is {{category: …, product: …, quantity: 1, price: 10}}, not {shown(line)}"]
    for key, value in line.items():
        here = _at(where, key)
        if key not in LINE_FIELDS:
            problems.add(here, f"unknown field; a line has {', '.join(sorted(LINE_FIELDS))}")
        elif key == "quantity":
            if not (_int(value) and 1 <= value <= MAX_QUANTITY):
                problems.add(here, f"must be a whole number from 1 to {MAX_QUANTITY}, not {shown(value)}")
        elif key == "price":
            if not (_number(value) and value >= 0):
                problems.add(here, f"must be a price (a number, 0 or more), not {shown(value)}")
        elif not (_text(value) and len(value) <= 255):
            problems.add(here, f"must be text (quote a number), not {shown(value)}")
    if not (line.get("category") or line.get("product")):
        problems.add(where, "a line names its category or product")
    return problems


def _expect_problems(expect, start: datetime) -> list[str]:
    problems = Problems()
    if not isinstance(expect, dict):
        return [f"expect: must map what to check (sent, facts…) to what is expected, not {shown(expect)}"]
    for key, value in expect.items():
        here = _at("expect", key)
        if key not in EXPECT_FIELDS:
            problems.add(here, f"unknown field; expect has {', '.join(sorted(EXPECT_FIELDS))}")
        elif key in ("sent", "staff"):
            if value is not None and not isinstance(value, list):
                problems.add(here, f"must be a list of messages, not {shown(value)}")
                continue
            for index, message in enumerate(value or []):
                problems += _message_problems(message, f"{here}[{index}]", start)
        elif key == "cancelled":
            if not isinstance(value, list) or not all(
                    isinstance(c, dict) and set(c) <= {"rule", "reason"} and _text(c.get("rule"))
                    and _text(c.get("reason", "")) for c in value):
                problems.add(here, f"write a list of {{rule: RULE, reason: TEXT}}, not {shown(value)}")
        elif key == "facts":
            if not (isinstance(value, dict) and all(isinstance(k, str) for k in value) and _plain(value)):
                problems.add(here, f"must map fact names to values, not {shown(value)}")
        elif key in ("tags", "not_tags"):
            if not (isinstance(value, list) and all(_text(t) for t in value)):
                problems.add(here, f"must be a list of tags, not {shown(value)}")
        elif key == "category_counts":
            if not (isinstance(value, dict) and all(isinstance(k, str) and _int(v) for k, v in value.items())):
                problems.add(here, f"must map categories to counts, not {shown(value)}")
    return problems


def _message_problems(message, where: str, start: datetime) -> list[str]:
    problems = Problems()
    if not isinstance(message, dict):
        return [f"{where}: an expected message is {{template: KEY, at: 5d}}, not {shown(message)}"]
    for key, value in message.items():
        here = _at(where, key)
        if key not in MESSAGE_FIELDS:
            problems.add(here, f"unknown field; a message has {', '.join(sorted(MESSAGE_FIELDS))}")
        elif key == "at":
            if isinstance(value, list):
                if len(value) != 2:
                    problems.add(here, f"a range is two times, [earliest, latest], not {shown(value)}")
                    continue
                for index, end in enumerate(value):
                    _time(problems, f"{here}[{index}]", end, start)
            else:
                _time(problems, here, value, start)
        elif not _text(value):
            problems.add(here, f"must be text, not {shown(value)}")
    if "template" not in message:
        problems.add(where, "an expected message names its template")
    return problems
