"""Segments: named lists of conditions a pack declares once and rules use as ``{segment: name}``.

A segment is expanded where it is used (to ``{all: [its conditions]}``) before parameters are
resolved and the rule compiled, so it can use the pack's parameters and stays one definition:
change the segment and every rule using it follows. Segments cannot use other segments.
"""
from __future__ import annotations

from .compiler import RuleDefinitionError


def resolve_segments(definition: dict, segments: dict, rule_id: str, unknown: list | None = None) -> dict:
    """``definition`` with its segments expanded. An unknown segment raises — or, given an
    ``unknown`` list, is recorded there and left in place for the compiler to skip."""
    if not isinstance(definition, dict) or not definition.get("conditions"):
        return definition
    found: list[RuleDefinitionError] = []
    expanded = {**definition, "conditions": _expand(definition["conditions"], segments or {}, rule_id, "conditions", found)}
    if unknown is not None:
        unknown.extend(found)
    elif found:
        raise RuleDefinitionError.combined(found)
    return expanded


def _expand(conditions, segments: dict, rule_id: str, where: str, unknown: list):
    if not isinstance(conditions, list):
        return conditions
    expanded = []
    for index, condition in enumerate(conditions):
        here = f"{where}[{index}]"
        if isinstance(condition, dict) and "segment" in condition:
            name = condition["segment"]
            if name not in segments:
                known = ", ".join(sorted(segments)) or "none"
                unknown.append(RuleDefinitionError(rule_id, f"{here}.segment",
                                                   f"unknown segment {name!r}; the pack declares: {known}"))
                expanded.append(condition)
            else:
                expanded.append({"all": segments[name]})
        elif isinstance(condition, dict) and ("any" in condition or "all" in condition):
            key = "any" if "any" in condition else "all"
            expanded.append({**condition, key: _expand(condition[key], segments, rule_id, f"{here}.{key}", unknown)})
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
    from .compiler import compile_rule, overlaps
    from .parameters import resolve_parameters

    found: list[RuleDefinitionError] = []
    expanded = resolve_segments(definition, segments, rule_id, found)
    try:
        resolved = resolve_parameters(expanded, parameters, rule_id)
    except RuleDefinitionError as error:
        found += error.problems
        resolved = expanded
    try:
        compiled = compile_rule(rule_id, resolved)
    except RuleDefinitionError as error:
        found += [p for p in error.problems if not any(overlaps(p.field_path, f.field_path) for f in found)]
    if found:
        raise RuleDefinitionError.combined(found)
    return compiled
