"""A pack upgrade as a three-way merge of the version the shop installed (``RulePack.source``, the
base), the shop's current state (its rules, messages, values and settings in the database) and the
new version.

Every rule field (title, on/off, holdout, trigger, each condition, each step and the values inside
it), every message (channel, subject, text, HTML, each language; added and removed messages and
languages), every parameter value and the pack-wide settings (holdout, dosage, cart abandonment)
is compared; each difference is an ``Item``:

* ``take``: only the pack changed it — the upgrade takes the pack's;
* ``keep``: only the shop changed it — the upgrade keeps the shop's;
* ``conflict``: both changed it, differently — the shop chooses (``choices``: item id → ``"shop"``
  or ``"pack"``); without a choice the shop's stays.

Both changing it the same way is no item. Structures are compared as deep as they line up (a step
by position, then the values inside it); a rule whose merged fields do not make a valid rule is one
conflict about the whole rule. Items carry the shop's words (durations, message subjects, rule
sentences) and, for message texts, a word diff of the shop's text against the pack's.

No HTTP, no admin: the admin's preview, ``masa_pack upgrade --dry-run`` and the upgrade itself
(``installer.upgrade_pack``) all use ``plan``.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

import yaml
from django.db.models import Q
from django.utils.html import strip_tags
from django.utils.translation import get_language_bidi, get_language_info, pgettext
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import message_versions
from ..bidi import FIRST_STRONG_ISOLATE, isolate
from ..models import MessageTemplate, Rule, RulePack
from ..rules.compiler import RuleDefinitionError, used_templates
from ..rules.parameters import ParameterError, check_value
from ..rules.segments import compile_definition
from ..rules.switch import waiting_customers
from ..rules.sentences import Words, rule_sentence, steps_phrase
from ..rules.wording import _MERGE_TAG, _RIGHT_TO_LEFT, condition_phrase, template_title, trigger_phrase
from .dosage import generated_rules
from ..saleor.categories import store_categories
from .import_warnings import missing_categories
from .loader import RULE_FIELDS, Pack, PackError, rule_definition


class _Absent:
    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()
TEXT_FIELDS = ("subject", "body", "html_body")
# An approved template's name, language and variables are merged as one: WhatsApp fills the template
# the name names with exactly its variables, so the shop's name with the pack's variables (or the
# reverse) would be refused at every send.
APPROVED_FIELDS = ("template_name", "template_language", "template_variables")
MERGED_FIELDS = ("channel_kind", "subject", "body", "html_body", "template")


def _merged_field(row, name: str):
    """A row's value of one ``MERGED_FIELDS`` field (``template``: the approved fields, a leaf)."""
    if row is ABSENT:
        return ABSENT
    if name == "template":
        return tuple(row.get(field, "") for field in APPROVED_FIELDS)
    return row.get(name, "")


def _approved_words(value) -> str:
    name, language, variables = value
    return f"{name} ({language})" + (f": {', '.join(variables.splitlines())}" if variables else "") if name else ""
CHOICES = ("shop", "pack")
SECTIONS = ("messages", "rules", "settings")
DURATION_KEYS = {"within", "period", "lead", "no_order_since", "no_event_since", "every"}
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.U)

# A value's place inside its step → what it sets (the rule editor's words, same translations).
WHAT = {
    ("wait",): ("rule field", "wait"),
    ("wait", "within"): ("rule field", "wait for it up to"),
    ("wait", "event"): ("rule field", "wait for"),
    ("wait", "until"): ("rule field", "until (their time)"),
    ("wait", "weekday"): ("rule field", "on"),
    ("wait", "at"): ("rule field", "at (their time)"),
    ("wait", "period"): ("rule field", "one lasts"),
    ("wait", "lead"): ("rule field", "remind this long before they run out"),
    ("wait", "per_quantity"): ("rule field", "times the quantity bought"),
    ("wait", "category"): ("rule field", "category"),
    ("send", "template"): ("rule field", "message"),
    ("send", "channel"): ("rule field", "send it"),
    ("send", "channels"): ("rule field", "channels to choose among, in order"),
    ("send", "class"): ("rule field", "kind of message"),
    ("send", "value"): ("rule field", "voucher value"),
    ("notify_staff", "template"): ("rule field", "message to the staff"),
    ("check", "no_order_since"): ("rule field", "only if no order since"),
    ("check", "no_event_since"): ("rule field", "only if nothing happened since"),
    ("tag",): ("rule field", "tag them"),
    ("set", "fact"): ("rule field", "set the fact"),
    ("set", "value"): ("rule field", "to"),
    ("increment", "fact"): ("rule field", "add to the fact"),
    ("increment", "by"): ("rule field", "by"),
    ("emit",): ("rule field", "signal"),
    ("stamp",): ("rule field", "note the date as"),
    ("pause_marketing",): ("rule field", "pause marketing for"),
}


def _canonical(value) -> str:
    return "\0absent" if value is ABSENT else json.dumps(value, sort_keys=True, default=str)


def _same(a, b) -> bool:
    return _canonical(a) == _canonical(b)


