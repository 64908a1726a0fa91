"""Rules in the Wagtail admin: list with filters and an on/off switch (compact on a phone), drafts
and revisions, and bulk on/off. Turning rules off asks what to do with their pending actions;
publishing a rule applies the shop's values changed in its editor and, when asked, re-times the
customers already waiting (``retime``)."""
from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.admin.views.generic import RevisionsRevertMixin
from wagtail.log_actions import log
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail.utils.timestamps import render_timestamp

from ..models import Rule, RulePack
from ..rules.sentences import Words, rule_sentence, trigger_phrase
from ..rules.parameters import placeholders
from ..rules.switch import pending_actions, set_enabled, waiting_customers
from .base import AdminPage, MasaChooserViewSet, MasaPage, safe_next
from .retime import Timing, retime
from .rule_form import DefinitionPanel, RuleEditHandler, RuleForm

# Turning a rule off stops the customers already waiting unless the shop owner lets them finish.
PENDING_CHOICES = [("cancel", gettext_lazy("Stop them: what this rule still had to do for them is cancelled, "
                                           "nothing more is sent")),
                   ("keep", gettext_lazy("Let them finish: what this rule planned for them still happens when due "
                                         "(its conditions checked again then)"))]


def trigger_label(definition: dict) -> str:
    trigger = (definition or {}).get("trigger") or {}
    if "event" in trigger:
        return f"event:{trigger['event']}"
    if "fact" in trigger:
        return f"fact:{trigger['fact']}"
    return ""


def _trigger_choices():
    words, choices = Words(), {}
    for definition in Rule.objects.values_list("definition", flat=True):
        label = trigger_label(definition)
        if label:
            choices[label] = str(trigger_phrase(definition["trigger"], words)).capitalize()
    return sorted(choices.items(), key=lambda choice: choice[1])


def pack_titles() -> dict[str, str]:
    """Pack id → the title a shop owner reads ("local": this shop's own rules)."""
    return {"local": _("This shop's own rules"), **dict(RulePack.objects.values_list("pack_id", "title"))}


def _pack_choices():
    titles = pack_titles()
    return sorted(((pack, titles.get(pack) or pack)
                   for pack in Rule.objects.order_by("pack").values_list("pack", flat=True).distinct()),
                  key=lambda choice: str(choice[1]).lower())


class RuleFilterSet(WagtailFilterSet):
    pack = django_filters.ChoiceFilter(choices=_pack_choices, label=gettext_lazy("Pack"))
    trigger = django_filters.ChoiceFilter(choices=_trigger_choices, label=gettext_lazy("Trigger"),
                                          method="filter_trigger")
    enabled = django_filters.BooleanFilter(label=gettext_lazy("On"))

    class Meta:
        model = Rule
        fields = ["pack", "trigger", "enabled", "live"]

    def filter_trigger(self, queryset, name, value):
        kind, _, target = value.partition(":")
        return queryset.filter(**{f"definition__trigger__{kind}": target})


def once_per_page(parent_context, name: str, make):
    """What every row of a listing shares (``make()``), made once per request."""
    request = parent_context.get("request")
    if request is None:
        return make()
    if not hasattr(request, name):
        setattr(request, name, make())
    return getattr(request, name)


class SentenceColumn(Column):
    """What the rule does, in one sentence (``rules.sentences``); a pack's words are read once per page."""

    def get_value(self, instance):
        return ""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        words = once_per_page(parent_context, "_masa_words", dict)
        if instance.pack not in words:
            words[instance.pack] = Words.for_pack(instance.pack, html=True)
        context["value"] = rule_sentence(instance.definition, words[instance.pack])
        return context


class PackColumn(Column):
    """The rule's pack by its title, not its id; the titles are read once per page."""

    def get_value(self, instance):
        return ""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        titles = once_per_page(parent_context, "_masa_pack_titles", pack_titles)
        title = titles.get(instance.pack) or instance.pack
        context["value"] = title if instance.pack == "local" else format_html("<bdi>{}</bdi>", title)
        return context


class SwitchColumn(Column):
    cell_template_name = "masa/admin/rule_switch_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["rule"] = instance
        context["url"] = reverse("masa_rule_switch", args=[instance.pk])
        return context


