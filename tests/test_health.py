"""/masa/health/ as anyone on the internet calls it: 200 while the worker is seen and nothing waits
too long, 503 naming the failing check in words otherwise; nothing of a store, a customer, a
setting's value or an error leaks; each check is one query over an index."""
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masa.health import checks
from masa.models import Customer, InboundDelivery, ScheduledAction, StoreEvent, WorkerHeartbeat

pytestmark = pytest.mark.django_db
URL = "/masa/health/"


def stranger():
    return Client(enforce_csrf_checks=True)


def worker_seen(ago: timedelta = timedelta(seconds=5)):
    WorkerHeartbeat.objects.update_or_create(name="masa_worker", defaults={"seen_at": timezone.now() - ago})


def stored_webhook(ago: timedelta, status=InboundDelivery.Status.RECEIVED, domain="secret-shop.example"):
    return InboundDelivery.objects.create(source="saleor", event_type="order_created", domain=domain, status=status,
                                          body='{"email": "ruth@example.com"}', received_at=timezone.now() - ago)


def pending_action(due_ago: timedelta, key="a", status=ScheduledAction.Status.PENDING):
    customer, _ = Customer.objects.get_or_create(email="ruth@example.com")
    event, _ = StoreEvent.objects.get_or_create(source="test", source_id="e-1", defaults={
        "name": "order_placed", "customer": customer, "occurred_at": timezone.now()})
    return ScheduledAction.objects.create(idempotency_key=f"k-{key}", customer=customer, event=event, step=1,
                                          kind="send", params={}, due_at=timezone.now() - due_ago, status=status)


def test_a_healthy_site_answers_200_ok_and_is_never_cached():
    worker_seen()
    stored_webhook(timedelta(seconds=30))
    pending_action(timedelta(minutes=1))
    response = stranger().get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "worker", "unread_webhooks", "overdue_actions"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-store" in response["Cache-Control"]


def test_no_worker_seen_is_503_naming_the_worker_check():
    worker_seen(timedelta(minutes=3))  # the default limit is 2m
    response = stranger().get(URL)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["failing"] == ["worker"]
    assert "no worker" in body["checks"]["worker"]["reason"]
    assert body["checks"]["worker"]["limit_seconds"] == 120


def test_a_site_that_never_ran_a_worker_is_failing():
    assert stranger().get(URL).json()["failing"] == ["worker"]


def test_a_webhook_unread_beyond_its_limit_fails_and_read_ones_do_not_count():
    worker_seen()
    stored_webhook(timedelta(hours=3), status=InboundDelivery.Status.ACCEPTED)
    stored_webhook(timedelta(hours=3), status=InboundDelivery.Status.REJECTED)
    assert stranger().get(URL).status_code == 200
    stored_webhook(timedelta(minutes=6))
    body = stranger().get(URL).json()
    assert body["failing"] == ["unread_webhooks"]
    assert body["checks"]["unread_webhooks"]["age_seconds"] >= 360


def test_an_action_overdue_beyond_its_limit_fails_and_done_ones_do_not_count(settings):
    worker_seen()
    pending_action(timedelta(hours=2), key="done", status=ScheduledAction.Status.DONE)
    pending_action(timedelta(minutes=10), key="late-but-within")
    assert stranger().get(URL).status_code == 200
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": {"oldest_overdue_action": "5m"}}  # others keep defaults
    body = stranger().get(URL).json()
    assert body["failing"] == ["overdue_actions"]
    assert body["checks"]["overdue_actions"]["limit_seconds"] == 300
    assert body["checks"]["worker"]["limit_seconds"] == 120


def test_an_unreachable_database_is_503_database_unreachable_without_the_error(caplog):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("password authentication failed "
                                                                            "for user masa_prod at db.internal")):
        response = stranger().get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "failing": ["database"],
                               "checks": {"database": {"ok": False, "reason": "database unreachable"}}}
    assert "masa_prod" not in response.content.decode() and "db.internal" not in response.content.decode()


