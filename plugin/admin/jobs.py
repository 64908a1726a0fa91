"""Background jobs in the admin: the list, one job's progress (the page refreshes itself until the
job ends), cancel, and its outcome — a simulation's actions with the backfill it offers, a
backfill's count, an upgrade's report."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.dateparse import parse_datetime

from .. import jobs
from ..models import Job
from .base import AdminPage, MasaPage


class JobListView(MasaPage):
    template_name = "masa/admin/jobs.html"
    permission = "change_rule"
    header_icon = "time"
    page_title = "Background jobs"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listed = [jobs.seen(job) for job in Job.objects.select_related("rule")[:50]]
        context.update(jobs=listed, running=any(not job.finished for job in listed))
        return context


class JobView(MasaPage):
    template_name = "masa/admin/job.html"
    permission = "change_rule"
    header_icon = "time"
    object_model, object_name = Job, "job"
    parent = ("Background jobs", "masa_jobs")

    def get_page_title(self):
        return self.job.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = jobs.seen(self.job)
        would = [{**item, "due_at": parse_datetime(item["due_at"]) if isinstance(item["due_at"], str) else item["due_at"]}
                 for item in (job.outcome or {}).get("would", [])]
        context.update(job=job, stalled=jobs.stalled(job), would=would,
                       customers=(job.outcome or {}).get("customers", 0),
                       candidates=(job.outcome or {}).get("candidates", []))
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("do") == "cancel" and not self.job.finished:
            jobs.cancel(self.job)
            messages.success(request, "Cancelling: the job stops at its next step; nothing it did is kept.")
        return redirect("masa_job", pk=self.job.pk)


PAGES = [AdminPage("masa/jobs/", JobListView, name="masa_jobs",
                   menu_label="Background jobs", menu_icon="time", menu_order=570),
         AdminPage("masa/jobs/<int:pk>/", JobView, name="masa_job")]

