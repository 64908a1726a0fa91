"""``pack.schema.json``, assembled: the JSON Schema a YAML editor checks a rule pack against while an
agency types (docs/rule-packs.md). What may change as Masa grows comes from where it is defined:
the step kinds (each kind's ``schema`` and ``schema_defs``, ``rules/steps/<kind>/``), the event
types (``events.EVENT_TYPES``), the guards (their schemas in ``rules/steps/check``) and the
conditions (``CONDITIONS`` here, one per kind of condition the compiler knows); the pack's own
fields are written here. The committed file is this module's output: ``make schema`` (or
``manage.py masa_generate``) writes it, and tests/packs/test_schema_generated.py fails when it
differs. ``step_reference_problems`` checks docs/rule-packs.md's step reference the same way.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .. import events
from ..rules.compiler import CONDITION_OPTIONS, CUSTOMER_FIELDS, ONCE_SCOPES, OPERATORS, SINCE_ANCHORS
from ..rules.factkeys import REACHABLE
from ..message_versions import KINDS as VERSION_KINDS
from ..rules.steps import STEPS, ref

PATH = Path(__file__).with_name("pack.schema.json")
COMPARISONS = list(OPERATORS)
# Written in this order (the compiler's are sets); ``assemble`` checks they are the compiler's.
FACT_FIELDS = ["orders_count", "total_spent", "marketing_consent", "locale", "time_zone", "email",
               "median_order_interval_days", "consent_email", "consent_sms", "consent_whatsapp"]
ONCE = ["event", "order", "product", "customer"]

# A message's version for one channel kind (``templates.<key>.channels.<kind>``), and a WhatsApp
# version's approved template (``approved_templates``).
APPROVED_TEMPLATE = {
    "type": "object",
    "description": "WhatsApp only: the approved template sent outside the 24-hour window (its name as in "
                   "WhatsApp Manager, its language code, and the merge tag filling each {{1}}, {{2}}… in order)",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9_]{1,512}$"},
        "language": {"type": "string", "examples": ["en_US", "he"]},
        "variables": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    },
    "examples": [{"name": "win_back_offer", "language": "en_US", "variables": ["{{ customer.first_name }}"]}],
}
VERSION_TEXTS = {"subject": {"type": "string"}, "body": {"type": "string"}, "html_body": {"type": "string"},
                 "template": APPROVED_TEMPLATE}

# Values every part of a pack uses.
COMMON = {
    "parameter": {
        "type": "string",
        "pattern": "^\\$[a-z][a-z0-9_]*$",
        "description": "A pack parameter, e.g. $refill_lead (its value replaces it)",
    },
    "duration": {
        "description": "A duration: w, d, h, m, s, combinable (25d, 36h, 1d12h), a number of seconds, or a $parameter",
        "examples": ["25d", "36h", "1d12h", "$refill_lead"],
        "anyOf": [
            {"type": "string", "pattern": "^ *([0-9]+ *[wdhmsWDHMS] *)+$"},
            {"type": "number", "minimum": 0},
            ref("parameter"),
        ],
    },
    "time_of_day": {
        "anyOf": [{"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}, ref("parameter")],
        "description": "A time of day, HH:MM",
        "examples": ["09:00"],
    },
    "scalar": {"type": ["string", "number", "boolean"], "description": "A text, number or true/false"},
    "name": {
        "description": "A slug or id (a category, product, SKU), or a $parameter",
        "anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}],
    },
    "names": {
        "description": "One slug or id, or a non-empty list of them (any matches)",
        "anyOf": [ref("name"), {"type": "array", "minItems": 1, "items": ref("name")}, ref("parameter")],
    },
    "number": {"anyOf": [{"type": "number"}, ref("parameter")]},
}


def event_name() -> dict:
    """An event type of ``events.EVENT_TYPES``, or ``custom.<name>``."""
    return {
        "description": "An event type, or custom.<name> (from emit or the store's store_event signal)",
        "anyOf": [
            {"enum": [event.name for event in events.EVENT_TYPES]},
            {"type": "string", "pattern": f"^{events.CUSTOM_EVENT.pattern}$"},
            ref("parameter"),
        ],
        "examples": ["order_placed", "custom.invoice_paid"],
    }


FACT_NAME = {
    "anyOf": [{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}, ref("parameter")],
    "description": "A customer fact's name",
}


def keyed(key: str, schema: dict, description: str, *examples, **more) -> dict:
    """A mapping recognised by its own key (a trigger, a kind of condition), with ``more`` options."""
    return {"type": "object", "additionalProperties": False, "properties": {key: schema, **more}, "required": [key],
            "description": description, **({"examples": list(examples)} if examples else {})}


def comparison(key: str, schema: dict, description: str, example: dict) -> dict:
    """A kind of condition compared with ``op`` and ``value`` (``compared``)."""
    return {**keyed(key, schema, description, example, op=ref("op"), value={}), "allOf": [ref("compared")]}


def options(**schemas) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": schemas, "required": list(schemas)[:1]}


TEXT = {"type": "string", "minLength": 1}

TRIGGERS = {
    "event_trigger": keyed(
        "event", ref("event_name", description="The event the rule fires on"), "Fires on a stored event",
        {"event": "category_bought", "category": "absorbent"},
        category=ref("names", description="Only for these categories (slug; parents count)"),
        product=ref("names", description="Only for these products (Saleor id)"),
        sku=ref("names", description="Only for these SKUs"),
        min_total=ref("number", description="Only when the event's total is at least this"),
        max_total=ref("number", description="Only when the event's total is at most this")),
    "fact_trigger": keyed(
        "fact", {**TEXT, "description": "A customer fact (tier), a store field (city) or tag:NAME"},
        "Fires when a customer fact changes in an evaluation (forward chaining)", {"fact": "tier", "to": "strong"},
        to=ref("scalar", description="Only when it changes to this value"),
        above=ref("number", description="Only when it goes from below this (or unset) to this or more")),
    "trigger": {
        "description": "What starts the rule: an event, or a change of a customer fact",
        "oneOf": [ref("event_trigger"), ref("fact_trigger")],
    },
}


OP = {"enum": [*COMPARISONS, "in", "not_in", "exists", "missing"],
      "description": "Comparison (default ==); in / not_in take a list"}
COMPARED = {
    "description": "op and value: value is a list for in / not_in, none for exists / missing, else one value",
    "allOf": [
        {
            "if": {"properties": {"op": {"enum": ["in", "not_in"]}}, "required": ["op"]},
            "then": {
                "required": ["value"],
                "properties": {"value": {"anyOf": [{"type": "array", "minItems": 1, "items": ref("scalar")},
                                                   ref("parameter")]}},
            },
        },
        {
            "if": {"anyOf": [{"not": {"required": ["op"]}}, {"properties": {"op": {"enum": COMPARISONS}}}]},
            "then": {"required": ["value"], "properties": {"value": ref("scalar")}},
        },
    ],
}
PURCHASE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"category": ref("names"), "product": ref("names")},
    "description": "A category slug or product id (or lists of them)",
    "examples": [{"category": "absorbent"}],
    "minProperties": 1,
}


# One schema per kind of condition (``compiler.CONDITION_OPTIONS``), keyed by its own key.
CONDITIONS = {
    "fact": comparison("fact", {"type": "string", "description": f"{', '.join(FACT_FIELDS)} or facts.<name>",
                                "anyOf": [{"enum": FACT_FIELDS}, {"pattern": "^facts\\..+"}]},
                       "A customer fact compared", {"fact": "orders_count", "op": ">=", "value": 3}),
    "event": comparison("event", {**TEXT, "description": "A field of the triggering event"},
                        "A field of the triggering event compared", {"event": "total", "op": ">", "value": 200}),
    "bought": keyed("bought", ref("purchase"), "Ever bought (any of them)"),
    "not_bought": keyed("not_bought", ref("purchase"), "Never bought (none of them)"),
    "count": comparison("count", options(category=ref("name")), "Orders containing the category (none counts as 0)",
                        {"count": {"category": "absorbent"}, "op": ">=", "value": 3}),
    "orders": comparison("orders", options(within=ref("duration")), "Orders in the window before the event",
                         {"orders": {"within": "365d"}, "op": ">=", "value": 3}),
    "since": {**keyed("since", {
        "description": "last_order, first_order, {category: slug} or {fact: a date fact}",
        "anyOf": [{"enum": list(SINCE_ANCHORS)}, options(category=ref("name")), options(fact=TEXT)],
    }, "Time since a purchase or a date", {"since": "last_order", "op": ">", "value": "180d"},
        op={"enum": COMPARISONS}, value=ref("duration")), "required": ["since", "value"]},
    "segment": keyed("segment", TEXT, "The pack's segment holds"),
    "tagged": keyed("tagged", TEXT, "The customer has the tag"),
    "not_tagged": keyed("not_tagged", TEXT, "The customer has not the tag"),
    "reachable": keyed("reachable", {"enum": list(REACHABLE), "description": "A channel kind"},
                       "A message of this channel kind could reach the customer: they have its address (a phone "
                       "for sms) and, for marketing (the default class), marketing consent",
                       {"reachable": "sms"}, **{"class": {"enum": ["marketing", "transactional"]}}),
    "not_reachable": keyed("not_reachable", {"enum": list(REACHABLE), "description": "A channel kind"},
                           "The opposite of reachable", {"not_reachable": "sms", "class": "transactional"},
                           **{"class": {"enum": ["marketing", "transactional"]}}),
    "any": keyed("any", ref("conditions", minItems=1), "At least one holds"),
    "all": keyed("all", ref("conditions", minItems=1), "Every one holds"),
}

# A version: three numbers of at most 9 digits each (ASCII digits: \d would take other scripts' digits).
VERSION_PATTERN = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$"

PACK = {
    "masa_pack": {"const": 1, "description": "Format version of this document"},
    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"},
    "version": {"type": "string", "pattern": VERSION_PATTERN,
                "description": "Three numbers of at most 9 digits each, like 1.2.0"},
    "title": {"type": "string", "minLength": 1},
    "author": {"type": "string"},
    "description": {"type": "string"},
    "min_masa_version": {"type": "string", "pattern": VERSION_PATTERN},
    "segments": {
        "type": "object",
        "description": "Named lists of conditions, used in rules as {segment: name}",
        "propertyNames": {"pattern": "^[a-z][a-z0-9_-]*$"},
        "additionalProperties": {"type": "array", "minItems": 1, "items": ref("condition")},
    },
    "parameters": {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
        "additionalProperties": {
            "type": "object",
            "required": ["type", "default"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": ["integer", "number", "string", "boolean", "duration", "list", "category", "product",
                                  "map"]},
                "keys": {"enum": ["product", "category"],
                         "description": "A map's keys: what it gives a value per (default product)"},
                "values": {"enum": ["duration", "integer", "number", "string"],
                           "description": "A map's values (default duration)"},
                "default": {},
                "title": {"type": "string"},
                "help": {"type": "string"},
                "minimum": {"type": "number"},
                "choices": {"type": "array"},
            },
        },
    },
    "templates": {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "additionalProperties": {
            "type": "object",
            "required": ["body"],
            "additionalProperties": False,
            "properties": {
                "channel": {"type": "string"},
                "subject": {"type": "string"},
                "body": {"type": "string"},
                "html_body": {"type": "string"},
                "template": APPROVED_TEMPLATE,
                "locales": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["body"],
                        "additionalProperties": False,
                        "properties": VERSION_TEXTS,
                    },
                },
                "channels": {
                    "type": "object",
                    "description": "The message's version per channel kind (its SMS or WhatsApp text beside the "
                                   "email's): a send over that kind takes it, any other kind the main text",
                    "propertyNames": {"enum": list(VERSION_KINDS)},
                    "additionalProperties": {
                        "type": "object",
                        "required": ["body"],
                        "additionalProperties": False,
                        "properties": {
                            **VERSION_TEXTS,
                            "locales": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "object",
                                    "required": ["body"],
                                    "additionalProperties": False,
                                    "properties": VERSION_TEXTS,
                                },
                            },
                        },
                    },
                    "examples": [{"sms": {"body": "{{ customer.first_name }}, 10% off today: {{ view_url }}"}}],
                },
            },
        },
    },
    "rules": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["id", "trigger", "steps"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "enabled": {"type": "boolean"},
                "holdout": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 50,
                    "description": "Percent of customers held out of this rule's marketing sends (0: the pack's "
                                   "holdout applies)",
                },
                "once": {
                    "enum": ONCE,
                    "description": "What the rule fires at most once for (default event)",
                },
                "trigger": ref("trigger"),
                "conditions": ref("conditions"),
                "steps": ref("steps", minItems=1),
            },
        },
    },
    "dosage": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "caps": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "description": "At most this many marketing messages per window, over all channels",
                "properties": {
                    "hour": {"type": "integer", "minimum": 1},
                    "day": {"type": "integer", "minimum": 1},
                    "week": {"type": "integer", "minimum": 1},
                    "month": {"type": "integer", "minimum": 1},
                },
                "examples": [{"day": 1, "week": 3}],
            },
            "quiet_hours": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"start": ref("time_of_day"), "end": ref("time_of_day")},
                "required": ["start", "end"],
                "description": "No marketing message between these times in the customer's time zone",
                "examples": [{"start": "21:00", "end": "08:00"}],
            },
            "keep_in_touch": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "every": ref("duration"),
                    "template": {"type": "string", "minLength": 1},
                    "channel": {"type": "string", "minLength": 1},
                },
                "required": ["every", "template"],
                "description": "At least one message this often: the template goes after this long without any message",
                "examples": [{"every": "60d", "template": "keep-in-touch"}],
            },
        },
        "description": "How much the pack's customers may hear from it; the shop can tighten it, not loosen it",
    },
    "holdout": {
        "type": "integer",
        "minimum": 0,
        "maximum": 50,
        "description": "Percent of customers held out of the pack's marketing sends, to measure what the pack earns "
                       "(default 0)",
    },
    "cart_abandonment": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"per": {"enum": ["customer", "checkout"]}},
        "required": ["per"],
        "description": "per: checkout asks for one abandonment per open checkout (the default is one per customer, the "
                       "latest cart counting); the shop's MASA['CART_ABANDONMENT_PER'] decides when set",
        "examples": [{"per": "checkout"}],
    },
}


def steps_defs() -> dict:
    """``steps``, each kind's own ``$defs`` and ``step``: exactly one of the kinds (``rules.steps.STEPS``)."""
    defs = {"steps": {"type": "array", "items": ref("step"),
                      "description": "Steps run in order; waits add up, a check applies to every later step"}}
    for kind in STEPS.values():
        for name, schema in kind.schema_defs.items():
            if name in defs:
                raise ValueError(f"step kind {kind.name!r}: $defs/{name} is taken")
            defs[name] = schema
    defs["step"] = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {kind.name: kind.schema for kind in STEPS.values()},
        "description": f"Exactly one of: {', '.join(STEPS)}",
    }
    return defs