@dataclass
class Item:
    """One difference between the installed version, the shop's state and the new version."""

    id: str
    section: str                 # messages / rules / settings
    group: str                   # the shop's name for the thing: a rule's title, a message's subject
    label: str                   # which part of it, in words
    kind: str                    # take / keep / conflict
    change: str = "changed"      # changed / added / removed
    yours: str = ""              # the shop's value in words ("" when it has none)
    packs: str = ""              # the new version's value in words
    diff: list = field(default_factory=list)   # messages: [yours segments, the pack's segments]
    choice: str = ""             # conflicts: shop / pack (what is applied)
    note: str = ""
    options: dict = field(default_factory=dict)  # conflicts: shop / pack → what choosing it does, in words

    @property
    def applied(self) -> str:
        """Whose value the upgrade applies: ``shop`` or ``pack`` (a ``notice`` changes nothing)."""
        return {"take": "pack", "keep": "shop"}.get(self.kind) or self.choice or "shop"

    def sentence(self) -> str:
        """The item in one line of the shop's words (the CLI, the job's report, the audit log)."""
        group = isolated(self.group)
        where = f"{group} — {isolated(self.label)}" if self.label else group
        if self.kind == "notice":
            return f"{where}: {self.note}"
        yours, packs = self.yours or _("none"), self.packs or _("none")
        if self.options and self.kind == "conflict":
            return f"{where}: {self.options[self.applied]}"
        if self.options.get("take") and self.kind == "take":    # a rule's message: "sends “X” instead of “Y”"
            return f"{where}: {self.options['take']}"
        if self.kind == "take":
            if self.change == "added":
                text = _("{where}: the pack adds it: {packs}")
            elif self.change == "removed":
                text = _("{where}: the pack removes it (yours was {yours})")
            else:
                text = _("{where}: the pack changes it from {yours} to {packs}")
        elif self.kind == "keep":
            text = _("{where}: we keep your edit: {yours} (the pack's: {packs})")
        elif self.applied == "pack":
            text = _("{where}: yours {yours}, the pack's {packs} — you chose the pack's")
        else:
            text = _("{where}: yours {yours}, the pack's {packs} — you keep yours")
        line = text.format(where=where, yours=yours, packs=packs)
        return f"{line} ({self.note})" if self.note else line

    def as_data(self) -> dict:
        return {**asdict(self), "applied": self.applied}


@dataclass
class Plan:
    """What an upgrade does: its items, and the merged state to write."""

    pack: Pack
    installed: RulePack
    items: list[Item] = field(default_factory=list)
    rules: dict = field(default_factory=dict)        # rule id → merged state, or None: turn it off
    new_rules: list = field(default_factory=list)    # rule ids to create
    templates: dict = field(default_factory=dict)    # (key, locale, version) → merged row, or ABSENT: delete
    parameter_values: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)     # holdout_percent, dosage, cart_abandonment

    @property
    def conflicts(self) -> list[Item]:
        return [item for item in self.items if item.kind == "conflict"]

    def by_section(self) -> list[tuple[str, list[Item]]]:
        return [(section, [item for item in self.items if item.section == section]) for section in SECTIONS]

    def fingerprint(self) -> str:
        """A digest of the items (and the new source): the preview a confirmation answers."""
        data = [(item.id, item.kind, item.yours, item.packs) for item in self.items]
        return hashlib.sha256(json.dumps([self.pack.source, data]).encode()).hexdigest()


def base_document(installed: RulePack) -> dict:
    """The pack document as the shop installed it ({} when it was not kept)."""
    try:
        document = yaml.safe_load(installed.source or "") or {}
    except yaml.YAMLError:
        return {}
    return document if isinstance(document, dict) else {}


def template_rows(templates: dict) -> dict:
    """(key, locale, version) → the row's fields, as the installer writes them: ``version`` is "" for
    the message's main text (its ``channel``) and a channel kind for its version of that kind
    (``channels:``); a language inherits the rest of its version's text, an approved template
    included (``approved_fields``)."""
    rows = {}
    for key, spec in (templates or {}).items():
        if not isinstance(spec, dict):
            continue
        channels = spec.get("channels") if isinstance(spec.get("channels"), dict) else {}
        versions = [("", spec.get("channel", ""), spec),
                    *((kind, kind, v) for kind, v in channels.items() if isinstance(v, dict) and kind)]
        for version, kind, texts in versions:
            for locale, variant in [("", texts), *((loc, {**texts, **(v or {})})
                                                    for loc, v in (texts.get("locales") or {}).items())]:
                rows[(key, locale, version)] = {
                    "channel_kind": kind, "subject": variant.get("subject", ""), "body": variant.get("body", ""),
                    "html_body": variant.get("html_body", ""), **approved_fields(variant.get("template"))}
    return rows


def approved_fields(spec) -> dict:
    """An approved template as three message fields (compared and merged one by one); the
    variables one per line."""
    spec = spec if isinstance(spec, dict) else {}
    return {"template_name": str(spec.get("name") or ""), "template_language": str(spec.get("language") or ""),
            "template_variables": "\n".join(str(v) for v in spec.get("variables") or [])}


def provider_template(row: dict) -> dict:
    """A merged row's approved template as ``MessageTemplate.provider_template`` ({} without a name)."""
    if not row.get("template_name"):
        return {}
    return {"name": row["template_name"], "language": row.get("template_language", ""),
            "variables": [v for v in (row.get("template_variables") or "").split("\n") if v.strip()]}


