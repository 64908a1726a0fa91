"""Put a validated pack into the database, upgrade it, or write it back out.

Import and upgrade are atomic: a problem found anywhere leaves the database as it was. An upgrade
is a three-way merge (``packs.merge``) of the version installed, the shop's state and the new
version: what only the pack changed is taken, what only the shop changed is kept, and where both
changed the shop's choice decides; it reports each item in words.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import MessageTemplate, Rule, RulePack
from ..rendering import link_problems
from ..rules.parameters import ParameterError, check_value
from . import merge
from .dosage import generated_rule_ids
from .loader import Pack, PackError, rule_definition, version_key


@dataclass
class Report:
    pack_id: str
    version: str
    lines: list[str] = field(default_factory=list)
    changed: bool = True
    items: list = field(default_factory=list)     # an upgrade's merge items (packs.merge.Item)
    plan: object = None                            # an upgrade's whole merge (packs.merge.Plan)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def __str__(self) -> str:
        return "\n".join([f"{self.pack_id} {self.version}", *(f"  {line}" for line in self.lines)])


def _place_words(key: str, locale: str, version: str) -> str:
    """Where a message row is in the pack document: ``templates.k.channels.sms.locales.he``."""
    return f"templates.{key}{f'.channels.{version}' if version else ''}{f'.locales.{locale}' if locale else ''}"


def _unlinked(pack: Pack, rows: dict) -> list[str]:
    """Links the rows write out that this site cannot make (``rendering.link_problems``), the
    approved template's variables included."""
    return [f"{pack.filename}: {_place_words(*place)}.{problem}"
            for place, row in rows.items()
            for problem in link_problems(subject=row["subject"], body=row["body"], html_body=row["html_body"],
                                         **{f"template.variables[{n}]": v for n, v in enumerate(
                                             (row.get("template_variables") or "").split("\n"), start=1) if v})]


def _write_templates(pack: Pack) -> None:
    foreign = MessageTemplate.objects.filter(key__in=pack.templates).exclude(pack__in=["", pack.pack_id])
    clash = foreign.values_list("key", "pack").first()
    if clash:
        raise PackError([f"{pack.filename}: templates.{clash[0]}: already belongs to pack {clash[1]!r}"])
    rows = merge.template_rows(pack.templates)
    unlinked = _unlinked(pack, rows)
    if unlinked:
        raise PackError(unlinked)
    MessageTemplate.objects.filter(pack=pack.pack_id).exclude(key__in=pack.templates).delete()
    existing = merge.shop_rows(pack.pack_id, adopt=pack.templates)
    for place in existing.keys() - rows.keys():
        if existing[place].pack == pack.pack_id:
            existing.pop(place).delete()
    for place, row in rows.items():   # the main text first: the first-saved kind is the declared channel
        _write_row(existing.get(place), place, pack.pack_id, row)


def _write_row(current: MessageTemplate | None, place: tuple, pack_id: str, row: dict) -> None:
    key, locale, _version = place
    fields = {"pack": pack_id, **merge.model_fields(row)}
    if current is None:
        MessageTemplate.objects.create(key=key, locale=locale, **fields)
        return
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()


def _check_rule_ids_free(pack: Pack) -> None:
    taken = Rule.objects.filter(rule_id__in=[r["id"] for r in pack.rules]).exclude(pack=pack.pack_id)
    problems = [f"{pack.filename}: rule {rule_id!r}: the id is already used by pack {owner!r}"
                for rule_id, owner in taken.values_list("rule_id", "pack")]
    if problems:
        raise PackError(problems)


def _pack_row_fields(pack: Pack) -> dict:
    document = pack.document
    return {
        "version": pack.version, "title": document["title"], "author": document.get("author", ""),
        "description": document.get("description", ""), "min_masa_version": document.get("min_masa_version", ""),
        "parameters": pack.parameters, "segments": pack.segments, "dosage": pack.dosage, "source": pack.source,
        "cart_abandonment": (document.get("cart_abandonment") or {}).get("per", ""),
    }


def _holdout(pack: Pack) -> int:
    return int(pack.document.get("holdout", 0) or 0)


def _check_values(pack: Pack, values: dict) -> dict:
    problems = []
    for name, value in values.items():
        if name not in pack.parameters:
            problems.append(f"{pack.filename}: parameters.{name}: the pack declares no such parameter")
            continue
        try:
            check_value(name, pack.parameters[name], value)
        except ParameterError as error:
            problems.append(f"{pack.filename}: parameters.{name}: {error}")
    if problems:
        raise PackError(problems)
    return values


