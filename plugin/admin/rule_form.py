"""The rule editor: a rule's delays, messages, channels, categories and condition values as form
fields in a shop owner's words (``rule_values``), an A/B split and a holdout added from the form,
the customers already waiting offered a re-timing, and the whole definition as YAML for agencies.
Whatever is entered must compile before it can be saved.

A value bound to a pack parameter (``$refill_lead``) is shown as the shop's value: changing it
changes the shop's value, for every rule that uses it, when the rule is published; "only for this
rule" writes the value into this rule instead."""
from __future__ import annotations

import copy
import json

import yaml
from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList, Panel

from ..models import MessageTemplate, Rule, RulePack
from ..packs.loader import RULE_FIELDS
from ..rules.compiler import RuleDefinitionError, used_templates, walk_steps
from ..rules.parameters import PLACEHOLDER, ParameterError, check_value, placeholders
from ..rules.segments import compile_definition
from ..rules.sentences import Words, rule_sentence
from ..reports.audience import sends_marketing
from ..rules.steps import STEPS
from .data_widgets import DataSelect
from .preview import preview_url
from .retime import waiting
from ..preference import PREFERRED
from .rule_values import (TRIGGER_WORDS, DurationField, Shop, default_channels, kind_of, label_for, message_choices,
                          value_field, where_words)

TRIGGER_KEYS = ("event", "category", "product", "sku", "fact", "to", "above", "min_total", "max_total")
RETIME_CHOICES = [("retime", gettext_lazy("Re-time them to the new delay, counted from when they started "
                                          "(for example their order)")),
                  ("keep", gettext_lazy("Keep the dates they have now"))]


class EditableValue:
    """One value inside the definition the form edits, found by its path; ``parameter``: the pack
    parameter it is bound to (its ``$name``), if any."""

    PREFIX = "d__"

    def __init__(self, path: tuple, label: str, field: forms.Field, kind: str = "", default=None,
                 parameter: str = ""):
        self.path, self.label, self.field, self.kind, self.default = path, label, field, kind, default
        self.parameter = parameter

    @property
    def name(self) -> str:
        return self.PREFIX + "__".join(str(part) for part in self.path)

    @property
    def own_name(self) -> str:
        return self.name + "__own"


def _parameter(value, shop: Shop) -> str:
    match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match and match.group(1) in shop.parameters else ""


PARAMETER_KINDS = {"duration": "duration", "category": "category", "boolean": "boolean"}


def _bound_field(key, spec: dict, resolved, shop: Shop) -> tuple[forms.Field, str]:
    """The field for a value bound to a parameter, by the parameter's type."""
    kind = spec.get("type", "string")
    if kind == "duration":
        return DurationField(), "duration"
    if kind == "category" or (kind == "list" and key == "category"):
        return value_field("", "category", resolved, shop), "category"
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("minimum")), ""
    if kind == "number":
        return forms.FloatField(min_value=spec.get("minimum")), ""
    return value_field(PARAMETER_KINDS.get(kind, ""), key, resolved, shop), PARAMETER_KINDS.get(kind, "")


def _add(values: list, shop: Shop, path: tuple, label: str, current, declared: str = "", default=None) -> None:
    key = path[-1]
    parameter = _parameter(current, shop)
    if parameter:
        spec = shop.parameters[parameter]
        if spec.get("type") == "map":
            return  # a value per product: edited as rows on the pack's values page (``packs.ParametersForm``)
        resolved = shop.resolved.get(parameter)
        field, kind = _bound_field(key, spec, resolved, shop)
        values.append(EditableValue(path, label, field, kind, default, parameter))
        return
    kind = kind_of(key, current, declared)
    values.append(EditableValue(path, label, value_field(kind, key, current, shop), kind, default))


