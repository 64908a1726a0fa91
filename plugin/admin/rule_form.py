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
from ..durations import WEEKDAYS, parse_duration
from ..events import EVENT_TYPES
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

    def __init__(self, path: tuple, label: str, field: forms.Field, is_duration: bool = False, default=None):
        self.path, self.label, self.field, self.is_duration, self.default = path, label, field, is_duration, default

    PREFIX = "d__"

    @property
    def name(self) -> str:
        return self.PREFIX + "__".join(str(part) for part in self.path)


DURATION_KEYS = {"within", "period", "lead"}
TRIGGER_KEYS = ("event", "category", "product", "sku", "fact", "to", "above", "min_total", "max_total")
WEEKDAY_CHOICES = [("", "any day"), *[(day, day.capitalize()) for day in WEEKDAYS]]


def _label(path: tuple) -> str:
    """('steps', 0, 'wait', 'refill', 'lead') → 'Step 1: wait — refill lead'."""
    where = _where(path)
    names = [str(part) for part in path if isinstance(part, str) and part not in ("steps", "on_event", "on_timeout",
                                                                                  "conditions")]
    kind, rest = (names[0], names[1:]) if names else ("", [])
    what = " ".join(rest).replace("_", " ")
    return f"{where}: {kind.replace('_', ' ')}{f' — {what}' if what else ''}" if where else what


def _leaves(value, path: tuple):
    """Every scalar inside a step's argument (lists of scalars whole), with its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("on_event", "on_timeout"):
                continue
            yield from _leaves(inner, (*path, key))
    elif isinstance(value, (str, int, float, bool)) or (isinstance(value, list) and value
                                                       and all(isinstance(v, (str, int, float)) for v in value)):
        yield path, value


def _editable_values(definition: dict, pack: str = "") -> list[EditableValue]:
    """A field for every value of the definition: the trigger's, each condition's, and every value
    of every step, branches included. Step kinds name their special fields (``StepKind.fields``:
    messages, channels, classes, durations); every other value is a text, number or yes/no field."""
    values = []
    template_keys = pack_templates(pack)
    trigger = definition.get("trigger") if isinstance(definition.get("trigger"), dict) else {}
    for key in TRIGGER_KEYS:
        if key in trigger and _is_value(trigger[key]):
            path = ("trigger", key)
            field = forms.ChoiceField(choices=_event_choices(trigger[key])) if key == "event" else _plain_field(trigger[key])
            values.append(EditableValue(path, f"When: {key.replace('_', ' ')}", field))
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
            declared = set()
            for editable in STEPS[kind].fields(argument):
                full_path = (*path, *editable.path)
                declared.add(editable.path)
                current = _get(step, editable.path[:-1]).get(editable.path[-1], "") if editable.path[:-1] else argument
                values.append(EditableValue(full_path, f"{_where(path)}: {editable.label}",
                                            _form_field(editable, current, template_keys),
                                            is_duration=editable.kind == "duration", default=editable.default))
            for inner, current in _leaves(argument, (kind,)):
                if inner in declared:
                    continue
                is_duration = inner[-1] in DURATION_KEYS and not isinstance(current, bool)
                values.append(EditableValue((*path, *inner), _label((*path, *inner)),
                                            _leaf_field(inner[-1], current), is_duration=is_duration))
    return values


def _is_value(value) -> bool:
    return isinstance(value, (str, int, float, bool)) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, (str, int, float)) for v in value))


def _event_choices(current: str) -> list[tuple[str, str]]:
    choices = [(event.name, f"{event.when} ({event.name})" if event.when else event.name) for event in EVENT_TYPES
               if event.name]
    if current and current not in {name for name, _ in choices}:
        choices.append((current, current))
    return choices


def _plain_field(current) -> forms.Field:
    if isinstance(current, bool):
        return forms.BooleanField(required=False)
    if isinstance(current, list):
        return forms.CharField(max_length=500, help_text="Separate several with commas")
    return forms.CharField(max_length=200)


def _leaf_field(key: str, current) -> forms.Field:
    if key == "weekday":
        return forms.ChoiceField(choices=WEEKDAY_CHOICES, required=False)
    if key in ("until", "at"):
        return forms.CharField(max_length=50, help_text="A time of day, HH:MM, or a parameter")
    if key in DURATION_KEYS and not isinstance(current, bool):
        return forms.CharField(max_length=50, help_text="e.g. 30d, 36h, or a parameter such as $refill_lead")
    return _plain_field(current)


def pack_templates(pack: str) -> list[str]:
    """The messages a rule of ``pack`` may send: its pack's, and the shop's own (no pack)."""
    return sorted(set(MessageTemplate.objects.filter(pack__in=[pack, ""] if pack else [""])
                      .values_list("key", flat=True)))


def _form_field(editable: EditableField, current, template_keys: list[str]) -> forms.Field:
    """The form field for one editable value a step kind describes."""
    if editable.kind == "template":
        choices = [(key, key) for key in sorted({*template_keys, current or ""}) if key]
        return forms.ChoiceField(choices=choices)
    if editable.kind == "message_class":
        return forms.ChoiceField(choices=SEND_CLASSES)
    if editable.kind == "boolean":
        return forms.BooleanField(required=False, help_text=editable.help)
    if editable.kind == "channel":
        return forms.CharField(max_length=100, required=False, help_text=editable.help)
    return forms.CharField(max_length=50, help_text=editable.help)


def _get(definition, path):
    for part in path:
        definition = definition[part]
    return definition


def _typed(original, text):
    """Keep numbers numbers (a condition value 3 edited to '4' is stored as 4) and lists lists."""
    if isinstance(original, list) and isinstance(text, str):
        return [_typed(original[0] if original else "", part.strip()) for part in text.split(",") if part.strip()]
    if isinstance(original, bool) or not isinstance(original, (int, float)) or not isinstance(text, str):
        return text
    try:
        return int(text) if isinstance(original, int) else float(text)
    except ValueError:
        return text


def pack_choices(current: str = "") -> list[tuple[str, str]]:
    choices = [("local", "This shop's own rules (local)"),
               *[(pack_id, f"{title} ({pack_id})") for pack_id, title in
                 RulePack.objects.order_by("title").values_list("pack_id", "title")]]
    if current and current not in {value for value, _ in choices}:
        choices.append((current, current))
    return choices


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
        self.editable = _editable_values(definition, self.instance.pack) if definition else []
        for value in self.editable:
            key = value.path[-1]
            value.field.label = value.label
            default = value.default if value.default is not None else "marketing" if key == "class" else ""
            current = _get(definition, value.path[:-1]).get(key, default)
            value.field.initial = ", ".join(map(str, current)) if isinstance(current, list) else current
            self.fields[value.name] = value.field
        if "pack" in self.fields:
            self.fields["pack"] = forms.ChoiceField(choices=pack_choices(self.instance.pack), label="Pack",
                                                    help_text="Which pack the rule belongs to; its messages and "
                                                              "parameters are that pack's.")
        if self.instance.pk and "rule_id" in self.fields:
            self.fields["rule_id"].disabled = True
        if "holdout_percent" in self.fields:
            self.fields["holdout_percent"].required = False

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

    def clean_holdout_percent(self):
        value = self.cleaned_data.get("holdout_percent")
        return self.instance.holdout_percent if value is None else value

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
