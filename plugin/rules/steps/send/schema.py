"""The JSON Schema of a ``send`` step's argument (the pack schema's ``$defs/send``)."""
from __future__ import annotations

from ..base import ref

# The channel kinds a `channel: preferred` send chooses among (a customer answers on them).
PREFERRED_KINDS = ("whatsapp", "sms", "email")

SEND = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "template": {"type": "string", "minLength": 1, "description": "A template of this pack"},
        "channel": {"type": "string", "minLength": 1,
                    "description": "A channel name or kind: email (default), sms, whatsapp, webhook; or preferred: "
                                   "the one of `channels` the customer answers best"},
        "channels": {"type": "array", "minItems": 1, "uniqueItems": True,
                     "items": {"enum": list(PREFERRED_KINDS)},
                     "description": "With channel: preferred, the channel kinds to choose from, in order (the "
                                    "first is the default channel)"},
        "class": {
            "anyOf": [{"enum": ["marketing", "transactional"]}, ref("parameter")],
            "description": "marketing (default: consent, caps, quiet hours) or transactional",
        },
        "voucher": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "value": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, ref("parameter")]},
                "type": {"enum": ["percentage", "fixed"]},
                "channel": {"type": "string", "minLength": 1, "description": "The Saleor channel slug"},
                "valid_days": {"anyOf": [{"type": "integer", "minimum": 1}, ref("parameter")]},
                "name": {"type": "string"},
                "prefix": {"type": "string"},
            },
            "required": ["value", "channel"],
            "description": "A single-use Saleor voucher: {{ voucher.code }}",
        },
        "recommend": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "url": {"type": "string", "pattern": "^(https?://|\\$)"},
                "price": ref("number"),
                "product": {"type": ["string", "number"]},
            },
            "required": ["name"],
            "description": "The product a cross-sell offers: {{ recommendation.name }}",
        },
    },
    "required": ["template"],
    "description": "Sends a template",
    "examples": [{"template": "thank-you", "channel": "email", "class": "transactional"}],
}
