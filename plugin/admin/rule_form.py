"""The rule editor: a rule's delays, messages and condition values as form fields, and its whole
definition as YAML for agencies. Whatever is entered must compile before it can be saved."""
from __future__ import annotations

import copy

import yaml
from django import forms
from django.urls import reverse
from django.utils.safestring import mark_safe
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList, Panel

from ..models import MessageTemplate, RulePack
from ..packs.loader import RULE_FIELDS
from ..rules.compiler import RuleDefinitionError, used_templates, walk_steps
from ..rules.steps import STEPS, EditableField
from ..durations import parse_duration
from ..rules.parameters import ParameterError
from ..rules.segments import compile_definition
from ..rules.sentences import Words, rule_sentence
from .preview import preview_url

SEND_CLASSES = [("marketing", "Marketing (needs consent, caps, quiet hours)"), ("transactional", "Transactional")]


def _where(path: tuple) -> str:
    """('steps', 1, 'wait', 'on_timeout', 0) → 'Step 2 → on timeout, step 1'."""
    words, index = [], 0
    while index < len(path):
        part = path[index]
        if part == "steps":
            words.append(f"Step {path[index + 1] + 1}")
            index += 2
        elif part in ("on_event", "on_timeout"):
            words.append(f"{part.replace('_', ' ')}, step {path[index + 1] + 1}")
            index += 2
        elif part == "conditions":
            words.append(f"Condition {path[index + 1] + 1}")
            index += 2
        else:
            index += 1
    return " → ".join(words)


def _duration(value: str) -> str:
    value = value.strip()
    if value.startswith("$"):
        return value
    try:
        parse_duration(value)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from error
    return value


class EditableValue:
    """One value inside the definition the form edits, found by its path."""

    def __init__(self, path: tuple, label: str, field: forms.Field, is_duration: bool = False):
        self.path, self.label, self.field, self.is_duration = path, label, field, is_duration

    PREFIX = "d__"

    @property
    def name(self) -> str:
        return self.PREFIX + "__".join(str(part) for part in self.path)


def _editable_values(definition: dict) -> list[EditableValue]:
    values = []
    template_keys = sorted(set(MessageTemplate.objects.values_list("key", flat=True)))
    for index, condition in enumerate(definition.get("conditions") or []):
        if isinstance(condition, dict) and "value" in condition and isinstance(condition["value"], (str, int, float)):
            path = ("conditions", index, "value")
            subject = condition.get("fact") or condition.get("event") or condition.get("since") or next(iter(condition))
            values.append(EditableValue(path, f"{_where(path)}: value ({subject} {condition.get('op', '==')})",
                                        forms.CharField(max_length=200)))
    for path, step in walk_steps(definition.get("steps")):
        for kind, argument in step.items():
            if kind not in STEPS:
                continue
            for editable in STEPS[kind].fields(argument):
                full_path = (*path, *editable.path)
                current = _get(step, editable.path[:-1]).get(editable.path[-1], "") if editable.path[:-1] else argument
                values.append(EditableValue(full_path, f"{_where(path)}: {editable.label}",
                                            _form_field(editable, current, template_keys),
                                            is_duration=editable.kind == "duration"))
    return values


def _form_field(editable: EditableField, current, template_keys: list[str]) -> forms.Field:
    """The form field for one editable value a step kind describes."""
    if editable.kind == "template":
        choices = [(key, key) for key in sorted({*template_keys, current or ""}) if key]
        return forms.ChoiceField(choices=choices)
    if editable.kind == "message_class":
        return forms.ChoiceField(choices=SEND_CLASSES)
    if editable.kind == "channel":
        return forms.CharField(max_length=100, required=False, help_text=editable.help)
    return forms.CharField(max_length=50, help_text=editable.help)


def _get(definition, path):
    for part in path:
        definition = definition[part]
    return definition


def _typed(original, text):
    """Keep numbers numbers: a condition value 3 edited to '4' is stored as 4."""
    if isinstance(original, bool) or not isinstance(original, (int, float)) or not isinstance(text, str):
        return text
    try:
        return int(text) if isinstance(original, int) else float(text)
    except ValueError:
        return text


