"""“What would this rule have done over the last N days?” — a background job (``jobs``) whose
page shows the answer and, after confirming, starts the backfill that schedules it for real for
the past events it would have fired on."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from .. import jobs
from ..models import Job, Rule
from .base import AdminPage, MasaPage
from ..bidi import isolate
from .jobs import job_title


class SimulateForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=365, initial=30, label=gettext_lazy("Over the last (days)"))


class RuleSimulateView(MasaPage):
    """For editors: a simulation replays real events (on private copies of the tables)."""

    template_name = "masa/admin/rule_simulate.html"
    permission = "change_rule"

    object_model, object_name = Rule, "rule"

    def get_page_title(self):
        return _("Simulate: %(rule)s") % {"rule": isolate(self.rule)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recent = list(Job.objects.filter(rule=self.rule).select_related("rule")[:5])
        for job in recent:
            job.words = job_title(job)
        context.update(rule=self.rule, form=kwargs.get("form") or SimulateForm(self.request.GET or None), recent=recent)
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm") == "backfill":
            return self.backfill(request)
        form = SimulateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        running = jobs.running_simulation()
        if running is not None:
            messages.error(request, _("Another simulation is running (“%(title)s”): only one runs at a time. "
                                      "Start this one when it has finished.") % {"title": job_title(running, html=False)})
            return redirect("masa_rule_simulate", pk=self.rule.pk)
        days = form.cleaned_data["days"]
        job = jobs.start(Job.Kind.SIMULATE, f"Simulate {self.rule.title} over {days} days",
                         request.user.get_username(), rule=self.rule, days=days)
        return redirect("masa_job", pk=job.pk)

    def backfill(self, request):
        simulation = get_object_or_404(Job, pk=request.POST.get("simulation") or 0, rule=self.rule,
                                       kind=Job.Kind.SIMULATE, status=Job.Status.DONE)
        if not (self.rule.enabled and self.rule.live):
            messages.error(request, _("Turn the rule on and publish it before backfilling."))
            return redirect("masa_job", pk=simulation.pk)
        days = simulation.params["days"]
        job = jobs.start(Job.Kind.BACKFILL, f"Backfill {self.rule.title} over {days} days",
                         request.user.get_username(), rule=self.rule, days=days,
                         events=simulation.outcome.get("candidates", []))
        log(instance=self.rule, action="masa.rule.backfill", user=request.user, data={"days": days, "job": job.pk})
        return redirect("masa_job", pk=job.pk)


PAGES = [AdminPage("masa/rules/<int:pk>/simulate/", RuleSimulateView, name="masa_rule_simulate")]