@transaction.atomic
def import_pack(pack: Pack, values: dict | None = None) -> Report:
    """Install a pack that is not installed yet; the same version again is a no-op."""
    report = Report(pack.pack_id, pack.version)
    existing = RulePack.objects.select_for_update().filter(pack_id=pack.pack_id).first()
    if existing is not None:
        if existing.version == pack.version and existing.source == pack.source:
            report.changed = False
            report.add("already imported: nothing changed")
            return report
        if existing.version == pack.version:
            raise PackError([f"{pack.filename}: version: {pack.version} is installed with other content; "
                             f"give the new content a new version"])
        raise PackError([f"{pack.filename}: version: {existing.version} is installed; use upgrade to go to {pack.version}"])
    _check_rule_ids_free(pack)
    RulePack.objects.create(pack_id=pack.pack_id, parameter_values=_check_values(pack, values or {}),
                            holdout_percent=_holdout(pack), **_pack_row_fields(pack))
    _write_templates(pack)
    for rule in pack.rules:
        definition = rule_definition(rule)
        Rule.objects.create(rule_id=rule["id"], pack=pack.pack_id, title=rule.get("title", rule["id"]),
                            definition=definition, pack_definition=definition, enabled=rule.get("enabled", True),
                            holdout_percent=int(rule.get("holdout", 0) or 0))
    report.add(f"imported {len(pack.rules)} rules, {len(pack.templates)} templates, "
               f"{len(pack.parameters)} parameters")
    return report


def source_digest(source: str) -> str:
    """The digest of a pack's text, its line ends as a form sends them back or not (CRLF from a textarea)."""
    return hashlib.sha256((source or "").replace("\r\n", "\n").encode("utf-8", "surrogatepass")).hexdigest()


def installed_state(installed: RulePack) -> list[str]:
    """What an upgrade previewed against: the installed version and its text's digest."""
    return [installed.version, source_digest(installed.source)]


def version_problem(pack: Pack, installed: RulePack) -> str:
    """Why ``pack`` may not replace the installed version: older (a downgrade), or the installed
    version's number with other content; "" when it may."""
    offered, have = version_key(pack.version), version_key(installed.version)
    if offered < have:
        return (f"{pack.filename}: version: {pack.version} is older than the installed {installed.version}; "
                f"a pack is never moved back to an older version")
    if offered == have and not _same_content(installed.source, pack):
        return (f"{pack.filename}: version: {pack.version} is installed with other content; "
                f"give the new content a new version")
    return ""


def _same_content(source: str, pack: Pack) -> bool:
    if source.replace("\r\n", "\n") == pack.source.replace("\r\n", "\n"):
        return True
    try:
        return yaml.safe_load(source) == pack.document
    except yaml.YAMLError:
        return False


def upgrade_pack(pack: Pack, dry_run: bool = False, progress=None, choices: dict | None = None,
                 installed_as: list[str] | None = None, any_version: bool = False) -> Report:
    """Move an installed pack to this version by a three-way merge (``packs.merge``): what only the
    pack changed is taken, what only the shop changed is kept, and where both changed ``choices``
    (item id → ``shop`` / ``pack``) decide — the shop's stays without one. ``progress(done, total)``
    is told after each rule (and may raise to stop: nothing is written).

    Refused (PackError): an older version than the installed one, or the installed version's number
    with other content (``version_problem``) — unless ``any_version`` (a rehearsal that is rolled
    back, ``packs.simulate``); and, given ``installed_as`` (``installed_state`` when the upgrade was
    previewed), an installed pack that changed since."""
    with transaction.atomic():
        report = _upgrade(pack, progress, choices, installed_as, any_version)
        if dry_run:
            transaction.set_rollback(True)
            report.add("(preview: nothing was written)")
    return report


def _upgrade(pack: Pack, progress=None, choices=None, installed_as=None, any_version=False) -> Report:
    report = Report(pack.pack_id, pack.version)
    installed = RulePack.objects.select_for_update().filter(pack_id=pack.pack_id).first()
    if installed is None:
        raise PackError([f"{pack.filename}: id: pack {pack.pack_id!r} is not installed; import it first"])
    if installed_as is not None and list(installed_as) != installed_state(installed):
        raise PackError([f"{pack.filename}: the installed pack changed since this upgrade was previewed (it is now "
                         f"version {installed.version}): nothing was applied; preview the upgrade again"])
    if installed.version == pack.version and _same_content(installed.source, pack):
        report.changed = False
        report.add(_("already at this version: nothing changed"))
        return report
    problem = "" if any_version else version_problem(pack, installed)
    if problem:
        raise PackError([problem])
    report.add(_("upgrading from {version}").format(version=installed.version))
    _check_rule_ids_free(pack)
    result = merge.plan(pack, installed, choices)
    report.items, report.plan = result.items, result
    for item in result.items:
        report.add(item.sentence())
    for field_name, value in _pack_row_fields(pack).items():
        setattr(installed, field_name, value)
    installed.parameter_values = result.parameter_values
    installed.holdout_percent = result.settings["holdout_percent"]
    installed.dosage = result.settings["dosage"]
    installed.cart_abandonment = result.settings["cart_abandonment"]
    installed.save()
    _write_merged_templates(pack, result)
    _upgrade_rules(pack, result, progress)
    return report


