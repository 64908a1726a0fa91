"""Pack parameters: typed declarations, the shop's values, and ``$name`` placeholders in rules.

A rule value that is exactly ``"$name"`` is replaced by the parameter's value, keeping its type
(a number stays a number, a list stays a list).
"""
from __future__ import annotations

import math

import re

from .compiler import RuleDefinitionError
from ..durations import parse_duration

PLACEHOLDER = re.compile(r"\$([a-z][a-z0-9_]*)")
TYPES = {"integer", "number", "string", "boolean", "duration", "list", "category", "product", "map"}
# A ``map`` parameter: ``keys`` (what it is per: a product or a category) → a value of ``values``
# (``{type: map, keys: product, values: duration, default: {pads-60: 60d}}``): per-product refill
# periods, per-category thresholds… as the shop's values.
MAP_KEYS = ("product", "category")
MAP_VALUES = ("duration", "integer", "number", "string")
MAX_MAP_ENTRIES = 200
# A map's key is a store's product or category id (a slug such as ``pads-60`` or ``קפה``, or a Saleor
# global id such as ``UHJvZHVjdDo3Mg==``): at most MAX_KEY_LENGTH letters, digits and ``- _ . : / = +``.
MAX_KEY_LENGTH = 100
MAP_KEY = re.compile(r"[^\W_][\w.:/=+-]*")
# An error shows at most this much of the value it refuses (a pack or a form can send anything).
MAX_ECHO = 60


def shown(value) -> str:
    """``value`` as an error message shows it: its repr, cut to MAX_ECHO characters."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO else f"{text[:MAX_ECHO - 1]}… ({len(text)} characters)"


class ParameterError(ValueError):
    pass


def _finite(value) -> bool:
    """Not NaN or infinite (YAML's ``.nan``, ``.inf``): JSON, and so the database, cannot store them."""
    return not isinstance(value, float) or math.isfinite(value)


def check_value(name: str, spec: dict, value):
    """Return ``value`` if it fits the parameter's type; raise ParameterError naming the problem."""
    kind = spec.get("type", "string")
    if kind == "map":
        return _check_map(name, spec, value)
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value),
        "string": isinstance(value, str),
        "category": isinstance(value, str),
        "product": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, (str, int, float)) and _finite(v) for v in value),
        "duration": isinstance(value, (str, int)),
    }[kind]
    if ok and kind == "duration":
        try:
            parse_duration(value)
        except ValueError:
            ok = False
    if not ok:
        raise ParameterError(f"parameter {shown(name)} must be of type {kind}, not {shown(value)}")
    if "minimum" in spec and isinstance(value, (int, float)) and value < spec["minimum"]:
        raise ParameterError(f"parameter {shown(name)} must be at least {spec['minimum']}, not {shown(value)}")
    if "choices" in spec and value not in spec["choices"]:
        raise ParameterError(f"parameter {shown(name)} must be one of {shown(spec['choices'])}, not {shown(value)}")
    return value


def _check_map(name: str, spec: dict, value) -> dict:
    """A ``map`` value: at most MAX_MAP_ENTRIES product (or category) ids, each with a value of the
    map's ``values`` type (``minimum`` and ``choices`` apply to each value)."""
    keys, values = spec.get("keys", "product"), spec.get("values", "duration")
    if keys not in MAP_KEYS or values not in MAP_VALUES:
        raise ParameterError(f"parameter {name!r}: a map's keys are one of {list(MAP_KEYS)} and its values one of "
                             f"{list(MAP_VALUES)}")
    if not isinstance(value, dict):
        raise ParameterError(f"parameter {name!r} must map each {keys} to a {values}, not {shown(value)}")
    if len(value) > MAX_MAP_ENTRIES:
        raise ParameterError(f"parameter {name!r} maps {len(value)} {keys}s; at most {MAX_MAP_ENTRIES}")
    item = {key: spec[key] for key in ("minimum", "choices") if key in spec}
    checked = {}
    for key, entry in value.items():
        text = str(key).strip() if isinstance(key, (str, int)) and not isinstance(key, bool) else None
        if text is None or not MAP_KEY.fullmatch(text) or len(text) > MAX_KEY_LENGTH:
            raise ParameterError(f"parameter {name!r}: {shown(key)} is not a {keys} id (at most {MAX_KEY_LENGTH} "
                                 f"letters, digits and - _ . : / = +)")
        if text in checked:
            raise ParameterError(f"parameter {name!r}: the {keys} {text!r} is there twice")
        checked[text] = check_value(f"{name}.{text}", {"type": values, **item}, entry)
    return checked


def placeholders(definition) -> set[str]:
    """Every parameter name a definition refers to."""
    found: set[str] = set()
    if isinstance(definition, dict):
        for value in definition.values():
            found |= placeholders(value)
    elif isinstance(definition, list):
        for value in definition:
            found |= placeholders(value)
    elif isinstance(definition, str):
        match = PLACEHOLDER.fullmatch(definition)
        if match:
            found.add(match.group(1))
    return found


def resolve_parameters(definition, values: dict, rule_id: str, where: str = ""):
    """``definition`` with every ``$name`` replaced; an unknown name raises, all of them at once
    (a RuleDefinitionError per value, at its field path)."""
    unknown: list[RuleDefinitionError] = []
    resolved = _resolve(definition, values, rule_id, where, unknown)
    if unknown:
        raise RuleDefinitionError.combined(unknown)
    return resolved


def _resolve(definition, values: dict, rule_id: str, where: str, unknown: list):
    if isinstance(definition, dict):
        return {key: _resolve(value, values, rule_id, f"{where}.{key}" if where else str(key), unknown)
                for key, value in definition.items()}
    if isinstance(definition, list):
        return [_resolve(value, values, rule_id, f"{where}[{index}]", unknown) for index, value in enumerate(definition)]
    if isinstance(definition, str):
        match = PLACEHOLDER.fullmatch(definition)
        if match:
            if match.group(1) not in values:
                unknown.append(RuleDefinitionError(rule_id, where or "definition", f"unknown parameter {match.group(1)!r}"))
                return definition
            return values[match.group(1)]
    return definition
