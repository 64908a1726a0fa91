"""Read and validate a pack document. Every problem is reported, each naming file, rule and field.

Checks, in order: size; YAML syntax (no aliases, bounded nesting: a few hundred bytes must not
expand into megabytes); the published JSON Schema (``pack.schema.json``); parameter
defaults against their types; duplicate rule ids; each rule compiled with the default
parameter values (unknown parameters, unknown fields, bad durations…) and within the rules
engine's limits; templates that rules use but the pack does not define (and their markup and
cost, ``rendering.template_problems``); rules that trigger each other in a cycle; the Masa version.
A problem quotes at most a short excerpt of the value it is about. Every check is linear in the
size of the pack.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .. import __version__
from ..plans import CompiledRule
from ..rules.compiler import RuleDefinitionError, overlaps, used_templates
from ..rules.engine import rule_limit_problem
from ..rules.parameters import TYPES as PARAMETER_TYPES
from ..rules.parameters import ParameterError, check_value
from .. import approved_templates
from ..message_versions import KINDS as VERSION_KINDS
from ..message_versions import TEMPLATE_KINDS
from ..rendering import template_problems
from ..rules.segments import compile_definition, segment_problems
from .dosage import generated_rules

SCHEMA = json.loads((Path(__file__).with_name("pack.schema.json")).read_text())
RULE_FIELDS = ("trigger", "conditions", "steps", "once")
MAX_PACK_BYTES = 1_000_000
MAX_YAML_DEPTH = 32
MAX_PACK_RULES = 1000
MAX_PROBLEM_CHARS = 300
MAX_PROBLEMS = 200
VERSION = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}")   # as the schema's VERSION_PATTERN
VERSION_WORDS = "three numbers of at most 9 digits each, like 1.2.0"


class _PackYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases (``*name``, ``<<: *name``) and with bounded nesting."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a pack: "
                                                          "write the value out", mark)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _short(text: str) -> str:
    return text if len(text) <= MAX_PROBLEM_CHARS else f"{text[:MAX_PROBLEM_CHARS]}… ({len(text)} characters)"


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
    def dosage(self) -> dict:
        return self.document.get("dosage", {})

    @property
    def rules(self) -> list[dict]:
        """The pack's rules, and those its ``dosage`` stands for (``packs.dosage``)."""
        return self.document["rules"] + generated_rules(self.pack_id, self.dosage)

    def defaults(self) -> dict:
        return {name: spec["default"] for name, spec in self.parameters.items()}


def rule_definition(rule: dict) -> dict:
    """The part of a pack rule that is its behaviour (what Rule.definition stores)."""
    return {key: rule[key] for key in RULE_FIELDS if key in rule}


def version_key(text: str) -> tuple[tuple[int, str], ...]:
    """A version's numbers for comparing (1.10.0 is newer than 1.9.0), whatever the text: a number
    compares by its length without leading zeros, then its digits, so no text makes it fail (an
    absurdly long number, stored before versions were capped, is simply large). The one comparison
    of versions: installer (no downgrade), subscriptions, min_masa_version."""
    return tuple((len(digits), digits) for digits in (part.lstrip("0") for part in re.findall(r"[0-9]+", text or "")))


def _version_problems(document, filename) -> list[str]:
    """``version`` / ``min_masa_version`` said in words (the schema's would quote its pattern)."""
    problems = []
    for name in ("version", "min_masa_version"):
        value = document.get(name)
        if isinstance(value, str) and not VERSION.fullmatch(value):
            problems.append(_short(f"{filename}: {name}: {value[:40]!r}{'…' if len(value) > 40 else ''} is not a "
                                   f"version: {VERSION_WORDS}"))
    return problems