def model_fields(row: dict) -> dict:
    """A merged row as ``MessageTemplate`` fields."""
    return {**{name: row[name] for name in ("channel_kind", "subject", "body", "html_body")},
            "provider_template": provider_template(row)}


def shop_rows(pack_id: str, adopt=()) -> dict:
    """(key, locale, version) → the shop's ``MessageTemplate`` row of this pack, and of the shop's own
    messages named in ``adopt`` (a pack takes over its keys' own rows, as it always did);
    ``message_versions`` says which rows are a message's main text."""
    by_key: dict[str, list] = {}
    rows = MessageTemplate.objects.filter(Q(pack=pack_id) | Q(pack="", key__in=list(adopt)))
    for row in rows.order_by("pk"):
        by_key.setdefault(row.key, []).append(row)
    places = {}
    for key, rows in by_key.items():
        main = message_versions.main_kind(rows)
        for row in rows:
            places[(key, row.locale, "" if row.channel_kind == main else row.channel_kind)] = row
    return places


def row_fields(row: MessageTemplate) -> dict:
    return {"channel_kind": row.channel_kind, "subject": row.subject, "body": row.body, "html_body": row.html_body,
            **approved_fields(row.provider_template)}


def rule_state(rule: dict) -> dict:
    return {"title": rule.get("title", rule["id"]), "enabled": rule.get("enabled", True),
            "holdout": int(rule.get("holdout", 0) or 0), **rule_definition(rule)}


def row_state(row: Rule) -> dict:
    return {"title": row.title, "enabled": row.enabled, "holdout": row.holdout_percent, **(row.definition or {})}


def state_definition(state: dict) -> dict:
    return {key: state[key] for key in RULE_FIELDS if key in state}


def readable(text: str, html: bool = False) -> str:
    """A message's text as an owner reads it: merge tags as {first name}, HTML without its tags."""
    text = strip_tags(text or "") if html else (text or "")
    return _MERGE_TAG.sub(lambda match: "{" + match.group(2).replace("_", " ") + "}", text)


def isolated(text) -> str:
    """Pack data (a rule's title, a message's subject, a category) inside a sentence, kept in its
    own direction where the admin's language or the data is right-to-left (``plugin/bidi``)."""
    text = str(text)
    if text.startswith(FIRST_STRONG_ISOLATE) or not (get_language_bidi() or _RIGHT_TO_LEFT.search(text)):
        return text
    return isolate(text)


