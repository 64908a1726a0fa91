"""“What would this rule have done over the last N days?” — and, after confirming, a backfill
that schedules it for real for the past events it would have fired on."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from wagtail.log_actions import log

from ..models import Rule
from ..packs.simulate import simulate
from ..rules.manual import backfill, backfill_candidates
from .base import MasaPage


class SimulateForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Over the last (days)")


class RuleSimulateView(MasaPage):
    """For editors: a simulation replays real events and holds row locks while it runs."""

    template_name = "masa/admin/rule_simulate.html"
    permission = "change_rule"

    object_model, object_name = Rule, "rule"

    def get_page_title(self):
        return f"Simulate: {self.rule}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SimulateForm(self.request.GET or None)
        context.update(rule=self.rule, form=form, can_backfill=True)
        if form.is_valid():
            would = simulate(self.rule.pack, form.cleaned_data["days"], rule_id=self.rule.rule_id)
            candidates = backfill_candidates(self.rule, {w.event_id for w in would})
            context.update(would=would, days=form.cleaned_data["days"], candidates=candidates,
                           customers=len({w.email for w in would}))
        return context

    def post(self, request, *args, **kwargs):
        form = SimulateForm(request.POST)
        if not form.is_valid() or request.POST.get("confirm") != "backfill":
            messages.error(request, "Confirm the backfill to schedule it.")
            return redirect("masa_rule_simulate", pk=self.rule.pk)
        if not (self.rule.enabled and self.rule.live):
            messages.error(request, "Turn the rule on and publish it before backfilling.")
            return redirect("masa_rule_simulate", pk=self.rule.pk)
        would = simulate(self.rule.pack, form.cleaned_data["days"], rule_id=self.rule.rule_id)
        stored = backfill(self.rule, backfill_candidates(self.rule, {w.event_id for w in would}),
                          by=request.user.get_username())
        log(instance=self.rule, action="masa.rule.backfill", user=request.user,
            data={"days": form.cleaned_data["days"], "events": stored})
        messages.success(request, f"Backfill: {stored} past events handed to the rule; "
                                  f"see the customers' timelines for what it schedules.")
        return redirect("masa_rule_simulate", pk=self.rule.pk)


def simulate_urls():
    return [path("masa/rules/<int:pk>/simulate/", RuleSimulateView.as_view(), name="masa_rule_simulate")]
