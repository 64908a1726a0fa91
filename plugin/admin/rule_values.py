"""The rule editor's fields in a shop owner's words: a duration as a number and a unit, a category
from the store's list, a message by its subject, a channel by its name or kind, the trigger's
event as words — and every field labelled by where it is in the rule and what it sets."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from functools import cached_property

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..bidi import isolate
from ..durations import WEEKDAYS, parse_duration
from ..events import EVENT_TYPES
from ..models import Channel
from ..preference import DEFAULT_ORDER, PREFERRED
from ..rules.sentences import Words
from ..rules.steps.wait import WEEKDAY_NAMES
from ..saleor.categories import StoreCategories, store_categories
from .data_widgets import DataCheckboxes, DataSelect

UNITS = [("m", gettext_lazy("minutes")), ("h", gettext_lazy("hours")), ("d", gettext_lazy("days")),
         ("w", gettext_lazy("weeks"))]
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_ONE_PART = re.compile(r"\s*(\d+)\s*([mhdw])\s*")


def split_duration(value) -> list:
    """"7d" → [7, "d"]; "1d12h" → [36, "h"]: the largest unit that says it exactly."""
    if value in (None, ""):
        return [None, "d"]
    if isinstance(value, str):
        match = _ONE_PART.fullmatch(value.lower())
        if match:
            return [int(match.group(1)), match.group(2)]
    try:
        seconds = int(parse_duration(value).total_seconds())
    except ValueError:
        return [None, "d"]
    for unit in ("w", "d", "h", "m"):
        if seconds % _SECONDS[unit] == 0:
            return [seconds // _SECONDS[unit], unit]
    return [max(seconds // 60, 1), "m"]


class DurationWidget(forms.MultiWidget):
    template_name = "masa/admin/_rule_duration_widget.html"

    def __init__(self, attrs=None):
        super().__init__([forms.NumberInput(attrs={"min": 0, "step": 1, "class": "masa-duration-number",
                                                   "data-masa-timing": ""}),
                          forms.Select(choices=UNITS, attrs={"class": "masa-duration-unit", "data-masa-timing": ""})],
                         attrs)

    def decompress(self, value):
        return split_duration(value)


class DurationField(forms.MultiValueField):
    """A number and a unit, stored as the duration text the engine reads ("7d")."""

    widget = DurationWidget

    def __init__(self, **kwargs):
        super().__init__(fields=[forms.IntegerField(min_value=0), forms.ChoiceField(choices=UNITS)],
                         require_all_fields=True, **kwargs)

    def compress(self, data_list):
        if not data_list or data_list[0] is None:
            return ""
        return f"{data_list[0]}{data_list[1]}"

    def has_changed(self, initial, data):
        initial = split_duration(initial) if not isinstance(initial, list) else initial
        try:
            entered = self.compress([self.fields[0].clean(data[0]), data[1]])
        except (forms.ValidationError, IndexError, TypeError):
            return True
        return entered != self.compress(initial)


def event_choices(current: str) -> list[tuple[str, str]]:
    """Events by what happens, in words only."""
    choices = [(event.name, str(event.when)[:1].upper() + str(event.when)[1:]) for event in EVENT_TYPES
               if event.name and event.when]
    if current and current not in {name for name, _label in choices}:
        choices.append((current, _("A custom event: %(name)s") % {"name": isolate(current)}))
    return choices


KIND_WORDS = {"email": gettext_lazy("By email (the first email channel)"),
              "sms": gettext_lazy("By text message (the first SMS channel)"),
              "whatsapp": gettext_lazy("On WhatsApp (the first WhatsApp channel)"),
              "webhook": gettext_lazy("Through the shop's webhook (the first webhook channel)")}


def channel_choices(current: str) -> list[tuple[str, str]]:
    """The kinds (their first enabled channel), every configured channel by its name, then the
    channel the customer answers best (``channels`` says which to choose among)."""
    kinds = ["email", *sorted({kind for kind in Channel.objects.values_list("kind", flat=True)} - {"email"})]
    choices = [(kind, str(KIND_WORDS.get(kind) or _("The first channel of kind %(kind)s") % {"kind": isolate(kind)}))
               for kind in kinds]
    choices += [(name, _("Through the channel %(name)s") % {"name": isolate(name)})
                for name in Channel.objects.order_by("name").values_list("name", flat=True) if name not in kinds]
    if current and current != PREFERRED and current not in {value for value, _label in choices}:
        choices.append((current, _("%(name)s (no channel has this name yet)") % {"name": isolate(current)}))
    return [*choices, (PREFERRED, _("On the channel the customer answers best"))]


def default_channels() -> list[str]:
    """What a send switched to the preferred channel chooses among at first: the kinds the shop has
    an enabled channel of, WhatsApp first, then SMS, then email (always: the fallback of last resort)."""
    configured = set(Channel.objects.filter(enabled=True).values_list("kind", flat=True))
    return [kind for kind in DEFAULT_ORDER if kind in configured or kind == "email"]


def message_choices(keys: list[str], current: str, pack: str) -> list[tuple[str, str]]:
    """The messages a rule of this pack may send, by their subject (or first line)."""
    words = Words.for_pack(pack, html=False)
    return [(key, str(words.template(key))) for key in sorted({*keys, current or ""}) if key]


SEND_CLASSES = [("marketing", gettext_lazy("Marketing: needs consent, keeps to the caps and quiet hours")),
                ("transactional", gettext_lazy("A service message: sent without marketing consent"))]
WEEKDAY_CHOICES = [("", gettext_lazy("any day")), *[(day, WEEKDAY_NAMES[day]) for day in WEEKDAYS]]


@dataclass
class Shop:
    """What the fields offer lists from: the pack's messages and parameters (declared, and the
    shop's values), the channels, the store's categories (asked of Saleor only when needed)."""

    pack: str
    templates: list[str]
    parameters: dict = dataclass_field(default_factory=dict)
    resolved: dict = dataclass_field(default_factory=dict)

    @cached_property
    def categories(self) -> StoreCategories:
        return store_categories()


def category_field(current, shop: Shop) -> forms.Field:
    many = isinstance(current, list)
    if not shop.categories.categories:
        help_text = (_("Separate several with commas.") + " " if many else "") + shop.categories.problem
        return forms.CharField(max_length=500, help_text=help_text)
    known = shop.categories.by_slug()
    choices = [(category.slug, category.label) for category in shop.categories.categories]
    for slug in (current if many else [current]):
        if slug and slug not in known:
            choices.append((slug, _("%(slug)s (not in the store now)") % {"slug": slug}))
    if many:
        return forms.MultipleChoiceField(choices=choices, widget=DataCheckboxes)
    return forms.ChoiceField(choices=choices, widget=DataSelect)


CATEGORY_KEYS = {"category"}
DURATION_KEYS = {"within", "period", "lead"}


def value_field(kind: str, key, current, shop: Shop) -> forms.Field:
    """The form field for one value: ``kind`` is what a step kind declares (``EditableField.kind``)
    or, for other values, what the key says."""
    if kind == "duration":
        return DurationField()
    if kind == "template":
        return forms.ChoiceField(choices=message_choices(shop.templates, current, shop.pack),
                                 widget=DataSelect(attrs={"data-masa-timing": ""}))
    if kind == "channel":
        return forms.ChoiceField(choices=channel_choices(current), required=False,
                                 widget=forms.Select(attrs={"data-masa-channel": ""}))
    if kind == "message_class":
        return forms.ChoiceField(choices=SEND_CLASSES)
    if kind == "boolean" or isinstance(current, bool):
        return forms.BooleanField(required=False)
    if kind == "event":
        return forms.ChoiceField(choices=event_choices(current))
    if kind == "share":
        return forms.IntegerField(min_value=1, max_value=99)
    if key in CATEGORY_KEYS:
        return category_field(current, shop)
    if key == "weekday":
        return forms.ChoiceField(choices=WEEKDAY_CHOICES, required=False)
    if key in ("until", "at"):
        return forms.CharField(max_length=5, help_text=_("A time of day, e.g. 09:30"),
                               widget=forms.TimeInput(attrs={"type": "time"}))
    if key in DURATION_KEYS:
        return DurationField()
    if kind == "channels" or (key == "channels" and isinstance(current, list)):
        return forms.CharField(max_length=500, required=False, widget=forms.TextInput(
            attrs={"dir": "ltr", "data-masa-channels": ""}), help_text=_(
            "Some of whatsapp, sms and email, separated by commas. Each customer gets the message on the one of "
            "these they answer best and may receive; the first is the default."))
    if isinstance(current, list):
        return forms.CharField(max_length=500, help_text=_("Separate several with commas."))
    return forms.CharField(max_length=200)


def kind_of(key, current, declared: str = "") -> str:
    """What a value is, for the editor: a duration, a category… (its field and how it is stored)."""
    if declared:
        return declared
    if key in DURATION_KEYS and not isinstance(current, bool):
        return "duration"
    if key in CATEGORY_KEYS:
        return "category"
    return ""


# What a value sets, by its place inside its step (the step kind first) or, failing that, its key.
WHAT = {
    ("wait",): pgettext_lazy("rule field", "wait"),
    ("wait", "within"): pgettext_lazy("rule field", "wait for it up to"),
    ("wait", "event"): pgettext_lazy("rule field", "wait for"),
    ("wait", "until"): pgettext_lazy("rule field", "until (their time)"),
    ("wait", "weekday"): pgettext_lazy("rule field", "on"),
    ("wait", "at"): pgettext_lazy("rule field", "at (their time)"),
    ("wait", "anniversary"): pgettext_lazy("rule field", "the anniversary of"),
    ("wait", "refill", "period"): pgettext_lazy("rule field", "one lasts"),
    ("wait", "refill", "lead"): pgettext_lazy("rule field", "remind this long before they run out"),
    ("wait", "refill", "per_quantity"): pgettext_lazy("rule field", "times the quantity bought"),
    ("wait", "refill", "own_rhythm"): pgettext_lazy("rule field",
                                                    "their own rhythm once they have ordered a few times"),
    ("wait", "refill", "category"): pgettext_lazy("rule field", "category"),
    ("send", "template"): pgettext_lazy("rule field", "message"),
    ("send", "channel"): pgettext_lazy("rule field", "send it"),
    ("send", "channels"): pgettext_lazy("rule field", "channels to choose among, in order"),
    ("send", "class"): pgettext_lazy("rule field", "kind of message"),
    ("send", "voucher", "value"): pgettext_lazy("rule field", "voucher value"),
    ("send", "voucher", "type"): pgettext_lazy("rule field", "voucher type"),
    ("send", "voucher", "channel"): pgettext_lazy("rule field", "voucher's Saleor channel"),
    ("send", "voucher", "valid_days"): pgettext_lazy("rule field", "voucher valid for (days)"),
    ("send", "voucher", "prefix"): pgettext_lazy("rule field", "voucher code starts with"),
    ("notify_staff", "template"): pgettext_lazy("rule field", "message to the staff"),
    ("check", "not_bought", "category"): pgettext_lazy("rule field", "only if they have never bought from"),
    ("check", "not_bought_since", "category"): pgettext_lazy("rule field", "only if they have not bought since from"),
    ("check", "no_order_since"): pgettext_lazy("rule field", "only if no order since"),
    ("check", "no_event_since"): pgettext_lazy("rule field", "only if nothing happened since"),
    ("tag",): pgettext_lazy("rule field", "tag them"),
    ("set", "fact"): pgettext_lazy("rule field", "set the fact"),
    ("set", "value"): pgettext_lazy("rule field", "to"),
    ("increment", "fact"): pgettext_lazy("rule field", "add to the fact"),
    ("increment", "by"): pgettext_lazy("rule field", "by"),
    ("emit",): pgettext_lazy("rule field", "signal"),
    ("stamp",): pgettext_lazy("rule field", "note the date as"),
    ("pause_marketing",): pgettext_lazy("rule field", "pause marketing for"),
}
TRIGGER_WORDS = {
    "event": pgettext_lazy("rule field", "When"),
    "category": pgettext_lazy("rule field", "When: from the category"),
    "product": pgettext_lazy("rule field", "When: the product"),
    "sku": pgettext_lazy("rule field", "When: the SKU"),
    "fact": pgettext_lazy("rule field", "When: the fact"),
    "to": pgettext_lazy("rule field", "When: becomes"),
    "above": pgettext_lazy("rule field", "When: goes above"),
    "min_total": pgettext_lazy("rule field", "When: order total at least"),
    "max_total": pgettext_lazy("rule field", "When: order total at most"),
}


def _humanized(parts) -> str:
    return " ".join(str(part).replace("_", " ") for part in parts)


def where_words(path: tuple) -> str:
    """('steps', 2, 'split', 'b', 'steps', 0) → "Step 3 · version B · step 1"."""
    words, index, first = [], 0, True
    while index < len(path):
        part = path[index]
        if part == "steps" and index + 1 < len(path):
            number = path[index + 1] + 1
            words.append((_("Step %(n)d") if first else _("step %(n)d")) % {"n": number})
            first, index = False, index + 2
        elif part in ("on_event", "on_timeout") and index + 1 < len(path):
            words.append(str(_("if it comes") if part == "on_event" else _("if not")))
            words.append(_("step %(n)d") % {"n": path[index + 1] + 1})
            index += 2
        elif part == "split" and index + 1 < len(path):
            words.append(_("version %(name)s") % {"name": str(path[index + 1]).upper()})
            index += 2
        elif part == "conditions" and index + 1 < len(path):
            words.append(_("Condition %(n)d") % {"n": path[index + 1] + 1})
            index += 2
        else:
            index += 1
    return " · ".join(words)


def label_for(path: tuple, inner: tuple, fallback: str = "") -> str:
    """A field's label: where it is and what it sets. ``inner``: its place inside its step."""
    where = where_words(path)
    if inner and inner[0] == "split" and inner[-1] == "share":
        return _("%(where)s: version %(name)s, share of customers (%%)") % {"where": where,
                                                                           "name": str(inner[1]).upper()}
    what = WHAT.get(tuple(inner)) or WHAT.get((inner[0], inner[-1])) if inner else None
    what = what or fallback or _humanized(inner)
    return _("%(where)s: %(what)s") % {"where": where, "what": what} if where else str(what)
