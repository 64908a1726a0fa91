"""What an owner should know before importing a pack, without refusing it (``import_warnings``):
categories the pack names that the connected store does not have (a rule on them would never
fire; when no store answers, that they could not be checked), and facts another installed pack
already sets (two packs writing ``tier`` overwrite each other's). Shown on the import preview and
printed by ``masa_pack import``."""
from __future__ import annotations

from django.utils.translation import gettext as _, ngettext

from ..bidi import isolate
from ..models import Rule, RulePack
from ..rules.compiler import RuleDefinitionError, walk_steps
from ..rules.parameters import resolve_parameters
from ..saleor.categories import NO_STORE, store_categories
from .loader import Pack, rule_definition

# The steps that write a customer fact, with the option that names it.
FACT_STEPS = ("set", "increment", "stamp")


def import_warnings(pack: Pack) -> list[str]:
    """Each warning as a sentence in the owner's words (pack data isolated)."""
    return _category_warnings(pack) + _fact_warnings(pack)


def _resolved(pack: Pack, rule: dict) -> dict:
    try:
        return resolve_parameters(rule_definition(rule), pack.defaults(), str(rule.get("id", "")))
    except RuleDefinitionError:
        return rule_definition(rule)


def pack_categories(pack: Pack) -> list[str]:
    """Every category the pack's rules name with its default values (triggers, conditions, steps,
    segments), in the order first named."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "category":
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, (str, int)) and not isinstance(item, bool) and str(item) not in found:
                            found.append(str(item))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for rule in pack.rules:
        if isinstance(rule, dict):
            walk(_resolved(pack, rule))
    try:
        walk(resolve_parameters(pack.segments, pack.defaults(), "segments"))
    except RuleDefinitionError:
        walk(pack.segments)
    for name, spec in pack.parameters.items():
        if isinstance(spec, dict) and spec.get("type") == "map" and spec.get("keys") == "category":
            walk({"category": list(spec.get("default") or {})})
    return found


def _category_warnings(pack: Pack) -> list[str]:
    named = pack_categories(pack)
    if not named:
        return []
    store = store_categories()
    if store.problem:
        listed = {"categories": ", ".join(isolate(c) for c in named)}
        if store.problem == str(NO_STORE):
            return [_("No store is connected, so the pack's categories could not be checked against it: "
                      "%(categories)s.") % listed]
        return [_("The store could not be reached just now, so the pack's categories could not be checked against "
                  "it: %(categories)s.") % listed]
    missing = missing_categories(named, store)
    if not missing:
        return []
    return [ngettext(
        "The store has no category %(categories)s: a rule on it would never act. After importing, choose your "
        "store's category instead on the pack's values page (Rule packs → Values).",
        "The store has no categories %(categories)s: rules on them would never act. After importing, choose your "
        "store's categories instead on the pack's values page (Rule packs → Values).",
        len(missing)) % {"categories": ", ".join(isolate(c) for c in missing)}]


def missing_categories(named, store) -> list[str]:
    """The categories of ``named`` the connected store (``store_categories()``) does not have;
    none when the store did not answer (nothing could be checked)."""
    if store.problem:
        return []
    have = store.by_slug()
    return [str(category) for category in named if str(category) not in have]


def pack_facts(definitions) -> set[str]:
    """The customer facts these rule definitions write (``set``, ``increment``, ``stamp``)."""
    facts = set()
    for definition in definitions:
        steps = definition.get("steps") if isinstance(definition, dict) else None
        for _path, step in walk_steps(steps):
            for kind in FACT_STEPS:
                argument = step.get(kind)
                name = argument.get("fact") if isinstance(argument, dict) else argument if kind == "stamp" else None
                if isinstance(name, str) and name:
                    facts.add(name)
    return facts


def _fact_warnings(pack: Pack) -> list[str]:
    ours = pack_facts(_resolved(pack, rule) for rule in pack.rules if isinstance(rule, dict))
    if not ours:
        return []
    others: dict[str, set[str]] = {}
    rules: dict[str, list[str]] = {}
    for other, title, rule_id, definition in (Rule.objects.exclude(pack__in=[pack.pack_id, "local", ""])
                                              .values_list("pack", "title", "rule_id", "definition")):
        shared = pack_facts([definition]) & ours
        if shared:
            others.setdefault(other, set()).update(shared)
            rules.setdefault(other, []).append(title or rule_id)
    titles = dict(RulePack.objects.filter(pack_id__in=others).values_list("pack_id", "title"))
    return [ngettext(
        "The installed pack %(pack)s also sets %(facts)s for each customer: the two packs would overwrite each "
        "other's value. After importing, turn off the rules that set it in one of the two packs (in %(pack)s: "
        "%(rules)s), unless you want both.",
        "The installed pack %(pack)s also sets %(facts)s for each customer: the two packs would overwrite each "
        "other's values. After importing, turn off the rules that set them in one of the two packs (in %(pack)s: "
        "%(rules)s), unless you want both.",
        len(facts)) % {"pack": isolate(titles.get(other) or other),
                       "facts": ", ".join(isolate(_fact_words(f)) for f in sorted(facts)),
                       "rules": ", ".join(isolate(r) for r in rules[other][:5])}
        for other, facts in sorted(others.items())]


def _fact_words(name: str) -> str:
    """A fact as the owner reads it: “loyalty tier” for ``loyalty_tier``, in quotes."""
    return f"“{name.replace('_', ' ').replace('-', ' ')}”"
