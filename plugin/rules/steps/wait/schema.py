"""The JSON Schema of a ``wait`` step's argument (the pack schema's ``$defs/wait``)."""
from __future__ import annotations

from ....durations import WEEKDAYS
from ..base import ref

WAIT = {
    "description": "A duration, a time of day / weekday, an anniversary, a refill date, or an event with a timeout",
    "anyOf": [
        ref("duration"),
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "until": ref("time_of_day"),
                "weekday": {"anyOf": [{"enum": list(WEEKDAYS)}, ref("parameter")]},
            },
            "required": ["until"],
            "description": "Until the next such time (and weekday) in the customer's time zone",
            "examples": [{"until": "10:00", "weekday": "mon"}],
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "refill": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "period": ref("duration", description="How long one unit lasts"),
                        "periods": {
                            "anyOf": [{"type": "object", "additionalProperties": ref("duration")}, ref("parameter")],
                            "examples": [{"pads-60": "60d"}, "$refill_periods"],
                            "description": "Product id → how long one of it lasts, where products of the category "
                                           "differ (others: period); or a map parameter (keys: product, values: "
                                           "duration) so the shop sets them",
                        },
                        "lead": ref("duration", description="How long before the expected run-out"),
                        "per_quantity": {
                            "anyOf": [{"type": "boolean"}, ref("parameter")],
                            "description": "period × quantity bought (default true)",
                        },
                        "own_rhythm": {
                            "anyOf": [{"type": "boolean"}, ref("parameter")],
                            "description": "The customer's median interval from their second purchase on, kept "
                                           "within ½–2× period (default true)",
                        },
                        "category": {
                            "type": "string",
                            "description": "The category whose purchases count (default: the trigger's)",
                        },
                    },
                    "required": ["period"],
                },
            },
            "required": ["refill"],
            "description": "Until the expected run-out minus lead",
            "examples": [{"refill": {"period": "30d", "lead": "5d"}}],
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "anniversary": {"type": "string", "minLength": 1, "description": "A date fact (birthday) or first_order"},
                "at": ref("time_of_day"),
            },
            "required": ["anniversary"],
            "description": "Until the next yearly return of a date",
            "examples": [{"anniversary": "birthday", "at": "09:00"}],
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "event": ref("event_name"),
                "within": ref("duration"),
                "on_event": ref("steps"),
                "on_timeout": ref("steps"),
            },
            "required": ["event", "within"],
            "description": "Waits for the customer's next event; ends its list of steps",
            "examples": [{"event": "message_opened", "within": "2d", "on_timeout": [{"send": {"template": "nudge"}}]}],
            "anyOf": [{"required": ["on_event"]}, {"required": ["on_timeout"]}],
        },
    ],
}
