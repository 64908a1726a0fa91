"""Background jobs in the admin: the list, one job's progress (the page refreshes itself until the
job ends), cancel, and its outcome — a simulation's actions with the backfill it offers, a
backfill's count, an upgrade's report."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import jobs
from ..models import Job, RulePack, ScheduledAction
from ..rules.steps import STEPS
from .base import AdminPage, MasaPage
from ..bidi import isolate


def pack_title(pack_id: str) -> str:
    """An installed pack's title, else its id."""
    pack = RulePack.objects.filter(pack_id=pack_id).only("title").first()
    return pack.title if pack and pack.title else pack_id


def job_title(job: Job, html: bool = True) -> str:
    """What the job does, in the admin's language (its stored ``title`` is English, written when it
    started), the rule or pack it is about isolated as data: ``<bdi>`` in HTML, else Unicode's
    isolates (a page title, a breadcrumb)."""
    def data(name):
        return format_html("<bdi>{}</bdi>", name) if html else isolate(name)

    def say(phrase, **parts):
        return format_html(phrase, **parts) if html else phrase.format(**parts)

    days = (job.params or {}).get("days") or 0
    if job.kind in (Job.Kind.SIMULATE, Job.Kind.BACKFILL) and job.rule is not None:
        phrase = ngettext("Simulate {rule} over the last {days} day", "Simulate {rule} over the last {days} days", days) \
            if job.kind == Job.Kind.SIMULATE else \
            ngettext("Backfill {rule} over the last {days} day", "Backfill {rule} over the last {days} days", days)
        return say(phrase, rule=data(job.rule.title or job.rule.rule_id), days=days)
    if job.kind == Job.Kind.UPGRADE and job.pack_id:
        return say(_("Upgrade the pack {pack}"), pack=data(pack_title(job.pack_id)))
    return data(job.title)


class JobListView(MasaPage):
    template_name = "masa/admin/jobs.html"
    permission = "change_rule"
    header_icon = "time"
    page_title = gettext_lazy("Background jobs")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listed = [jobs.seen(job) for job in Job.objects.select_related("rule")[:50]]
        for job in listed:
            job.words = job_title(job)
        context.update(jobs=listed, running=any(not job.finished for job in listed))
        return context


class JobView(MasaPage):
    template_name = "masa/admin/job.html"
    permission = "change_rule"
    header_icon = "time"
    object_model, object_name = Job, "job"
    parent = (gettext_lazy("Background jobs"), "masa_jobs")

    def get_page_title(self):
        return job_title(self.job, html=False)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = jobs.seen(self.job)
        kinds = {kind.plans: kind.label for kind in STEPS.values() if kind.plans}
        statuses = dict(ScheduledAction.Status.choices)
        would = [{**item, "due_at": parse_datetime(item["due_at"]) if isinstance(item["due_at"], str) else item["due_at"],
                  "kind_words": kinds.get(item.get("kind"), item.get("kind")),
                  "status_words": statuses.get(item.get("status"), item.get("status"))}
                 for item in (job.outcome or {}).get("would", [])]
        job.words = job_title(job)
        context.update(job=job, pack_title=pack_title(job.pack_id) if job.pack_id else "", stalled=jobs.stalled(job),
                       would=would,
                       customers=(job.outcome or {}).get("customers", 0),
                       candidates=(job.outcome or {}).get("candidates", []))
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("do") == "cancel" and not self.job.finished:
            jobs.cancel(self.job)
            messages.success(request, _("Cancelling: the job stops at its next step; nothing it did is kept."))
        return redirect("masa_job", pk=self.job.pk)


PAGES = [AdminPage("masa/jobs/", JobListView, name="masa_jobs",
                   menu_label=gettext_lazy("Background jobs"), menu_icon="time", menu_order=570),
         AdminPage("masa/jobs/<int:pk>/", JobView, name="masa_job")]