class RuleIndexView(snippet_views.IndexView):
    def _get_title_column(self, *args, **kwargs):
        column = super()._get_title_column(*args, **kwargs)
        column.label = gettext_lazy("Title")
        column.accessor = lambda rule: format_html("<bdi>{}</bdi>", rule.title)   # the shop's words, isolated
        return column


class RuleEditView(snippet_views.EditView):
    """Publishing applies what the form says beyond the rule itself: the shop's values changed in
    place (pack parameters) and, when asked, the customers already waiting re-timed."""

    def publish_action(self):
        rule, form = self.object, self.form
        changes = getattr(form, "parameter_changes", {})
        pack = RulePack.objects.filter(pack_id=rule.pack).first()
        affected = [rule, *(pack_rules_using(pack, changes, rule) if pack and changes else [])]
        before = {other.pk: Timing.live(other) for other in affected}
        if pack and changes:
            save_parameters(pack, changes, self.request.user, rule)
        response = super().publish_action()
        if form.cleaned_data.get("retime") == "retime":
            moved = sum(retime(other, before[other.pk], Timing.live(other)) for other in affected)
            if moved:
                messages.info(self.request, ngettext(
                    "%(count)d customer already waiting was re-timed to the new delay.",
                    "%(count)d customers already waiting were re-timed to the new delay.", moved) % {"count": moved})
        return response


class RevertWords:
    """Reverting to a revision written by no one (a pack's import or upgrade) says so, not "by None"."""

    def get_warning_message(self):
        if self.revision.user is not None:
            return super().get_warning_message()
        return format_html(_("You are viewing a previous version of this rule, from {when}, written when a pack "
                             "was imported or upgraded."), when=render_timestamp(self.revision.created_at))


def pack_rules_using(pack: RulePack, parameters: dict, rule: Rule) -> list[Rule]:
    """The pack's other rules whose definition uses one of these parameters."""
    return [other for other in Rule.objects.filter(pack=pack.pack_id).exclude(pk=rule.pk)
            if placeholders(other.definition) & set(parameters)]


def save_parameters(pack: RulePack, changes: dict, user, rule: Rule) -> None:
    """The shop's values for the pack's parameters, changed from a rule's editor (logged on the pack)."""
    values = {**pack.parameter_values, **changes}
    pack.parameter_values = {name: value for name, value in values.items()
                             if value != pack.parameters.get(name, {}).get("default")}
    pack.save(update_fields=["parameter_values"])
    log(instance=pack, action="masa.pack.parameters", user=user, data={"changed": changes, "from_rule": rule.rule_id})


class RuleViewSet(SnippetViewSet):
    model = Rule
    chooser_viewset_class = MasaChooserViewSet
    icon = "cogs"
    menu_label = gettext_lazy("Rules")
    filterset_class = RuleFilterSet
    list_display = ["title",
                    SentenceColumn("sentence", label=gettext_lazy("What it does"), classname="masa-col-sentence"),
                    PackColumn("pack", label=gettext_lazy("Pack"), sort_key="pack", classname="masa-col-pack"),
                    SwitchColumn("enabled", label=gettext_lazy("On/off"), classname="masa-col-switch"),
                    UpdatedAtColumn(label=gettext_lazy("Updated"), classname="masa-col-updated")]
    list_per_page = 50
    index_view_class = RuleIndexView
    edit_view_class = RuleEditView
    edit_handler = RuleEditHandler([
        FieldPanel("title"), FieldPanel("rule_id"), FieldPanel("pack"),
        DefinitionPanel(heading=gettext_lazy("Behaviour")),
        FieldPanel("holdout_percent"),
    ], base_form_class=RuleForm)

    @property
    def revisions_revert_view_class(self):
        return type("RuleRevisionsRevertView", (RevertWords, RevisionsRevertMixin, self.edit_view_class),
                    {"view_name": "revisions_revert"})