def _field_path(parts) -> str:
    """["steps", 1, "wait"] → "steps[1].wait", the compiler's way of naming a field."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class _Problem:
    text: str
    rule_index: int | None = None
    field_path: str = ""


def _schema_problems(document, filename) -> list[_Problem]:
    problems = []
    for error in sorted(Draft202012Validator(SCHEMA).iter_errors(document), key=lambda e: list(e.path)):
        path = list(error.absolute_path)
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule = document["rules"][path[1]]
            rule_name = rule.get("id", f"#{path[1] + 1}") if isinstance(rule, dict) else f"#{path[1] + 1}"
            field_path = _field_path(path[2:]) or "(rule)"
            problems.append(_Problem(_short(f"{filename}: rule {str(rule_name)[:100]!r}, {field_path}: {error.message}"),
                                     path[1], field_path))
        else:
            problems.append(_Problem(_short(f"{filename}: {_field_path(path) or '(document)'}: {error.message}")))
        if len(problems) > MAX_PROBLEMS:
            break
    return problems


def _rule_problems(filename, rule_id, error: RuleDefinitionError) -> list[str]:
    return [_short(f"{filename}: {problem}" if "parameter" not in problem.problem
                   else f"{filename}: {problem} (declare it under parameters)") for problem in error.problems]


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
    listeners: dict[str, list[str]] = {}
    for rule_id, names in listens.items():
        for name in names:
            listeners.setdefault(name, []).append(rule_id)
    edges = {}
    for a in compiled:
        targets = dict.fromkeys(b for name in produces[a] for b in listeners.get(name, ()))
        edges[a] = [b for b in targets if not _cannot_fire(effects_of[a], listens[b], thresholds.get(b, []))]
    state: dict[str, int] = {}
    stack: list[str] = []

    for root in compiled:
        if root in state:
            continue
        state[root] = 1
        stack.append(root)
        pending = [iter(edges[root])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[stack.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                stack.append(nxt)
                pending.append(iter(edges[nxt]))
    return None


def _parse(source: str, filename: str):
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_PACK_BYTES:
        raise PackError([f"{filename}: (document): the pack is {size // 1000} kB; at most {MAX_PACK_BYTES // 1000} kB"])
    try:
        return yaml.load(source, Loader=_PackYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = _short(str(getattr(error, "problem", None) or error))
        raise PackError([f"{filename}: {where}: not valid YAML: {problem}"]) from error
    except RecursionError:
        raise PackError([f"{filename}: (document): nested deeper than {MAX_YAML_DEPTH} levels"]) from None


def load_pack(source: str, filename: str = "<pack>") -> Pack:
    """The pack in ``source``, or PackError with every problem of it: the schema's, each
    parameter's, segment's and template's, and every rule's (all of a rule's problems in one
    run). Where the schema and the compiler speak of the same field, the compiler's words stay —
    they name the value and what would be right."""
    document = _parse(source, filename)
    if not isinstance(document, dict):
        raise PackError([f"{filename}: (document): a pack is a mapping with id, version, title and rules"])
    schema = _schema_problems(document, filename)
    rules = document.get("rules") if isinstance(document.get("rules"), list) else []
    if len(rules) > MAX_PACK_RULES:
        raise PackError([f"{filename}: rules: {len(rules)} rules; a pack holds at most {MAX_PACK_RULES} "
                         f"(every event is matched against every enabled rule)"])
    pack = Pack(document=document, source=source, filename=filename)
    problems: list[str] = []
    parameters = _mapping(document.get("parameters"))
    defaults = {}
    for name, spec in parameters.items():
        if isinstance(spec, dict) and "default" in spec:
            defaults[name] = spec["default"]
            if spec.get("type", "string") not in PARAMETER_TYPES:
                continue
            try:
                check_value(name, spec, spec["default"])
            except ParameterError as error:
                problems.append(f"{filename}: parameters.{name}.default: {error}")
    segments = _mapping(document.get("segments"))
    problems += [f"{filename}: {problem}" for problem in segment_problems(segments)]
    template_words = _template_problems(filename, _mapping(document.get("templates")))
    said = [problem.removeprefix(f"{filename}: ").split(": ")[0] for problem in template_words]
    schema = [p for p in schema if not _said_of_versions(p.text.removeprefix(f"{filename}: ").split(": ")[0], said)]
    problems += template_words
    templates = set(_mapping(document.get("templates")))
    dosage = _mapping(document.get("dosage"))
    keep = _mapping(dosage.get("keep_in_touch"))
    if keep.get("template") and keep["template"] not in templates:
        problems.append(f"{filename}: dosage.keep_in_touch.template: unknown template {keep['template']!r} "
                        f"(define it under templates)")
    written = rules
    if isinstance(document.get("id"), str):
        rules = rules + generated_rules(document["id"], dosage)  # their template is dosage's, checked above
    seen = set()
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
            continue
        if rule["id"] in seen:
            problems.append(f"{filename}: rules[{index}].id: rule id {rule['id']!r} is used twice")
        seen.add(rule["id"])
        definition = rule_definition(rule)
        try:
            pack.compiled[rule["id"]] = compile_definition(rule["id"], definition, defaults, segments)
        except RuleDefinitionError as error:
            compiled_paths = [p.field_path for p in error.problems]
            schema = [p for p in schema if p.rule_index != index
                      or not any(overlaps(p.field_path, path) for path in compiled_paths)]
            problems += _rule_problems(filename, rule["id"], error)
        else:
            limit = rule_limit_problem(pack.compiled[rule["id"]].condition)
            if limit:
                problems.append(f"{filename}: rule {rule['id']!r}: {limit}")
        for template in sorted(used_templates(definition) - templates if index < len(written) else ()):
            problems.append(f"{filename}: rule {rule['id']!r}, steps: unknown template {template!r} "
                            f"(define it under templates)")
    versions = _version_problems(document, filename)
    if versions:   # the same problem in words, instead of the schema's pattern
        said = tuple(f"{filename}: {name}: " for name in ("version", "min_masa_version")
                     if any(problem.startswith(f"{filename}: {name}: ") for problem in versions))
        schema = [p for p in schema if not p.text.startswith(said)]
    problems = [p.text for p in schema] + versions + problems
    if not problems:
        cycle = _cycle(pack.compiled)
        if cycle:
            problems.append(f"{filename}: rules form a cycle: {' → '.join(cycle)}")
    required = document.get("min_masa_version")
    if isinstance(required, str) and VERSION.fullmatch(required) and version_key(required) > version_key(__version__):
        problems.append(f"{filename}: min_masa_version: needs Masa {required}, this is {__version__}")
    if problems:
        raise PackError(problems[:MAX_PROBLEMS] + ([f"{filename}: … and {len(problems) - MAX_PROBLEMS} more problems"]
                                                  if len(problems) > MAX_PROBLEMS else []))
    return pack


def _said_of_versions(place: str, said: list[str]) -> bool:
    """Whether the schema's problem at ``place`` (in a message's ``channels``) is one the version
    checks said in words already: at that place, or about a key within it."""
    return ".channels" in place and any(other == place or other.startswith(place + ".") for other in said)


def _template_problems(filename: str, templates: dict) -> list[str]:
    """Each message's texts as templates (``rendering.template_problems``), and its versions per
    channel kind (``channels:``): known kinds other than the message's own channel, an approved
    template only on a WhatsApp version, its variables merge tags that compile."""
    problems = []
    for key, spec in templates.items():
        if not isinstance(spec, dict):
            continue
        versions = [("", spec, spec.get("channel") or "")]
        channels = spec.get("channels", {})
        if not isinstance(channels, dict):
            problems.append(f"{filename}: templates.{key}.channels: a mapping from a channel kind "
                            f"({', '.join(VERSION_KINDS)}) to that kind's version of the message")
            channels = {}
        for kind, version in channels.items():
            place = f"templates.{key}.channels.{kind}"
            if kind not in VERSION_KINDS:
                problems.append(f"{filename}: {place}: {str(kind)[:40]!r} is not a channel kind Masa knows "
                                f"({', '.join(VERSION_KINDS)})")
            elif kind == spec.get("channel"):
                problems.append(f"{filename}: {place}: the message's own channel is {kind}: write its {kind} text "
                                f"in the message itself, not as a version")
            elif isinstance(version, dict):
                versions.append((f".channels.{kind}", version, kind))
        for where, version, kind in versions:
            for variant, texts in [("", version), *((f".locales.{locale}", v) for locale, v in
                                                    _mapping(version.get("locales")).items())]:
                if not isinstance(texts, dict):
                    continue
                place = f"templates.{key}{where}{variant}"
                if all(isinstance(texts.get(n, ""), str) for n in ("subject", "body", "html_body")):
                    words = {name: texts.get(name, "") for name in ("subject", "body", "html_body")}
                    problems += [f"{filename}: {place}.{problem}" for problem in template_problems(**words)]
                approved = texts.get("template", version.get("template") if variant else None)
                if approved is None:
                    continue
                if kind not in TEMPLATE_KINDS:
                    if "template" in texts:
                        problems.append(f"{filename}: {place}.template: only a WhatsApp text names an approved "
                                        f"template")
                    continue
                locale = variant.removeprefix(".locales.")
                problems += [f"{filename}: {place}.template.{problem}"
                             for problem in approved_templates.problems(approved, locale, template_problems)]
    return problems


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def load_pack_file(path) -> Pack:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError([f"{path}: cannot be read: {error}"]) from error
    return load_pack(source, str(path))