def _write_merged_templates(pack: Pack, result) -> None:
    foreign = MessageTemplate.objects.filter(key__in=pack.templates).exclude(pack__in=["", pack.pack_id])
    clash = foreign.values_list("key", "pack").first()
    if clash:
        raise PackError([f"{pack.filename}: templates.{clash[0]}: already belongs to pack {clash[1]!r}"])
    written = {place: row for place, row in result.templates.items() if row is not merge.ABSENT}
    unlinked = _unlinked(pack, written)
    if unlinked:
        raise PackError(unlinked)
    existing = merge.shop_rows(pack.pack_id, adopt=pack.templates)
    for place, row in result.templates.items():
        if row is merge.ABSENT:
            if place in existing:
                existing.pop(place).delete()
    for place, row in written.items():
        _write_row(existing.get(place), place, pack.pack_id, row)


def _upgrade_rules(pack: Pack, result, progress=None) -> None:
    current = {rule.rule_id: rule for rule in Rule.objects.select_for_update().filter(pack=pack.pack_id)}
    for number, rule in enumerate(pack.rules):
        if progress:
            progress(number, len(pack.rules), f"rule {rule['id']}")
        definition = rule_definition(rule)
        state = result.rules.get(rule["id"])
        row = current.pop(rule["id"], None)
        if row is None:
            if rule["id"] in result.new_rules:
                Rule.objects.create(rule_id=rule["id"], pack=pack.pack_id, title=state["title"],
                                    definition=merge.state_definition(state), pack_definition=definition,
                                    enabled=state["enabled"], holdout_percent=state["holdout"])
            continue
        if state is None:
            continue
        row.title, row.enabled, row.holdout_percent = state["title"], state["enabled"], state["holdout"]
        row.definition, row.pack_definition = merge.state_definition(state), definition
        row.save()
    for rule_id, row in current.items():
        if rule_id in result.rules and result.rules[rule_id] is None and row.enabled:
            row.enabled = False
            row.save(update_fields=["enabled", "updated_at"])


def exported_templates(pack_id: str) -> dict:
    """The pack's messages as a document's ``templates:``: each main text with its languages, and
    its versions per channel kind under ``channels:`` (an approved template as ``template:``)."""
    places = sorted(merge.shop_rows(pack_id).items(), key=lambda item: (item[0][0], bool(item[0][2]), item[0][2],
                                                                        item[0][1]))
    templates: dict[str, dict] = {}
    for (key, locale, version), row in places:
        text = {k: v for k, v in (("subject", row.subject), ("body", row.body), ("html_body", row.html_body)) if v}
        if row.provider_template:
            text["template"] = dict(row.provider_template)
        message = templates.setdefault(key, {"body": ""})
        holder = message.setdefault("channels", {}) if version else templates
        holder.setdefault(version or key, {"body": ""})
        name = version or key
        if locale:
            holder[name].setdefault("locales", {})[locale] = text
            continue
        own = {"channel": row.channel_kind} if row.channel_kind and not version else {}
        holder[name] = {**own, **text, **{k: v for k, v in holder[name].items() if k in ("locales", "channels")}}
    return templates


def export_pack(pack_id: str) -> str:
    """The installed pack as a document: the shop's rules (with local edits), flags and values."""
    installed = RulePack.objects.get(pack_id=pack_id)
    parameters = {
        name: {**spec, "default": installed.resolved_parameters()[name]} for name, spec in installed.parameters.items()
    }
    templates = exported_templates(pack_id)
    document = {
        "masa_pack": 1, "id": installed.pack_id, "version": installed.version, "title": installed.title,
        **({"author": installed.author} if installed.author else {}),
        **({"description": installed.description} if installed.description else {}),
        **({"min_masa_version": installed.min_masa_version} if installed.min_masa_version else {}),
        "parameters": parameters,
        **({"segments": installed.segments} if installed.segments else {}),
        **({"dosage": installed.dosage} if installed.dosage else {}),
        **({"cart_abandonment": {"per": installed.cart_abandonment}} if installed.cart_abandonment else {}),
        **({"holdout": installed.holdout_percent} if installed.holdout_percent else {}),
        "templates": templates,
        "rules": [
            {"id": rule.rule_id, "title": rule.title, "enabled": rule.enabled,
             **({"holdout": rule.holdout_percent} if rule.holdout_percent else {}), **rule.definition}
            for rule in Rule.objects.filter(pack=pack_id).exclude(rule_id__in=generated_rule_ids(pack_id)).order_by("pk")
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
