"""Every way the README and the demo run Masa — ``masa_worker`` (the demo's worker), ``masa_sweep``
(once or with ``--loop``) and Celery beat's ``masa.sweep_due_actions`` — leaves a heartbeat,
and the Journeys panel and ``manage.py check`` read it: no "No worker has run" while one runs."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from masa import tasks, worker
from masa.checks import missing
from masa.models import WorkerHeartbeat

from ..helpers import editor

pytestmark = pytest.mark.django_db


class Stop(Exception):
    pass


def panel(client) -> str:
    client.force_login(editor())
    home = client.get("/admin/").content.decode()
    return home[home.index("masa-dashboard"):]


def worker_warned() -> bool:
    return "masa.W003" in [check_id for check_id, _, _ in missing()]


def test_masa_sweep_once_leaves_a_heartbeat_the_panel_reads(client):
    assert worker_warned()
    call_command("masa_sweep")
    assert WorkerHeartbeat.objects.get(name="masa_sweep").seen_at > timezone.now() - timedelta(minutes=1)
    assert not worker_warned()
    shown = panel(client)
    assert "No worker has run" not in shown
    assert "Last worker round: masa_sweep, less than a minute ago." in shown


def test_masa_sweep_loop_leaves_a_heartbeat_every_round(monkeypatch):
    from masa.management.commands import masa_sweep

    rounds = []

    def sleep(seconds):
        rounds.append(WorkerHeartbeat.objects.get(name="masa_sweep").seen_at)
        if len(rounds) == 2:
            raise Stop
    monkeypatch.setattr(masa_sweep.time, "sleep", sleep)
    with pytest.raises(Stop):
        call_command("masa_sweep", loop=5)
    assert rounds[1] > rounds[0], "each round beats again"
    assert not worker_warned()


def test_celery_beats_sweep_leaves_a_heartbeat_the_panel_names(client):
    tasks.sweep_due_actions()
    assert WorkerHeartbeat.objects.filter(name="celery").exists()
    shown = panel(client)
    assert "No worker has run" not in shown
    assert "Last worker round: Celery beat's sweep, less than a minute ago." in shown


def test_masa_worker_leaves_a_heartbeat_the_panel_names(client):
    call_command("masa_worker", once=True)
    shown = panel(client)
    assert "No worker has run" not in shown and "Last worker round: masa_worker" in shown


def test_a_silent_worker_is_named_with_every_way_to_run_one(client):
    WorkerHeartbeat.objects.create(name="masa_sweep", seen_at=timezone.now() - timedelta(minutes=11))
    assert worker_warned()
    shown = panel(client)
    assert "masa-worker" not in shown
    assert "No worker has run in the last 10 minutes (masa_worker, masa_sweep or Celery beat" in shown
    assert "masa_sweep --loop 5" in shown and "masa.sweep_due_actions" in shown and "masa_worker" in shown


def test_a_worker_that_ran_minutes_ago_says_when(client):
    worker.beat(worker.SWEEPER)
    WorkerHeartbeat.objects.filter(name="masa_sweep").update(seen_at=timezone.now() - timedelta(minutes=3))
    assert "Last worker round: masa_sweep, 3\xa0minutes ago." in panel(client)
