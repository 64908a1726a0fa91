"""Read and validate a pack document. Every problem is reported, each naming file, rule and field.

Checks, in order: YAML syntax; the published JSON Schema (``pack.schema.json``); parameter
defaults against their types; duplicate rule ids; each rule compiled with the default
parameter values (unknown parameters, unknown fields, bad durations…); templates that rules use
but the pack does not define; rules that trigger each other in a cycle; the Masa version.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .. import __version__
from ..rules.compiler import CompiledRule, RuleDefinitionError, used_templates
from ..rules.parameters import ParameterError, check_value
from ..rendering import template_problems
from ..rules.segments import compile_definition, segment_problems

SCHEMA = json.loads((Path(__file__).with_name("pack.schema.json")).read_text())
RULE_FIELDS = ("trigger", "conditions", "steps", "once")


class PackError(ValueError):
    """A pack that cannot be used; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Pack:
    document: dict
    source: str
    filename: str = "<pack>"
    compiled: dict[str, CompiledRule] = field(default_factory=dict)

    @property
    def pack_id(self) -> str:
        return self.document["id"]

    @property
    def version(self) -> str:
        return self.document["version"]

    @property
    def parameters(self) -> dict:
        return self.document.get("parameters", {})

    @property
    def segments(self) -> dict:
        return self.document.get("segments", {})

    @property
    def templates(self) -> dict:
        return self.document.get("templates", {})

    @property
    def rules(self) -> list[dict]:
        return self.document["rules"]

    def defaults(self) -> dict:
        return {name: spec["default"] for name, spec in self.parameters.items()}


def rule_definition(rule: dict) -> dict:
    """The part of a pack rule that is its behaviour (what Rule.definition stores)."""
    return {key: rule[key] for key in RULE_FIELDS if key in rule}


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _schema_problems(document, filename) -> list[str]:
    problems = []
    for error in sorted(Draft202012Validator(SCHEMA).iter_errors(document), key=lambda e: list(e.path)):
        path = list(error.absolute_path)
        where = ".".join(str(p) for p in path) or "(document)"
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule = document["rules"][path[1]]
            rule_name = rule.get("id", f"#{path[1] + 1}") if isinstance(rule, dict) else f"#{path[1] + 1}"
            field_path = ".".join(str(p) for p in path[2:]) or "(rule)"
            problems.append(f"{filename}: rule {rule_name!r}, {field_path}: {error.message}")
        else:
            problems.append(f"{filename}: {where}: {error.message}")
    return problems


def _change_name(effect: dict) -> str:
    """The ``fact`` a change fact carries for this effect (as facts.apply_effect names it)."""
    return f"{effect['op']}:{effect['value']}" if effect["op"] in ("tag", "untag") else effect["fact"]


def _delays(waits) -> bool:
    return any(w.get("for", 1) > 0 for w in waits)


def _cannot_fire(effects: list[dict], facts: set[str], thresholds: list[dict]) -> bool:
    """Whether setting these facts can never satisfy a ``to:`` / ``above:`` trigger on them (a rule
    that resets a counter below its own threshold does not re-trigger itself)."""
    sets = [e for e in effects if e["op"] == "set" and e["fact"] in facts]
    if not sets or len(sets) != len([e for e in effects if e.get("fact") in facts]) or not thresholds:
        return False
    for effect in sets:
        for term in thresholds:
            if "new" in term and effect["value"] != term["new"]:
                break
            above = term.get("$gte", {}).get("new")
            if above is not None and isinstance(effect["value"], (int, float)) and effect["value"] < above:
                break
        else:
            return False
    return True


def _cycle(compiled: dict[str, CompiledRule]) -> list[str] | None:
    """Rule ids that trigger each other in a loop with no wait on it, or None.

    A loop through a wait is a recurrence (a yearly birthday), not a runaway.
    """
    produces: dict[str, set[str]] = {}
    listens: dict[str, set[str]] = {}
    effects_of: dict[str, list[dict]] = {}
    thresholds: dict[str, list[dict]] = {}
    for rule_id, rule in compiled.items():
        undelayed = [a for a in rule.plan if not _delays(a.waits)]
        effects_of[rule_id] = rule.effects + [a.params for a in undelayed if a.kind == "effect"]
        produces[rule_id] = {_change_name(e) for e in effects_of[rule_id]}
        produces[rule_id] |= {f"event:{a.params['event']}" for a in undelayed if a.kind == "emit"}
        terms = rule.condition[0]["e"]["$and"]
        if {"kind": "change"} in terms:
            listens[rule_id] = {t["fact"] for t in terms if "fact" in t}
            thresholds[rule_id] = [t for t in terms if "new" in t or "new" in t.get("$gte", {})]
        else:
            listens[rule_id] = {f"event:{t['type']}" for t in terms if "type" in t}
    edges = {a: [b for b in compiled if produces[a] & listens[b]
                 and not _cannot_fire(effects_of[a], listens[b], thresholds.get(b, []))] for a in compiled}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in compiled:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def load_pack(source: str, filename: str = "<pack>") -> Pack:
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        raise PackError([f"{filename}: {where}: not valid YAML: {getattr(error, 'problem', error)}"]) from error
    if not isinstance(document, dict):
        raise PackError([f"{filename}: (document): a pack is a mapping with id, version, title and rules"])
    problems = _schema_problems(document, filename)
    if problems:
        raise PackError(problems)
    pack = Pack(document=document, source=source, filename=filename)
    for name, spec in pack.parameters.items():
        try:
            check_value(name, spec, spec["default"])
        except ParameterError as error:
            problems.append(f"{filename}: parameters.{name}.default: {error}")
    problems += [f"{filename}: {problem}" for problem in segment_problems(pack.segments)]
    for key, spec in pack.templates.items():
        for variant, texts in [("", spec), *((f".locales.{locale}", v) for locale, v in spec.get("locales", {}).items())]:
            texts = {name: texts.get(name, "") for name in ("subject", "body", "html_body") if isinstance(texts, dict)}
            problems += [f"{filename}: templates.{key}{variant}.{problem}" for problem in template_problems(**texts)]
    seen = set()
    for index, rule in enumerate(pack.rules):
        if rule["id"] in seen:
            problems.append(f"{filename}: rules[{index}].id: rule id {rule['id']!r} is used twice")
        seen.add(rule["id"])
        definition = rule_definition(rule)
        try:
            pack.compiled[rule["id"]] = compile_definition(rule["id"], definition, pack.defaults(), pack.segments)
        except RuleDefinitionError as error:
            problems.append(f"{filename}: {error}" if "parameter" not in error.problem
                            else f"{filename}: rule {rule['id']!r}: {error.problem} (declare it under parameters)")
        for template in sorted(used_templates(definition) - set(pack.templates)):
            problems.append(f"{filename}: rule {rule['id']!r}, steps: unknown template {template!r} "
                            f"(define it under templates)")
    if not problems:
        cycle = _cycle(pack.compiled)
        if cycle:
            problems.append(f"{filename}: rules form a cycle: {' → '.join(cycle)}")
    required = document.get("min_masa_version")
    if required and _version_tuple(required) > _version_tuple(__version__):
        problems.append(f"{filename}: min_masa_version: needs Masa {required}, this is {__version__}")
    if problems:
        raise PackError(problems)
    return pack


def load_pack_file(path) -> Pack:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError([f"{path}: cannot be read: {error}"]) from error
    return load_pack(source, str(path))