class RuleForm(WagtailAdminModelForm):
    raw_definition = forms.CharField(
        label="Definition (YAML)", required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "style": "font-family: monospace"}),
        help_text="For agencies: trigger, conditions, steps and once, as in the rule-pack reference. "
                  "A change here wins over the fields above.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        definition = self.instance.definition or {}
        self.initial["raw_definition"] = self._dump(definition)
        self.editable = _editable_values(definition) if definition else []
        for value in self.editable:
            key = value.path[-1]
            value.field.label = value.label
            value.field.initial = _get(definition, value.path[:-1]).get(key, "marketing" if key == "class" else "")
            self.fields[value.name] = value.field
        if self.instance.pk and "rule_id" in self.fields:
            self.fields["rule_id"].disabled = True

    @staticmethod
    def _dump(definition: dict) -> str:
        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=100) if definition else ""

    def _same_as_stored(self, text: str) -> bool:
        """The YAML says what is stored (browsers send CRLF; agencies may reformat): the fields decide."""
        try:
            return yaml.safe_load(text) == (self.instance.definition or None)
        except yaml.YAMLError:
            return False

    def _from_yaml(self, text: str) -> dict | None:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as error:
            self.add_error("raw_definition", f"not valid YAML: {error}")
            return None
        if not isinstance(parsed, dict) or "steps" not in parsed:
            self.add_error("raw_definition", "write a mapping with at least trigger and steps")
            return None
        unknown = sorted(set(parsed) - set(RULE_FIELDS))
        if unknown:
            self.add_error("raw_definition", f"unknown field(s) {', '.join(unknown)}: "
                                             f"a rule has {', '.join(RULE_FIELDS)}")
            return None
        return parsed

    def _from_fields(self) -> dict:
        definition = copy.deepcopy(self.instance.definition or {})
        for value in self.editable:
            if value.name not in self.cleaned_data or value.name not in self.changed_data:
                continue
            entered = self.cleaned_data[value.name]
            if value.is_duration:
                try:
                    entered = _duration(entered)
                except forms.ValidationError as error:
                    self.add_error(value.name, error)
                    continue
            parent, key = _get(definition, value.path[:-1]), value.path[-1]
            if key == "channel" and not entered:
                parent.pop("channel", None)
            else:
                parent[key] = _typed(parent.get(key), entered)
        return definition

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("raw_definition") or "").replace("\r\n", "\n").strip()
        if raw and not self._same_as_stored(raw):
            definition = self._from_yaml(raw)
        elif raw or self.instance.definition:
            definition = self._from_fields()
        else:
            self.add_error("raw_definition", "a new rule needs its definition")
            return cleaned
        if definition is None or self.errors:
            return cleaned
        self._check_compiles(definition, cleaned)
        return cleaned

    def _check_compiles(self, definition: dict, cleaned: dict) -> None:
        pack_id = cleaned.get("pack") or self.instance.pack
        rule_id = cleaned.get("rule_id") or self.instance.rule_id or "new-rule"
        pack = RulePack.objects.filter(pack_id=pack_id).first()
        try:
            compile_definition(rule_id, definition, pack.resolved_parameters() if pack else {},
                               pack.segments if pack else {})
        except (RuleDefinitionError, ParameterError) as error:
            self.add_error("raw_definition", str(error))
            return
        templates = used_templates(definition)
        missing = sorted(templates - set(MessageTemplate.objects.filter(key__in=templates).values_list("key", flat=True)))
        if missing:
            self.add_error("raw_definition", f"no message template named {', '.join(missing)}")
            return
        self.instance.definition = definition


def template_edit_url(key: str) -> str:
    template = MessageTemplate.objects.filter(key=key).order_by("locale").first()
    return reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk]) if template else ""


class DefinitionPanel(Panel):
    """Renders the editable values of the definition, links to its messages, and the YAML."""

    def get_form_options(self):
        return {"fields": ["raw_definition"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "masa/admin/definition_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            definition = self.instance.definition or {}
            keys = sorted(used_templates(definition))
            context["values"] = [self.form[value.name] for value in getattr(self.form, "editable", [])]
            context["raw"] = self.form["raw_definition"]
            context["templates"] = [(key, template_edit_url(key), preview_url(key, self.instance.pack)) for key in keys]
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
            rendered = set(self.panel.get_form_options().get("fields", []))
            return mark_safe("".join(str(self.form[name]) for name in self.form.fields  # noqa: S308
                                     if name not in rendered and not name.startswith(EditableValue.PREFIX)))