def _editable_values(definition: dict, shop: Shop) -> list[EditableValue]:
    """A field for every value of the definition: the trigger's, each condition's, and every value
    of every step, branches included. Step kinds name their special fields (``StepKind.fields``:
    messages, channels, classes, durations); every other value is a text, number, yes/no, category
    or duration field by its key."""
    values = []
    trigger = definition.get("trigger") if isinstance(definition.get("trigger"), dict) else {}
    for key in TRIGGER_KEYS:
        if key in trigger and _is_value(trigger[key]):
            _add(values, shop, ("trigger", key), str(TRIGGER_WORDS[key]), trigger[key],
                 "event" if key == "event" else "")
    for index, condition in enumerate(definition.get("conditions") or []):
        if isinstance(condition, dict) and "value" in condition and isinstance(condition["value"], (str, int, float)):
            path = ("conditions", index, "value")
            _add(values, shop, path, _("%(where)s: value") % {"where": where_words(path)}, condition["value"])
    for path, step in walk_steps(definition.get("steps")):
        for kind, argument in step.items():
            if kind not in STEPS:
                continue
            declared = set()
            for editable in STEPS[kind].fields(argument):
                declared.add(editable.path)
                current = _get(step, editable.path[:-1]).get(editable.path[-1], "") if editable.path[:-1] else argument
                _add(values, shop, (*path, *editable.path), label_for(path, editable.path, editable.label), current,
                     editable.kind, editable.default)
            for inner, current in _leaves(argument, (kind,)):
                if inner in declared:
                    continue
                declared_kind = "share" if inner[0] == "split" and inner[-1] == "share" else ""
                _add(values, shop, (*path, *inner), label_for(path, inner), current, declared_kind)
    return values


def _leaves(value, path: tuple):
    """Every scalar inside a step's argument (lists of scalars whole), with its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("on_event", "on_timeout"):
                continue
            yield from _leaves(inner, (*path, key))
    elif _is_value(value):
        yield path, value


def _is_value(value) -> bool:
    return isinstance(value, (str, int, float, bool)) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, (str, int, float)) for v in value))


def pack_templates(pack: str) -> list[str]:
    """The messages a rule of ``pack`` may send: its pack's, and the shop's own (no pack)."""
    return sorted(set(MessageTemplate.objects.filter(pack__in=[pack, ""] if pack else [""])
                      .values_list("key", flat=True)))


def _get(definition, path):
    for part in path:
        definition = definition[part]
    return definition


def _typed(original, entered):
    """Keep numbers numbers (a condition value 3 edited to '4' is stored as 4) and lists lists."""
    if isinstance(original, list) and isinstance(entered, str):
        return [_typed(original[0] if original else "", part.strip()) for part in entered.split(",") if part.strip()]
    if isinstance(original, bool) or not isinstance(original, (int, float)) or not isinstance(entered, str):
        return entered
    try:
        return int(entered) if isinstance(original, int) else float(entered)
    except ValueError:
        return entered


def _as_parameter(spec: dict, resolved, entered):
    """What the owner entered, as the parameter's type (a list from commas, a number)."""
    if spec.get("type") == "list" and isinstance(entered, str):
        return _typed(resolved if isinstance(resolved, list) else [""], entered)
    return entered


def pack_choices(current: str = "") -> list[tuple[str, str]]:
    choices = [("local", _("This shop's own rules")),
               *RulePack.objects.order_by("title").values_list("pack_id", "title")]
    if current and current not in {value for value, _label in choices}:
        choices.append((current, current))
    return choices


def sharing_rules(pack: str, parameter: str, rule: Rule) -> list[str]:
    """The titles of the pack's other rules that use this parameter."""
    return [other.title for other in Rule.objects.filter(pack=pack).exclude(pk=rule.pk).order_by("title")
            if parameter in placeholders(other.definition)]


def _parameter_help(pack: RulePack, parameter: str, rule: Rule):
    spec = pack.parameters.get(parameter, {})
    title = spec.get("title") or parameter.replace("_", " ")
    others = sharing_rules(pack.pack_id, parameter, rule)
    if others:
        said = format_html(_("The shop's value for “{title}”, also used by {rules}: changing it here changes it "
                             "for them too, when you publish."), title=format_html("<bdi>{}</bdi>", title),
                           rules=format_html_join(", ", "<bdi>{}</bdi>", ((other,) for other in others)))
    else:
        said = format_html(_("The shop's value for “{title}”: changing it here changes the shop's value, "
                             "when you publish."), title=format_html("<bdi>{}</bdi>", title))
    try:
        url = reverse("masa_pack_parameters", kwargs={"pack_id": pack.pack_id})
    except NoReverseMatch:
        return said
    return format_html('{} <a href="{}">{}</a>', said, url, _("All of the pack's values"))


def _ab_candidates(definition: dict) -> list[tuple]:
    """The send steps an A/B split can start at: not inside a split already."""
    return [path for path, step in walk_steps(definition.get("steps"))
            if isinstance(step.get("send"), dict) and "split" not in path]


def _ab_name(path: tuple) -> str:
    return "ab__" + "__".join(str(part) for part in path)


