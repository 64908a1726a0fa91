"""Segments: named lists of conditions a pack declares once and rules use as ``{segment: name}``.

A segment is expanded where it is used (to ``{all: [its conditions]}``) before parameters are
resolved and the rule compiled, so it can use the pack's parameters and stays one definition:
change the segment and every rule using it follows. Segments cannot use other segments.
"""
from __future__ import annotations

from .compiler import RuleDefinitionError


def resolve_segments(definition: dict, segments: dict, rule_id: str) -> dict:
    if not isinstance(definition, dict) or not definition.get("conditions"):
        return definition
    return {**definition, "conditions": _expand(definition["conditions"], segments or {}, rule_id, "conditions")}


def _expand(conditions, segments: dict, rule_id: str, where: str):
    if not isinstance(conditions, list):
        return conditions
    expanded = []
    for index, condition in enumerate(conditions):
        here = f"{where}[{index}]"
        if isinstance(condition, dict) and "segment" in condition:
            name = condition["segment"]
            if name not in segments:
                known = ", ".join(sorted(segments)) or "none"
                raise RuleDefinitionError(rule_id, f"{here}.segment", f"unknown segment {name!r}; the pack declares: {known}")
            expanded.append({"all": segments[name]})
        elif isinstance(condition, dict) and ("any" in condition or "all" in condition):
            key = "any" if "any" in condition else "all"
            expanded.append({**condition, key: _expand(condition[key], segments, rule_id, f"{here}.{key}")})
        else:
            expanded.append(condition)
    return expanded


def segment_problems(segments: dict) -> list[str]:
    """What is wrong with a pack's segments themselves (each is a non-empty list of conditions)."""
    problems = []
    for name, conditions in (segments or {}).items():
        if not isinstance(conditions, list) or not conditions:
            problems.append(f"segments.{name}: must be a non-empty list of conditions")
        elif any(isinstance(c, dict) and "segment" in c for c in conditions):
            problems.append(f"segments.{name}: a segment cannot use another segment")
    return problems


def compile_definition(rule_id: str, definition, parameters: dict, segments: dict):
    """A stored or shipped rule definition → CompiledRule: segments expanded, parameters resolved."""
    from .compiler import compile_rule
    from .parameters import resolve_parameters

    expanded = resolve_segments(definition, segments, rule_id)
    return compile_rule(rule_id, resolve_parameters(expanded, parameters, rule_id))