def test_a_limit_that_is_no_duration_is_named_not_shown(settings):
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": {"worker_seen": "s3cr3t-ish"}}
    response = stranger().get(URL)
    assert response.status_code == 503
    assert response.json()["checks"]["settings"]["reason"] == "MASA['HEALTH_LIMITS']['worker_seen'] is not a duration"
    assert "s3cr3t" not in response.content.decode()


def test_it_says_nothing_of_stores_customers_or_addresses():
    worker_seen(timedelta(hours=1))
    stored_webhook(timedelta(hours=1), domain="secret-shop.example")
    pending_action(timedelta(hours=1))
    text = stranger().get(URL).content.decode()
    for private in ("secret-shop", "ruth", "example.com", "order_created", "k-a"):
        assert private not in text
    assert set(json.loads(text)) == {"status", "checks", "failing"}


def test_get_and_head_only_with_no_cookies_needed():
    worker_seen()
    client = stranger()
    assert client.head(URL).status_code == 200
    for method in (client.post, client.put, client.delete, client.patch):
        assert method(URL).status_code == 405
    assert "Set-Cookie" not in client.get(URL).headers


def test_three_queries_whatever_the_backlog():
    worker_seen(timedelta(hours=1))
    for number in range(30, 0, -1):  # stored oldest first, as intake stores them
        stored_webhook(timedelta(minutes=number))
        pending_action(timedelta(hours=1, minutes=number), key=str(number))
    with CaptureQueriesContext(connection) as queries:
        found = checks()
    assert len(queries) == 3
    assert not any(check["ok"] for name, check in found.items() if name != "database")


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small: ask whether an index serves
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_backlog_checks_read_their_partial_indexes():
    with CaptureQueriesContext(connection) as queries:
        checks()
    unread, overdue = queries.captured_queries[1]["sql"], queries.captured_queries[2]["sql"]  # values inlined
    assert "masa_inbound_received" in _plan(unread, None)
    assert "masa_action_due" in _plan(overdue, None)


@pytest.mark.parametrize("limits, reason", [
    ("5m", "MASA['HEALTH_LIMITS'] is not a dict of durations"),
    ([("worker_seen", "5m")], "MASA['HEALTH_LIMITS'] is not a dict of durations"),
    ({"worker_seen": True}, "MASA['HEALTH_LIMITS']['worker_seen'] is not a duration"),
    ({"oldest_unread_webhook": "-5m"}, "MASA['HEALTH_LIMITS']['oldest_unread_webhook'] is not a duration"),
    ({"oldest_overdue_action": "1e9d"}, "MASA['HEALTH_LIMITS']['oldest_overdue_action'] is not a duration"),
    ({"worker_seen": {}}, "MASA['HEALTH_LIMITS']['worker_seen'] is not a duration"),
    ({"worker_seen": float("inf")}, "MASA['HEALTH_LIMITS']['worker_seen'] is not a duration"),
])
def test_limits_of_the_wrong_shape_are_a_503_naming_the_setting_never_a_500(settings, limits, reason):
    worker_seen()
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": limits}
    response = stranger().get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "failing": ["settings"],
                               "checks": {"settings": {"ok": False, "reason": reason}}}


def test_limits_set_to_none_keep_the_defaults(settings):
    worker_seen()
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": None}
    response = stranger().get(URL)
    assert response.status_code == 200 and response.json()["checks"]["worker"]["limit_seconds"] == 120


@pytest.mark.parametrize("header", ["Bearer " + "x" * 8000, "Basic \u00e9\u00e9", "\x00\x01", "Bearer"])
def test_odd_headers_and_a_query_string_change_nothing(header):
    worker_seen()
    response = stranger().get(URL + "?format=xml&checks=all", HTTP_AUTHORIZATION=header, HTTP_ACCEPT="text/html",
                              HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_COOKIE="sessionid=forged")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] and "Set-Cookie" not in response.headers