def word_diff(yours: str, packs: str, html: bool = False) -> list[list[tuple[bool, str]]]:
    """Two lists of (marked, text): the shop's text with what the pack's lacks marked, and the
    pack's text with what it adds marked (merge tags said as {first name}, HTML as its text)."""
    a, b = _TOKEN.findall(readable(yours, html)), _TOKEN.findall(readable(packs, html))
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append((False, "".join(a[i1:i2])))
            right.append((False, "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append((True, "".join(a[i1:i2])))
        if j2 > j1:
            right.append((True, "".join(b[j1:j2])))
    return [left, right]


def version_words(kind: str) -> str:
    """A message's version for a channel kind, in words ("SMS version")."""
    return {"email": _("Email version"), "sms": _("SMS version"), "whatsapp": _("WhatsApp version"),
            "webhook": _("Webhook version")}.get(kind) or kind


def language_words(code: str) -> str:
    if not code:
        return _("every language")
    try:
        return str(get_language_info(code.split("-", 1)[0])["name_translated"])
    except KeyError:
        return code


def _path_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Merger:
    def __init__(self, pack: Pack, installed: RulePack, choices: dict):
        self.pack, self.installed, self.choices = pack, installed, dict(choices or {})
        self.plan = Plan(pack, installed)
        self.base = base_document(installed)
        shop_values = installed.resolved_parameters()
        self.shop_words = Words.for_pack(installed.pack_id, html=False)
        self.shop_words.parameters = shop_values
        self.pack_words = Words.for_pack_file(pack, html=False)
        self.removed_messages: dict = {}   # message key → [(place, item)] the new version drops

    # ---- the generic three-way merge -------------------------------------------------------------

    def merge(self, path, base, shop, new, emit):
        if _same(shop, new):
            return shop
        if self._descends(path, base, shop, new):
            if isinstance(shop, dict):
                keys = list(new) + [key for key in shop if key not in new]
                merged = {}
                for key in keys:
                    value = self.merge(path + (key,), base.get(key, ABSENT) if isinstance(base, dict) else ABSENT,
                                       shop.get(key, ABSENT), new.get(key, ABSENT), emit)
                    if value is not ABSENT:
                        merged[key] = value
                return merged
            return [self.merge(path + (index,), base[index], shop[index], new[index], emit)
                    for index in range(len(shop))]
        if _same(shop, base):
            return emit(path, "take", base, shop, new)
        if _same(new, base):
            return emit(path, "keep", base, shop, new)
        return emit(path, "conflict", base, shop, new)

    @staticmethod
    def _descends(path, base, shop, new) -> bool:
        if isinstance(shop, dict) and isinstance(new, dict) and (base is ABSENT or isinstance(base, dict)):
            if path and isinstance(path[-1], int):   # a step or condition: only the same kind
                return set(shop) == set(new) and (base is ABSENT or set(base) == set(shop))
            return True
        return isinstance(shop, list) and isinstance(new, list) and isinstance(base, list) \
            and len(shop) == len(new) == len(base)

    def resolve(self, item: Item, shop, new):
        """The value applied for an item (recording a conflict's choice)."""
        self.plan.items.append(item)
        if item.kind == "conflict":
            item.choice = self.choices.pop(item.id, "shop")
        return new if item.applied == "pack" else shop

    # ---- words -----------------------------------------------------------------------------------

    @staticmethod
    def _what(kind, inner: tuple) -> str:
        found = WHAT.get((kind, *inner)) or (WHAT.get((kind, inner[-1])) if inner else None)
        if found:
            return pgettext(*found)
        return " ".join(str(part).replace("_", " ") for part in inner)

    def _leaf_words(self, key, value, words: Words) -> str:
        if value is ABSENT:
            return ""
        if key in DURATION_KEYS or key in ("wait", "pause_marketing"):
            try:
                return str(words.duration(value))
            except (ValueError, TypeError, AttributeError):
                pass
        if key == "template":
            return str(words.template(value))
        if key == "category" and isinstance(words.value(value), str):
            return self._category_words(words.value(value))
        return str(words.name(value))

    def _rule_words(self, path: tuple, whole, words: Words) -> tuple[str, str]:
        """(label, value in words) of a rule's field at ``path``; ``whole`` is that side's rule state."""
        if whole is ABSENT or whole is None:
            return "", ""
        head = path[0]
        if head == "title":
            return _("Name"), str(words.name(whole.get("title", "")))
        if head == "enabled":
            return _("Switched on"), str(words.name(bool(whole.get("enabled", True))))
        if head == "holdout":
            share = whole.get("holdout", 0)
            return _("Holdout (%)"), (_("%(n)s %%") % {"n": share}) if share else _("the pack's holdout")
        if head == "once":
            once = whole.get("once", "event")
            return _("Fires at most once per"), {"event": _("event"), "order": _("order"), "product": _("product"),
                                                 "customer": _("customer")}.get(once, str(once))
        if head == "trigger":
            return pgettext("rule field", "When"), str(trigger_phrase(whole.get("trigger") or {}, words))
        if head == "conditions":
            conditions = whole.get("conditions") or []
            if len(path) == 1:
                return _("Conditions"), str(words.join([condition_phrase(c, words) for c in conditions])) or _("none")
            index = path[1]
            said = condition_phrase(conditions[index], words) if index < len(conditions) else ""
            return _("Condition %(n)d") % {"n": index + 1}, str(said)
        if head == "steps":
            steps = whole.get("steps") or []
            if len(path) == 1:
                return _("Steps"), str(steps_phrase(steps, words))
            index = path[1]
            step = steps[index] if index < len(steps) else ABSENT
            where = _("Step %(n)d") % {"n": index + 1}
            if step is ABSENT:
                return where, ""
            whole_step = str(steps_phrase([step], words))
            if len(path) <= 2:
                return where, whole_step
            kind, inner = path[2], tuple(p for p in path[3:] if not isinstance(p, int))
            value = step.get(kind, ABSENT) if isinstance(step, dict) else ABSENT
            for part in path[3:]:
                value = value.get(part, ABSENT) if isinstance(value, dict) and not isinstance(part, int) else \
                    value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else ABSENT
            label = _("%(where)s: %(what)s") % {"where": where, "what": self._what(kind, inner)}
            if value is ABSENT or isinstance(value, (dict, list)) or kind in ("split", "wait") and inner[:1] in (
                    ("on_event",), ("on_timeout",)):
                return label, whole_step
            return label, self._leaf_words(inner[-1] if inner else kind, value, words)
        if head == "definition":
            return _("The whole rule"), str(rule_sentence(state_definition(whole), words))
        return " ".join(str(p) for p in path), str(words.name(json.dumps(whole.get(head))))

    # ---- rules -----------------------------------------------------------------------------------

    def rules(self) -> None:
        base_rules = {}
        for rule in (self.base.get("rules") or []) + generated_rules(self.pack.pack_id, self.base.get("dosage") or {}):
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                base_rules[rule["id"]] = rule_state(rule)
        rows = {row.rule_id: row for row in Rule.objects.filter(pack=self.pack.pack_id).order_by("pk")}
        new_rules = {rule["id"]: rule_state(rule) for rule in self.pack.rules}
        for rule_id, new in new_rules.items():
            row = rows.get(rule_id)
            base = base_rules.get(rule_id)
            if row is not None and base is None and row.pack_definition is not None:
                base = {"title": row.title, "enabled": True, "holdout": 0, **row.pack_definition}
            self._rule(rule_id, row, base if base is not None else ABSENT, new)
        for rule_id, row in rows.items():
            if rule_id in new_rules or (self.base and rule_id not in base_rules):
                continue    # not the pack's since an earlier upgrade the shop kept it through: the shop's now
            shop = row_state(row)
            base = base_rules.get(rule_id) or ({**shop, **row.pack_definition} if row.pack_definition else shop)
            edited = row.locally_edited or not _same({**shop, "enabled": True}, {**base, "enabled": True})
            if not row.enabled and not edited:
                continue
            waiting = waiting_customers([row])
            turned_off = (ngettext(
                "turned off and kept for its history; the %(n)d customer waiting in it gets nothing more from it",
                "turned off and kept for its history; the %(n)d customers waiting in it get nothing more from it",
                waiting) % {"n": waiting}) if waiting else _("turned off and kept for its history")
            item = Item(f"rule:{rule_id}", "rules", row.title or rule_id, _("The rule"),
                        "conflict" if edited else "take", "removed",
                        yours=str(rule_sentence(row.definition, self.shop_words)),
                        note=_("the new version no longer has this rule"))
            if edited:
                item.options = {
                    "shop": (_("Keep mine: your version stays on, and later versions of the pack leave it alone")
                             if row.enabled else
                             _("Keep mine: your version stays as it is (off), and later versions of the pack leave "
                               "it alone")),
                    "pack": _("Take the pack's: %(what)s") % {"what": turned_off}}
            else:
                item.note = _("the new version no longer has this rule: %(what)s") % {"what": turned_off}
            if self.resolve(item, "shop", "pack") == "pack":
                self.plan.rules[rule_id] = None
        for rule_id, row in rows.items():   # a saved draft is not the rule's published state
            if row.has_unpublished_changes:
                self.resolve(Item(f"draft:{rule_id}", "rules", row.title or rule_id, "", "notice", note=_(
                    "You have an unpublished draft of %(rule)s: the upgrade works on the published version; "
                    "publishing the draft later would replace what the upgrade sets.") % {
                        "rule": isolated(f"“{row.title or rule_id}”")}), None, None)

    def _rule(self, rule_id, row, base, new) -> None:
        group = (row.title if row is not None else new["title"]) or rule_id
        if group == rule_id:   # no name: the rule is called by when it acts
            words = self.shop_words if row is not None else self.pack_words
            trigger = (row.definition if row is not None else new).get("trigger") or {}
            group = words.say(_("When {trigger}"), trigger=trigger_phrase(trigger, words))
        if row is None:
            if base is ABSENT:
                item = Item(f"rule:{rule_id}", "rules", group, _("The rule"), "take", "added",
                            packs=str(rule_sentence(state_definition(new), self.pack_words)))
            else:
                kind = "keep" if _same(base, new) else "conflict"
                item = Item(f"rule:{rule_id}", "rules", group, _("The rule"), kind, "removed" if kind == "keep" else "added",
                            packs=str(rule_sentence(state_definition(new), self.pack_words)),
                            note=_("you deleted it"))
            if self.resolve(item, "shop", "pack") == "pack":
                self.plan.new_rules.append(rule_id)
                self.plan.rules[rule_id] = new
            return
        shop = row_state(row)
        if base is ABSENT:
            base = shop if _same(shop, new) else {}
        found: list[tuple] = []

        def emit(path, kind, b, s, n):
            found.append((path, kind))
            return s if kind == "keep" else n if kind == "take" else ("__conflict__", path, s, n)

        self.merge((), base, shop, new, emit)
        tied = self._edited_message_replaced(rule_id, found, base, shop, new)
        keeps_old = {path for path, message_items in tied.items()
                     if any(item.applied == "shop" for item in message_items)}
        for path in keeps_old:   # the rule keeps sending the old message: all its languages stay
            for place, item in self.removed_messages.get(_value_at(shop, path), ()):
                if item.kind == "take" and self.plan.templates.get(place, None) is ABSENT:
                    del self.plan.templates[place]
                    item.kind, item.note = "keep", _("a rule keeps sending this message")
        items, merged = [], None
        for path, kind in found:
            label, yours = self._rule_words(path, shop, self.shop_words)
            _label, packs = self._rule_words(path, new, self.pack_words)
            item = Item(f"rule:{rule_id}:{_path_text(path)}", "rules", group, label, kind, yours=yours, packs=packs)
            if path in tied:
                item.kind = "keep" if path in keeps_old else "take"
                item.note = _("follows your choice for the message %(message)s") % {"message": yours}
            elif path and path[-1] == "template" and kind == "take":
                item.options = {"take": _("sends %(new)s instead of %(old)s") % {"new": packs, "old": yours}}
            items.append(item)
        chosen = {item.id: self.choices.get(item.id, "shop") for item in items if item.kind == "conflict"}

        def apply(path, kind, b, s, n):
            if path in tied:
                return s if path in keeps_old else n
            if kind == "conflict":
                return n if chosen.get(f"rule:{rule_id}:{_path_text(path)}") == "pack" else s
            return s if kind == "keep" else n

        merged = self.merge((), base, shop, new, apply)
        if not self._valid(rule_id, merged) and not (_same(merged, shop) or _same(merged, new)):
            whole = Item(f"rule:{rule_id}:definition", "rules", group, _("The whole rule"), "conflict",
                         yours=str(rule_sentence(state_definition(shop), self.shop_words)),
                         packs=str(rule_sentence(state_definition(new), self.pack_words)),
                         note=_("your edits and the pack's do not fit together"))
            for item in items:
                self.choices.pop(item.id, None)
            merged = new if self.resolve(whole, shop, new) is new else shop
        else:
            for item in items:
                self.resolve(item, None, None)
        if not _same(merged, shop) or not _same(row.pack_definition, state_definition(new)):
            self.plan.rules[rule_id] = merged

    def _valid(self, rule_id, state) -> bool:
        try:
            compile_definition(rule_id, state_definition(state), self._values_for_check(), self.pack.segments)
        except (RuleDefinitionError, ValueError, TypeError, KeyError):
            return False
        return True

    def _values_for_check(self) -> dict:
        return {**{name: spec.get("default") for name, spec in self.pack.parameters.items()},
                **self.plan.parameter_values}

    # ---- messages --------------------------------------------------------------------------------

    def messages(self) -> None:
        base = template_rows(self.base.get("templates") or {})
        new = template_rows(self.pack.templates)
        shop = {place: row_fields(row) for place, row in shop_rows(self.pack.pack_id).items()}
        if not self.base:   # nothing to compare with: what the shop has is the installed version
            base = dict(shop)
        titles = {}
        for rows in (new, base, shop):
            for (key, locale, version), row in rows.items():
                if not locale and not version and key not in titles:
                    titles[key] = template_title(key, row["subject"], row["body"])
        for (key, locale, version), row in shop.items():
            if not locale and not version:
                titles[key] = template_title(key, row["subject"], row["body"])
        titles = self._distinct_titles(titles, {place[0] for place in new}, {place[0] for place in shop})
        for words in (self.shop_words, self.pack_words):   # rule sentences name messages the same way
            words.templates = {**words.templates, **titles}
        keys = list(new) + [k for k in shop if k not in new] + [k for k in base if k not in new and k not in shop]
        for place in keys:
            b, s, n = base.get(place, ABSENT), shop.get(place, ABSENT), new.get(place, ABSENT)
            key, locale, version = place
            group = _("Message “%(title)s”") % {"title": isolated(readable(titles.get(key, key)))}
            ident = f"message:{key}:{locale or 'default'}" + (f":{version}" if version else "")
            if s is not ABSENT and n is not ABSENT:
                merged = {}
                for name in MERGED_FIELDS:
                    merged[name] = self.merge((name,), _merged_field(b, name), _merged_field(s, name),
                                              _merged_field(n, name),
                                              lambda path, kind, bb, ss, nn: self._message_item(
                                                  f"{ident}:{path[0]}", group, locale, path[0], kind, ss, nn,
                                                  version))
                merged.update(zip(APPROVED_FIELDS, merged.pop("template")))
                if not _same(merged, s):
                    self.plan.templates[place] = merged
                continue
            if _same(s, n):
                continue
            if s is ABSENT and b is ABSENT:
                kind, change = "take", "added"
            elif n is ABSENT and _same(s, b):
                kind, change = "take", "removed"
            elif s is ABSENT and _same(n, b):
                kind, change = "keep", "removed"
            elif n is ABSENT and b is ABSENT:
                continue            # the shop's own language of a pack message: the pack never had it
            else:
                kind, change = "conflict", "removed" if n is ABSENT else "added"
            label = language_words(locale)
            if version:
                label = _("%(version)s (%(language)s)") % {"version": version_words(version), "language": label}
            item = Item(ident, "messages", group, label, kind, change,
                        yours=self._message_words(s), packs=self._message_words(n))
            if n is ABSENT and s is not ABSENT:
                self.removed_messages.setdefault(key, []).append((place, item))
            if s is not ABSENT and n is not ABSENT:
                item.diff = word_diff(s["body"], n["body"])
            applied = self.resolve(item, s, n)
            if not _same(applied, s):
                self.plan.templates[place] = applied

    def _message_item(self, ident, group, locale, name, kind, shop, new, version=""):
        label = {"subject": _("Subject"), "body": _("Text"), "html_body": _("HTML text"),
                 "channel_kind": _("Channel"), "template": _("Approved WhatsApp template")}[name]
        if version:
            label = _("%(version)s: %(what)s") % {"version": version_words(version), "what": label}
        if locale:
            label = _("%(what)s (%(language)s)") % {"what": label, "language": language_words(locale)}
        html = name == "html_body"
        if name == "template":
            item = Item(ident, "messages", group, label, kind, "changed", yours=_short(_approved_words(shop)),
                        packs=_short(_approved_words(new)))
            return self.resolve(item, shop, new)
        item = Item(ident, "messages", group, label, kind, "changed",
                    yours=str(shop) if name == "channel_kind" and shop else _short(readable(shop, html)) if shop else "",
                    packs=str(new) if name == "channel_kind" and new else _short(readable(new, html)) if new else "")
        if name in TEXT_FIELDS:
            item.diff = word_diff(shop, new, html)
        return self.resolve(item, shop, new)

    @staticmethod
    def _distinct_titles(titles: dict, new_keys: set, shop_keys: set) -> dict:
        """Message names no two of which read the same: a name two messages share is told apart
        by "(old)" (the new version drops it), "(new)" (the new version adds it), else a number."""
        by_title: dict[str, list] = {}
        for key, title in titles.items():
            by_title.setdefault(" ".join(readable(title).split()).casefold(), []).append(key)
        distinct = dict(titles)
        for keys in by_title.values():
            if len(keys) < 2:
                continue
            for number, key in enumerate(keys, 1):
                if key not in new_keys:
                    distinct[key] = _("%(title)s (old)") % {"title": titles[key]}
                elif key not in shop_keys:
                    distinct[key] = _("%(title)s (new)") % {"title": titles[key]}
                else:
                    distinct[key] = _("%(title)s (%(n)d)") % {"title": titles[key], "n": number}
        return distinct

    def _edited_message_replaced(self, rule_id, found, base, shop, new) -> dict:
        """A rule step whose message the new version replaces (``template`` taken from the pack)
        while the shop edited the message it replaces (a conflict: the pack removes the shop's
        edit): one choice, the message's, decides both. Returns step path → the message's items."""
        tied = {}
        for index, (path, kind) in enumerate(found):
            if kind != "take" or not path or path[-1] != "template":
                continue
            old_key = _value_at(shop, path)
            items = [item for _place, item in self.removed_messages.get(old_key, ())]
            if not any(item.kind == "conflict" for item in items):
                continue
            new_key = _value_at(new, path)
            said = {"old": str(self.shop_words.template(old_key)), "new": str(self.pack_words.template(new_key))}
            for item in items:
                if item.kind == "conflict":
                    item.options = {
                        "shop": _("You edited %(old)s; the new version sends a new message, %(new)s, instead: "
                                  "keep sending yours") % said,
                        "pack": _("You edited %(old)s; the new version sends a new message, %(new)s, instead: "
                                  "take the pack's (your edit is removed)") % said}
            tied[path] = items
        return tied

    @staticmethod
    def _message_words(row) -> str:
        if row is ABSENT:
            return ""
        return f"“{isolated(readable(template_title('', row['subject'], row['body'])))}”"

    # ---- values and settings ---------------------------------------------------------------------

    def values(self) -> None:
        base_specs = self.base.get("parameters") or {}
        shop = self.installed.resolved_parameters()
        chosen = {}
        for name, spec in self.pack.parameters.items():
            label = spec.get("title") or name.replace("_", " ").capitalize()
            new = spec.get("default")
            base = base_specs[name].get("default") if isinstance(base_specs.get(name), dict) else ABSENT
            mine = shop.get(name, ABSENT) if name in self.installed.parameters else ABSENT
            if mine is ABSENT:
                if base is ABSENT:
                    self.resolve(Item(f"value:{name}", "settings", _("The pack's values"), label, "take", "added",
                                      packs=self._value_words(spec, new)), mine, new)
                continue
            ident = f"value:{name}"

            def emit(path, kind, b, s, n, label=label, spec=spec, ident=ident):
                entry = path[0] if path else None     # a map's entry: one item each, said with its name
                item = Item(f"{ident}:{entry}" if path else ident, "settings", _("The pack's values"), label, kind,
                            "added" if s is ABSENT and path else "removed" if n is ABSENT and path else "changed",
                            yours=self._value_words(spec, s, entry), packs=self._value_words(spec, n, entry))
                if kind != "keep":
                    item.note = self._category_note(spec, n, entry)
                return self.resolve(item, s, n)

            value = self.merge((), base, mine, new, lambda *a: emit(*a))
            try:
                value = check_value(name, spec, value)
            except ParameterError as error:
                self.resolve(Item(ident + ":reset", "settings", _("The pack's values"), label, "take",
                                  yours=self._value_words(spec, value), packs=self._value_words(spec, new),
                                  note=_("your value no longer fits: %(problem)s") % {"problem": error}), value, new)
                value = new
            if not _same(value, new):
                chosen[name] = value
        for name, value in self.installed.parameter_values.items():
            if name not in self.pack.parameters and name in self.installed.parameters:
                spec = self.installed.parameters[name]
                self.resolve(Item(f"value:{name}", "settings", _("The pack's values"),
                                  spec.get("title") or name.replace("_", " ").capitalize(), "take", "removed",
                                  yours=self._value_words(spec, value),
                                  note=_("the pack no longer has this value")), value, ABSENT)
        self.plan.parameter_values = chosen

    def _value_words(self, spec: dict, value, entry=None) -> str:
        """A parameter's value in words: durations said ("60 days"), categories by the store's names,
        a map as its entries ("night-pants-l: 60 days"); ``entry``: one entry of a map."""
        if value is ABSENT or value is None:
            return ""
        kind = spec.get("type", "string")
        if kind == "map":
            values = {"type": spec.get("values", "string")}
            keys = {"type": spec.get("keys", "product")}
            if entry is not None:
                return _("%(entry)s: %(value)s") % {"entry": self._value_words(keys, entry),
                                                    "value": self._value_words(values, value)}
            if not isinstance(value, dict) or not value:
                return _("none") if isinstance(value, dict) else str(self.shop_words.name(value))
            return "; ".join(self._value_words(spec, v, k) for k, v in value.items())
        if kind == "duration":
            try:
                return str(self.shop_words.duration(value))
            except (ValueError, TypeError, AttributeError):
                pass
        if kind == "category":
            return self._category_words(value)
        if isinstance(value, list):
            return str(self.shop_words.join([str(self.shop_words.name(v)) for v in value]))
        return str(self.shop_words.name(value))

    def _store(self):
        if not hasattr(self, "_categories"):
            self._categories = store_categories()
        return self._categories

    def _category_words(self, value) -> str:
        """A category by its name in the store (when the store answers), else its value, isolated."""
        found = self._store().by_slug().get(str(value))
        return isolated(found.label if found else str(value))

    def _category_note(self, spec: dict, value, entry=None) -> str:
        """The pack's new category value is not in the connected store (import_warnings' check)."""
        kind = spec.get("type")
        named = [entry] if kind == "map" and spec.get("keys") == "category" and entry is not None else \
            [value] if kind == "category" and value not in (ABSENT, None) else []
        missing = missing_categories(named, self._store())
        if not missing:
            return ""
        return ngettext("the store has no category %(categories)s: a rule on it would never act",
                        "the store has no categories %(categories)s: rules on them would never act",
                        len(missing)) % {"categories": ", ".join(isolated(c) for c in missing)}

    def settings(self) -> None:
        group = _("Pack settings")
        shop_holdout = self.installed.holdout_percent
        base_holdout = int(self.base.get("holdout", 0) or 0) if self.base else shop_holdout
        new_holdout = int(self.pack.document.get("holdout", 0) or 0)

        def percent(value):
            return "" if value is ABSENT else _("%(n)s %%") % {"n": value}

        self.plan.settings["holdout_percent"] = self.merge(
            (), base_holdout, shop_holdout, new_holdout, lambda path, kind, b, s, n: self.resolve(
                Item("setting:holdout", "settings", group, _("Holdout (%)"), kind, yours=percent(s), packs=percent(n)),
                s, n))
        base_dosage = (self.base.get("dosage") or {}) if self.base else self.installed.dosage

        def said(value):
            if value is ABSENT:
                return ""
            if value is None:
                return _("none")
            if isinstance(value, dict):
                return ", ".join(f"{k.replace('_', ' ')} {said(v)}" for k, v in value.items())
            return str(self.shop_words.name(value))

        labels = {"caps": _("Message limits"), "quiet_hours": _("Quiet hours"), "keep_in_touch": _("Keep in touch")}
        self.plan.settings["dosage"] = self.merge(
            (), base_dosage, self.installed.dosage or {}, self.pack.dosage or {},
            lambda path, kind, b, s, n: self.resolve(
                Item(f"setting:dosage.{_path_text(path)}", "settings", group,
                     " · ".join([labels.get(str(path[0]), str(path[0])), *(str(p).replace("_", " ") for p in path[1:])])
                     if path else _("Message limits"), kind, yours=said(s), packs=said(n)), s, n))
        base_cart = ((self.base.get("cart_abandonment") or {}).get("per", "") if self.base
                     else self.installed.cart_abandonment)
        new_cart = (self.pack.document.get("cart_abandonment") or {}).get("per", "")
        cart = {"checkout": _("one per open checkout"), "customer": _("one per customer"), "": _("one per customer")}
        self.plan.settings["cart_abandonment"] = self.merge(
            (), base_cart, self.installed.cart_abandonment, new_cart, lambda path, kind, b, s, n: self.resolve(
                Item("setting:cart_abandonment", "settings", group, _("Abandoned carts"), kind,
                     yours=cart.get(s, s), packs=cart.get(n, n)), s, n))


def _value_at(state, path):
    for part in path:
        if isinstance(state, dict) and not isinstance(part, int):
            state = state.get(part, ABSENT)
        elif isinstance(state, list) and isinstance(part, int) and part < len(state):
            state = state[part]
        else:
            return ABSENT
    return state


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return f"“{isolated(text)}”" if len(text) <= limit else f"“{isolated(text[:limit] + '…')}”"


def plan(pack: Pack, installed: RulePack, choices: dict | None = None) -> Plan:
    """The merge of what the shop installed, what it has now and ``pack``. ``choices`` (item id →
    ``shop`` / ``pack``) decide conflicts; a choice for anything that is not a conflict of this
    upgrade is refused (PackError)."""
    choices = dict(choices or {})
    bad = [f"{value!r} for {ident!r}" for ident, value in choices.items() if value not in CHOICES]
    if bad:
        raise PackError([f"choices: each choice is 'shop' or 'pack', not {', '.join(bad)}"])
    merger = _Merger(pack, installed, choices)
    merger.values()
    merger.settings()
    merger.messages()
    merger.rules()
    conflicts = {item.id for item in merger.plan.conflicts}
    unknown = sorted(ident for ident in choices if ident not in conflicts)
    if unknown:
        raise PackError([f"choices: {ident!r} is not a conflict of this upgrade (its conflicts: "
                         f"{', '.join(sorted(conflicts)) or 'none'})" for ident in unknown])
    merger.plan.items.sort(key=lambda item: SECTIONS.index(item.section))
    _check(merger, merger.plan)
    return merger.plan


def _check(merger: _Merger, result: Plan) -> None:
    """Every rule the upgrade leaves compiles with the merged values and uses messages it keeps."""
    keys = {place[0] for place in template_rows(merger.pack.templates)}
    keys |= set(MessageTemplate.objects.filter(pack=merger.pack.pack_id).values_list("key", flat=True))
    keys -= {key for (key, locale, version), row in result.templates.items()
             if row is ABSENT and not locale and not version}
    keys |= {place[0] for place, row in result.templates.items() if row is not ABSENT}
    keys |= set(MessageTemplate.objects.filter(pack="").values_list("key", flat=True))
    problems = []
    for rule_id, state in result.rules.items():
        if state is None:
            continue
        try:
            compile_definition(rule_id, state_definition(state), merger._values_for_check(), merger.pack.segments)
        except RuleDefinitionError as error:
            problems += [f"rule {rule_id!r}: {problem}" for problem in error.problems]
            continue
        problems += [f"rule {rule_id!r}: uses the message {key!r}, which the upgrade removes"
                     for key in sorted(used_templates(state_definition(state)) - keys)]
    if problems:
        raise PackError([f"{merger.pack.filename}: {problem}" for problem in problems])