def assemble() -> dict:
    """The whole schema, from the kinds, event types, guards and conditions Masa knows now."""
    if set(FACT_FIELDS) != CUSTOMER_FIELDS or set(ONCE) != ONCE_SCOPES or set(CONDITIONS) != set(CONDITION_OPTIONS):
        raise ValueError("packs/schema.py: FACT_FIELDS, ONCE or CONDITIONS differ from the compiler's")
    defs = {**COMMON, "event_name": event_name(), "fact_name": FACT_NAME, **TRIGGERS, "op": OP, "compared": COMPARED,
            "purchase": PURCHASE,
            "conditions": {"type": "array", "items": ref("condition"), "description": "All must hold"},
            "condition": {"description": "One condition", "oneOf": list(CONDITIONS.values())}, **steps_defs()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://masa.dev/schema/pack-1.json",
        "title": "Masa rule pack",
        "type": "object",
        "required": ["masa_pack", "id", "version", "title", "rules"],
        "additionalProperties": False,
        "properties": PACK,
        "$defs": defs,
    }


def render() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(assemble(), indent=1) + "\n"


STEPS_SECTION = re.compile(r"^### Steps\n(.*?)(?=^#)", re.M | re.S)
DOCUMENTED = re.compile(r"`([a-z_]+)[:`]")


def documented_steps(reference: str) -> set[str]:
    """The step kinds docs/rule-packs.md's step reference has a row for: each row's first cell
    names them (``| `wait: 25d` |``, ``| `tag: T` / `untag: T` |``)."""
    section = STEPS_SECTION.search(reference)
    rows = [line.split("|")[1] for line in (section.group(1) if section else "").splitlines()
            if line.startswith("| `")]
    return {name for cell in rows for name in DOCUMENTED.findall(cell)}


def step_reference_problems(reference: str) -> list[str]:
    """What the step reference and the kinds disagree on: a kind without a row, a row of no kind."""
    documented = documented_steps(reference)
    return [f"docs/rule-packs.md does not document the {name} step" for name in STEPS if name not in documented] + [
        f"docs/rule-packs.md documents {name}, which is no step kind" for name in sorted(documented - set(STEPS))]
