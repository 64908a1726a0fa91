"""Background jobs: progress seen while they run (through a connection of their own), cancel,
failure recorded, a simulation that locks no live row, and who may see and cancel them."""
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from masa import jobs
from masa.models import Customer, Job, Rule, ScheduledAction
from masa.packs.simulate import simulate

from ..helpers import denied, editor, place_order, viewer


def _wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def slow_kind(monkeypatch):
    """A job kind that counts to 200 slowly, reporting each step (and so checking for a cancel)."""
    started = threading.Event()

    def count(job, progress):
        for number in range(200):
            progress(number, 200, f"step {number}")
            started.set()
            time.sleep(0.02)
        return {"counted": 200}

    monkeypatch.setitem(jobs.RUNNERS, Job.Kind.SIMULATE, count)
    return started


@pytest.mark.django_db(transaction=True)
def test_a_job_in_a_thread_reports_progress_and_stops_when_cancelled(slow_kind, settings):
    settings.MASA = {**settings.MASA, "JOBS": "thread"}
    from django.db import transaction

    with transaction.atomic():
        job = jobs.start(Job.Kind.SIMULATE, "Count", "edna")
    assert _wait_for(lambda: Job.objects.get(pk=job.pk).done >= 5), "progress is seen while the job runs"
    running = Job.objects.get(pk=job.pk)
    assert running.status == "running" and running.total == 200 and running.note.startswith("step ")
    jobs.cancel(running)
    assert _wait_for(lambda: Job.objects.get(pk=job.pk).status == "cancelled")
    assert Job.objects.get(pk=job.pk).done < 200


@pytest.mark.django_db
def test_a_finished_job_keeps_its_outcome_and_a_failing_one_its_error(monkeypatch):
    monkeypatch.setitem(jobs.RUNNERS, Job.Kind.SIMULATE, lambda job, progress: {"answer": 42})
    done = jobs.start(Job.Kind.SIMULATE, "Answer", "edna")
    done.refresh_from_db()
    assert (done.status, done.outcome, done.percent) == ("done", {"answer": 42}, 100)

    def boom(job, progress):
        raise RuntimeError("the pack file went away")

    monkeypatch.setitem(jobs.RUNNERS, Job.Kind.SIMULATE, boom)
    failed = jobs.start(Job.Kind.SIMULATE, "Boom", "edna")
    failed.refresh_from_db()
    assert failed.status == "failed" and "the pack file went away" in failed.error


@pytest.mark.django_db
def test_a_job_without_a_sign_of_life_is_shown_as_stalled():
    job = Job.objects.create(kind="simulate", title="Gone", status="running",
                             started_at=timezone.now() - timedelta(hours=1), beat_at=timezone.now() - timedelta(hours=1))
    assert jobs.stalled(job)


@pytest.mark.django_db(transaction=True)
def test_a_simulation_locks_no_live_row_and_writes_nothing_live(client, signing_store, refill_rule, email_channel):
    place_order(client, signing_store, when=timezone.now() - timedelta(days=30))
    ScheduledAction.objects.all().delete()
    customer = Customer.objects.get()
    seen = {}

    def meanwhile(done, total):
        if seen:
            return
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute("UPDATE masa_customer SET first_name = 'Rivka' WHERE id = %s", [customer.pk])
                cursor.execute("UPDATE masa_rule SET title = title WHERE id = %s", [refill_rule.pk])
                cursor.execute("SELECT count(*) FROM masa_scheduledaction")
                seen["live actions"] = cursor.fetchone()[0]
        finally:
            other.close()
        seen["ok"] = True

    would = simulate("local", 60, rule_id=refill_rule.rule_id, progress=meanwhile)
    if connection.vendor != "postgresql":
        pytest.skip("private copies are a PostgreSQL feature")
    assert seen == {"ok": True, "live actions": 0}, "the store's rows stay writable while a simulation runs"
    assert [w.kind for w in would] == ["send"]
    assert Customer.objects.get().first_name == "Rivka" and not ScheduledAction.objects.exists()
    assert Rule.objects.get(pk=refill_rule.pk).enabled


@pytest.mark.django_db
def test_only_editors_see_and_cancel_jobs(client, monkeypatch):
    monkeypatch.setitem(jobs.RUNNERS, Job.Kind.SIMULATE, lambda job, progress: {})
    job = Job.objects.create(kind="simulate", title="Queued", created_by="edna")
    client.force_login(viewer())
    assert denied(client.get(reverse("masa_jobs")))
    assert denied(client.get(reverse("masa_job", args=[job.pk])))
    assert denied(client.post(reverse("masa_job", args=[job.pk]), {"do": "cancel"}))
    client.force_login(editor())
    assert "Queued" in client.get(reverse("masa_jobs")).content.decode()
    page = client.get(reverse("masa_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and "Cancel" in page
    client.post(reverse("masa_job", args=[job.pk]), {"do": "cancel"})
    assert Job.objects.get(pk=job.pk).status == "cancelled"