class SwitchForm(forms.Form):
    pending = forms.ChoiceField(choices=PENDING_CHOICES, widget=forms.RadioSelect, initial="cancel", required=False,
                                label=gettext_lazy("The customers already waiting"))

    def clean_pending(self):
        return self.cleaned_data.get("pending") or "cancel"  # no answer: "off" stops them


def _log_switch(rule: Rule, enabled: bool, user, cancelled: int) -> None:
    log(instance=rule, action="masa.rule.on" if enabled else "masa.rule.off", user=user,
        data={"cancelled_pending": cancelled})


class RuleSwitchView(MasaPage):
    """Confirm turning one rule on or off; turning off shows the pending actions and asks."""

    template_name = "masa/admin/rule_switch.html"
    permission = "change_rule"

    def get_page_title(self):
        return (_("Turn off: %(rule)s") if self.rule.enabled else _("Turn on: %(rule)s")) % {"rule": self.rule}

    object_model, object_name = Rule, "rule"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rule=self.rule, rule_name=format_html("<bdi>{}</bdi>", self.rule.title),
                       pending=pending_actions([self.rule]), waiting=waiting_customers([self.rule]),
                       form=kwargs.get("form") or SwitchForm(), back=reverse("wagtailsnippets_masa_rule:list"))
        return context

    def post(self, request, *args, **kwargs):
        form = SwitchForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        enabled = not self.rule.enabled
        result = set_enabled([self.rule], enabled, cancel_pending=form.cleaned_data["pending"] == "cancel")
        _log_switch(self.rule, enabled, request.user, result.cancelled)
        messages.success(request, _switched_message(1, enabled, result.cancelled, rule=self.rule))
        return redirect(safe_next(request, "wagtailsnippets_masa_rule:list"))


def _switched_message(count: int, enabled: bool, cancelled: int, rule=None) -> str:
    if rule is not None:
        said = (_("Rule “%(rule)s” is on.") if enabled else _("Rule “%(rule)s” is off.")) % {"rule": rule}
    elif enabled:
        said = ngettext("%(count)d rule turned on.", "%(count)d rules turned on.", count) % {"count": count}
    else:
        said = ngettext("%(count)d rule turned off.", "%(count)d rules turned off.", count) % {"count": count}
    if cancelled:
        said += " " + ngettext("%(count)d pending action cancelled: the rule was turned off.",
                               "%(count)d pending actions cancelled: the rule was turned off.",
                               cancelled) % {"count": cancelled}
    return said


class _SwitchRules(SnippetBulkAction):
    models = [Rule]
    template_name = "masa/admin/bulk_switch.html"
    enabled = True

    def check_perm(self, rule):
        return self.request.user.has_perm("masa.change_rule")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = [item["item"] for item in context["items"]]
        context["pending"], context["waiting"] = pending_actions(rules), waiting_customers(rules)
        context["turning_off"] = not self.enabled
        return context

    def get_execution_context(self):
        data = getattr(self.cleaned_form, "cleaned_data", {})
        return {**super().get_execution_context(), "user": self.request.user,
                "cancel_pending": data.get("pending", "cancel") != "keep"}

    @classmethod
    def execute_action(cls, objects, user=None, cancel_pending=True, **kwargs):
        if not user.has_perm("masa.change_rule"):
            raise PermissionDenied
        result = set_enabled(objects, cls.enabled, cancel_pending=cancel_pending)
        for rule in result.changed:
            _log_switch(rule, cls.enabled, user, 0)
        return len(result.changed), result.cancelled

    def get_success_message(self, num_parent_objects, num_child_objects):
        return _switched_message(num_parent_objects, self.enabled, num_child_objects)


class TurnRulesOn(_SwitchRules):
    display_name = gettext_lazy("Turn on")
    action_type = "masa_turn_on"
    aria_label = gettext_lazy("Turn the selected rules on")
    action_priority = 10


class TurnRulesOff(_SwitchRules):
    display_name = gettext_lazy("Turn off")
    action_type = "masa_turn_off"
    aria_label = gettext_lazy("Turn the selected rules off")
    action_priority = 11
    enabled = False
    form_class = SwitchForm


PAGES = [AdminPage("masa/rules/<int:pk>/switch/", RuleSwitchView, name="masa_rule_switch")]