def add_split(definition: dict, path: tuple, template: str, share: int) -> None:
    """Turn the send step at ``path`` and the steps after it into a split: version A as it is,
    version B the same with the other message, for ``share`` % of customers."""
    steps, index = _get(definition, path[:-1]), path[-1]
    rest = steps[index:]
    second = copy.deepcopy(rest)
    second[0]["send"]["template"] = template
    steps[index:] = [{"split": {"a": {"share": 100 - share, "steps": rest}, "b": {"share": share, "steps": second}}}]


class RuleForm(WagtailAdminModelForm):
    raw_definition = forms.CharField(
        label=gettext_lazy("Definition (YAML)"), required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "style": "font-family: monospace",
                                     "dir": "ltr"}),
        help_text=gettext_lazy("Trigger, conditions, steps and once, as in the rule-pack reference. "
                               "A change here wins over the fields above."),
    )
    # The definition the page's fields were made from: Wagtail autosaves drafts while the owner
    # edits, so by the time the form is posted again the latest draft may already hold an A/B
    # split or another delay; the posted fields and YAML are read against the page's own.
    based_on = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        definition = self._page_definition()
        self.base_definition = definition
        self.initial["raw_definition"] = self._dump(definition)
        self.initial["based_on"] = json.dumps(definition, sort_keys=True) if definition else ""
        self.pack = RulePack.objects.filter(pack_id=self.instance.pack).first()
        self.parameter_changes: dict = {}
        shop = Shop(self.instance.pack, pack_templates(self.instance.pack), self.pack.parameters if self.pack else {},
                    self.pack.resolved_parameters() if self.pack else {})
        self.editable = _editable_values(definition, shop) if definition else []
        self.panel_fields: list[str] = []
        for value in self.editable:
            self._add_value_field(value, definition, shop)
        if definition and self.instance.pk:
            self._add_split_fields(definition, shop)
            self._add_retime_field()
        self._owner_words_for_the_model_fields(definition)

    def _page_definition(self) -> dict:
        posted = self.data.get("based_on") if self.is_bound else None
        if posted:
            try:
                definition = json.loads(posted)
            except ValueError:
                definition = None
            if isinstance(definition, dict):
                return definition
        return self.instance.definition or {}

    def _add_value_field(self, value: EditableValue, definition: dict, shop: Shop) -> None:
        key = value.path[-1]
        value.field.label = value.label
        default = value.default if value.default is not None else "marketing" if key == "class" else ""
        current = _get(definition, value.path[:-1]).get(key, default)
        if value.parameter:
            current = shop.resolved.get(value.parameter)
            value.field.help_text = _parameter_help(self.pack, value.parameter, self.instance)
        elif key == "channel" and not current:
            current = "email"
        elif value.kind == "channels" and not current:
            current = default_channels()  # what a switch to the preferred channel starts from
        if isinstance(current, list) and not isinstance(value.field, forms.MultipleChoiceField):
            current = ", ".join(map(str, current))
        value.field.initial = current
        self.fields[value.name] = value.field
        self.panel_fields.append(value.name)
        if value.parameter:
            self.fields[value.own_name] = forms.BooleanField(
                required=False, label=_("Only for this rule"),
                help_text=_("Keep the shop's value as it is and give this rule its own."))
            self.panel_fields.append(value.own_name)

    def _add_split_fields(self, definition: dict, shop: Shop) -> None:
        self.splits = []
        for path in _ab_candidates(definition):
            current = _get(definition, path)["send"].get("template", "")
            others = [choice for choice in message_choices(shop.templates, current, shop.pack) if choice[0] != current]
            if not others:
                continue
            name = _ab_name(path)
            self.fields[name] = forms.ChoiceField(
                required=False, widget=DataSelect, choices=[("", _("No, send one version")), *others],
                label=_("%(where)s: try a second version (A/B)") % {"where": where_words(path)},
                help_text=_("Some customers get this other message instead; the results page shows which "
                            "earns more, and you choose the winner."))
            self.fields[name + "__share"] = forms.IntegerField(
                required=False, min_value=1, max_value=99, initial=50,
                label=_("Share of customers who get the second version (%)"))
            self.splits.append(path)
            self.panel_fields += [name, name + "__share"]

    def _add_retime_field(self) -> None:
        self.waiting_customers = waiting([self.instance]).values("customer").distinct().count()
        if self.waiting_customers:
            self.fields["retime"] = forms.ChoiceField(choices=RETIME_CHOICES, widget=forms.RadioSelect,
                                                      initial="retime", required=False,
                                                      label=_("The customers already waiting"))
            self.panel_fields.append("retime")

    def _owner_words_for_the_model_fields(self, definition: dict) -> None:
        if "pack" in self.fields:
            self.fields["pack"] = forms.ChoiceField(
                choices=pack_choices(self.instance.pack), label=_("Pack"), widget=DataSelect,
                help_text=_("Which pack the rule belongs to; its messages and values are that pack's."))
        if "title" in self.fields:
            self.fields["title"].label = _("Title")
        if "rule_id" in self.fields:
            self.fields["rule_id"].label = _("Rule id")
            self.fields["rule_id"].help_text = _("A short name for the rule in files and links: lowercase "
                                                 "letters, digits and hyphens.")
            if self.instance.pk:
                self.fields["rule_id"].disabled = True
        if "holdout_percent" in self.fields:
            field = self.fields["holdout_percent"]
            field.required = False
            field.label = _("Holdout (%)")
            pack_share = self.pack.holdout_percent if self.pack else 0
            if definition and not sends_marketing(definition, self.pack.resolved_parameters() if self.pack else {}):
                field.disabled = True
                field.help_text = _("This rule sends only service messages, which are never held out.")
            else:
                field.help_text = _(
                    "Keep this share of customers (0 to 50 %%) out of this rule's marketing messages, so its results "
                    "show what it earns. 0: the pack's holdout applies (%(share)d %%).") % {"share": pack_share}

    @staticmethod
    def _dump(definition: dict) -> str:
        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=100) if definition else ""

    def _same_as_stored(self, text: str) -> bool:
        """The YAML says what is stored (browsers send CRLF; agencies may reformat): the fields decide."""
        try:
            return yaml.safe_load(text) == (self.base_definition or None)
        except yaml.YAMLError:
            return False

    def _from_yaml(self, text: str) -> dict | None:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as error:
            self.add_error("raw_definition", _("not valid YAML: %(error)s") % {"error": error})
            return None
        if not isinstance(parsed, dict) or "steps" not in parsed:
            self.add_error("raw_definition", _("write a mapping with at least trigger and steps"))
            return None
        unknown = sorted(set(parsed) - set(RULE_FIELDS))
        if unknown:
            self.add_error("raw_definition", f"unknown field(s) {', '.join(unknown)}: "
                                             f"a rule has {', '.join(RULE_FIELDS)}")
            return None
        return parsed

    def _from_fields(self) -> dict:
        definition = copy.deepcopy(self.base_definition)
        for value in self.editable:
            if value.name not in self.cleaned_data:
                continue
            entered = self.cleaned_data[value.name]
            parent, key = _get(definition, value.path[:-1]), value.path[-1]
            if value.parameter:
                self._bound_value(value, entered, parent, key)
                continue
            if value.kind == "channels":
                continue  # settled with its send's channel, below
            if value.name not in self.changed_data:
                continue
            if key == "channel" and (not entered or (entered == "email" and "channel" not in parent)):
                parent.pop("channel", None)
            else:
                parent[key] = _typed(parent.get(key), entered)
        self._settle_channels(definition)
        for path in reversed(getattr(self, "splits", [])):
            template = self.cleaned_data.get(_ab_name(path))
            if template:
                add_split(definition, path, template, self.cleaned_data.get(_ab_name(path) + "__share") or 50)
        return definition

    def _settle_channels(self, definition: dict) -> None:
        """A send keeps ``channels`` only while its channel is the preferred one (the compiler
        refuses either without the other): the list entered, or the shop's kinds when left empty;
        switched back to a single channel, no list, whatever was posted for it."""
        for value in self.editable:
            if value.kind != "channels":
                continue
            parent = _get(definition, value.path[:-1])
            if parent.get("channel") != PREFERRED:
                parent.pop("channels", None)
            elif not value.parameter:
                entered = _typed([""], (self.cleaned_data.get(value.name) or "").lower())
                parent["channels"] = entered or default_channels()

    def _bound_value(self, value: EditableValue, entered, parent: dict, key) -> None:
        spec = self.pack.parameters[value.parameter]
        resolved = self.pack.resolved_parameters().get(value.parameter)
        entered = _as_parameter(spec, resolved, entered)
        if self.cleaned_data.get(value.own_name):
            parent[key] = entered
            return
        if value.name not in self.changed_data or entered == resolved:
            return
        if not self.for_user.has_perm("masa.change_rulepack"):
            self.add_error(value.name, _("Only someone who may change the pack's values can change the shop's "
                                         "value; tick “Only for this rule” to change it for this rule alone."))
            return
        try:
            self.parameter_changes[value.parameter] = check_value(value.parameter, spec, entered)
        except ParameterError as error:
            self.add_error(value.name, str(error))

    def clean_holdout_percent(self):
        value = self.cleaned_data.get("holdout_percent")
        return self.instance.holdout_percent if value is None else value

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("raw_definition") or "").replace("\r\n", "\n").strip()
        if raw and not self._same_as_stored(raw):
            definition = self._from_yaml(raw)
        elif raw or self.base_definition:
            definition = self._from_fields()
        else:
            self.add_error("raw_definition", _("a new rule needs its definition"))
            return cleaned
        if definition is None or self.errors:
            return cleaned
        self._check_compiles(definition, cleaned)
        return cleaned

    def _check_compiles(self, definition: dict, cleaned: dict) -> None:
        pack_id = cleaned.get("pack") or self.instance.pack
        rule_id = cleaned.get("rule_id") or self.instance.rule_id or "new-rule"
        pack = RulePack.objects.filter(pack_id=pack_id).first()
        parameters = {**(pack.resolved_parameters() if pack else {}), **self.parameter_changes}
        try:
            compile_definition(rule_id, definition, parameters, pack.segments if pack else {})
        except (RuleDefinitionError, ParameterError) as error:
            self.add_error("raw_definition", str(error))
            return
        templates = used_templates(definition)
        missing = sorted(templates - set(MessageTemplate.objects.filter(key__in=templates).values_list("key", flat=True)))
        if missing:
            self.add_error("raw_definition", _("no message template named %(names)s") % {"names": ", ".join(missing)})
            return
        self.instance.definition = definition


def template_edit_url(key: str) -> str:
    template = MessageTemplate.objects.filter(key=key).order_by("locale").first()
    return reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk]) if template else ""


class DefinitionPanel(Panel):
    """Renders the editable values of the definition, links to its messages, the A/B split, the
    customers waiting, and the YAML for agencies."""

    def get_form_options(self):
        return {"fields": ["raw_definition", "based_on"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "masa/admin/definition_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            definition = self.instance.definition or {}
            keys = sorted(used_templates(definition))
            words = Words.for_pack(self.instance.pack, html=False)
            form = self.form
            context["values"] = [(self.form[value.name], self.form[value.own_name] if value.parameter else None,
                                  value.parameter) for value in getattr(form, "editable", [])]
            context["splits"] = [(form[_ab_name(path)], form[_ab_name(path) + "__share"])
                                 for path in getattr(form, "splits", [])]
            context["retime"] = form["retime"] if "retime" in form.fields else None
            context["waiting"] = getattr(form, "waiting_customers", 0)
            context["retime_open"] = form.is_bound
            context["raw"] = self.form["raw_definition"]
            context["based_on"] = self.form["based_on"]
            context["templates"] = [(words.template(key), template_edit_url(key), preview_url(key, self.instance.pack))
                                    for key in keys]
            context["trigger"] = definition.get("trigger")
            context["sentence"] = rule_sentence(definition, Words.for_pack(self.instance.pack, html=True)) \
                if definition else ""
            can_simulate = self.instance.pk and self.request and self.request.user.has_perm("masa.change_rule")
            context["simulate_url"] = reverse("masa_rule_simulate", args=[self.instance.pk]) if can_simulate else ""
            context["journey_url"] = reverse("masa_rule_journey", args=[self.instance.rule_id]) \
                if self.instance.pk else ""
            is_broadcast = isinstance(context["trigger"], dict) and context["trigger"].get("event") == "broadcast"
            context["broadcast_url"] = reverse("masa_rule_broadcast", args=[self.instance.pk]) \
                if can_simulate and is_broadcast else ""
            return context


class RuleEditHandler(ObjectList):
    """The rule form's panels; the definition's fields, made per rule, are rendered by
    DefinitionPanel and must not be rendered again as "missing" fields after the panels."""

    class BoundPanel(ObjectList.BoundPanel):
        def render_missing_fields(self):
            rendered = {*self.panel.get_form_options().get("fields", []), *getattr(self.form, "panel_fields", [])}
            return mark_safe("".join(str(self.form[name]) for name in self.form.fields  # noqa: S308
                                     if name not in rendered))
