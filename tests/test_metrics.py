"""/masa/metrics/ as anyone on the internet calls it (404 without a token set, 401/403 without the
right one) and as Prometheus does; the counters counted where things happen, with no query; the
backlog gauges read in the same few indexed queries however long the backlog; Masa without
prometheus_client; several processes added up in multiprocess mode."""
import io
import os
import socket
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from masa import metrics
from masa.actions.due import dispatch
from masa.models import Channel, Customer, InboundDelivery, ScheduledAction, StoreEvent, WorkerHeartbeat
from masa.rules.evaluate import evaluate_events

from .helpers import post_signed, post_webhook, order_payload

pytestmark = pytest.mark.django_db
URL = "/masa/metrics/"
TOKEN = "prom-7c1d2e9f4b6a8c0e3f5a7b9d1e2f4a6c"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def token(settings):
    settings.MASA = {**settings.MASA, "METRICS_TOKEN": TOKEN}


def scrape(client=None):
    response = (client or Client()).get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return {sample.name: sample for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples if not sample.labels}, response


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def customer():
    return Customer.objects.get_or_create(email="ruth@example.com", defaults={"first_name": "Ruth",
                                                                               "marketing_consent": True})[0]


def event(key="1", status=StoreEvent.Status.PROCESSED, ago=timedelta(0)):
    return StoreEvent.objects.create(source="test", source_id=f"e-{key}", name="order_placed", customer=customer(),
                                     occurred_at=timezone.now(), received_at=timezone.now() - ago, status=status)


def action(key, due_ago=timedelta(0), status=ScheduledAction.Status.PENDING, rule=None, params=None):
    return ScheduledAction.objects.create(
        idempotency_key=f"k-{key}", customer=customer(), event=event(key), rule=rule, step=1, kind="send",
        params=params or {}, due_at=timezone.now() - due_ago, status=status, claimed_at=timezone.now())


def backlog(rows: int):
    for number in range(rows, 0, -1):  # stored oldest first, as they are
        InboundDelivery.objects.create(source="saleor", status=InboundDelivery.Status.RECEIVED, dedupe_key=f"d{number}",
                                       received_at=timezone.now() - timedelta(minutes=number))
        event(f"w{number}", status=StoreEvent.Status.RECEIVED, ago=timedelta(minutes=number))
        action(f"a{number}", due_ago=timedelta(minutes=number))


# The endpoint, as its senders call it

def test_without_a_token_set_it_is_not_there():
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_a_stranger_without_the_token_is_refused(token):
    client = Client()
    missing = client.get(URL)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "):
        refused = client.get(URL, HTTP_AUTHORIZATION=header)
        assert refused.status_code == 403, header
        assert b"masa_" not in refused.content


def test_prometheus_with_the_token_reads_every_metric_uncached(token):
    _, response = scrape()
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    for name in ("masa_webhooks_unread", "masa_webhooks_unread_oldest_seconds", "masa_events_waiting",
                 "masa_events_waiting_oldest_seconds", "masa_actions_due", "masa_actions_due_oldest_seconds",
                 "masa_channel_circuit_open", "masa_worker_last_seen_seconds", "masa_webhooks_received_total",
                 "masa_webhooks_refused_total", "masa_sends_total", "masa_actions_total",
                 "masa_actions_cancelled_total", "masa_events_evaluated_total", "masa_evaluation_seconds"):
        assert f"# HELP {name}" in text or f"# HELP {name.removesuffix('_total')}" in text, name
    assert Client().head(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert Client().post(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_without_prometheus_client_it_says_what_to_install(token, monkeypatch):
    monkeypatch.setattr(metrics, "prometheus_client", None)
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 501
    assert 'pip install "masa[metrics]"' in response.content.decode()
    assert Client().get(URL).status_code == 401  # a stranger still learns nothing


def test_masa_imports_and_counts_nothing_without_prometheus_client():
    script = textwrap.dedent("""
        import sys
        sys.modules["prometheus_client"] = None  # import prometheus_client raises ImportError
        import django
        django.setup()
        from django.test import RequestFactory, override_settings
        from masa import metrics, urls  # every module that counts is imported by the URLs
        metrics.webhook_received("saleor", True)
        metrics.webhook_refused("sms", "sms_bad_token")
        metrics.send_reported("email", False, True)
        metrics.action_finished("send", "cancelled", "guard")
        with metrics.timed_evaluation() as statuses:
            statuses.append("processed")
        with override_settings(MASA={"METRICS_TOKEN": "t"}):
            response = metrics.metrics_view(RequestFactory().get("/masa/metrics/", HTTP_AUTHORIZATION="Bearer t"))
        print(response.status_code, response.content.decode().strip())
    """)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'example'}", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '501 Metrics need the prometheus-client package: pip install "masa[metrics]".'


def test_several_processes_are_added_up_in_multiprocess_mode(tmp_path):
    counting = textwrap.dedent("""
        import django
        django.setup()
        from masa import metrics
        metrics.webhook_refused("saleor", "bad_signature")
    """)
    scraping = textwrap.dedent("""
        import django
        django.setup()
        from django.test import RequestFactory, override_settings
        from masa import metrics
        metrics.Backlog.collect = lambda self: iter(())  # this check is about the counters, not the database
        with override_settings(MASA={"METRICS_TOKEN": "t"}):
            response = metrics.metrics_view(RequestFactory().get("/masa/metrics/", HTTP_AUTHORIZATION="Bearer t"))
        print(response.content.decode())
    """)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'example'}", "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for script in (counting, counting, scraping):
        done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
    assert 'masa_webhooks_refused_total{reason="bad_signature",source="saleor"} 2.0' in done.stdout


# The counters, where things happen

def test_a_refusal_is_counted_by_its_reason_code_as_recorded(client):
    before = counted("masa_webhooks_refused_total", source="saleor", reason="missing_signature")
    response = post_webhook(client, b"{}", {"Saleor-Event": "order_created", "Saleor-Domain": "localhost:8000",
                                            "Saleor-Api-Url": "http://localhost:8000/graphql/"})
    assert response.status_code == 401
    assert InboundDelivery.objects.get().reason.startswith("missing_signature")
    assert counted("masa_webhooks_refused_total", source="saleor", reason="missing_signature") == before + 1


def test_a_stored_webhook_and_its_duplicate_are_counted_apart(client, signing_store):
    stored = counted("masa_webhooks_received_total", source="saleor", outcome="stored")
    duplicate = counted("masa_webhooks_received_total", source="saleor", outcome="duplicate")
    payload = order_payload()
    assert post_signed(client, signing_store, "order_created", payload).json()["status"] == "accepted"
    assert post_signed(client, signing_store, "order_created", payload).json()["status"] == "duplicate"
    assert counted("masa_webhooks_received_total", source="saleor", outcome="stored") == stored + 1
    assert counted("masa_webhooks_received_total", source="saleor", outcome="duplicate") == duplicate + 1


def test_sends_and_cancellations_are_counted_by_kind_and_code(email_channel, refill_rule):
    sent = counted("masa_sends_total", channel_kind="email", outcome="sent")
    done = counted("masa_actions_total", action_kind="send", status="done")
    rule_off = counted("masa_actions_cancelled_total", action_kind="send", channel="email", reason="rule_off")
    params = {"channel": "email", "template": "refill-absorbent", "class": "transactional"}
    assert dispatch(action("sent", status=ScheduledAction.Status.CLAIMED, params=params).pk) == "done"
    refill_rule.enabled = False
    refill_rule.save()
    off = action("off", status=ScheduledAction.Status.CLAIMED, rule=refill_rule, params=params)
    assert dispatch(off.pk) == "cancelled"
    assert counted("masa_sends_total", channel_kind="email", outcome="sent") == sent + 1
    assert counted("masa_actions_total", action_kind="send", status="done") == done + 1
    assert counted("masa_actions_cancelled_total", action_kind="send", channel="email", reason="rule_off") == rule_off + 1


def test_a_send_the_customer_has_no_address_for_is_counted_skipped(email_channel):
    skipped = counted("masa_actions_cancelled_total", action_kind="send", channel="email", reason="skipped")
    Customer.objects.create(email="", first_name="Noa")
    no_address = ScheduledAction.objects.create(
        idempotency_key="k-none", customer=Customer.objects.get(first_name="Noa"), event=event("n"), step=1,
        kind="send", params={"channel": "email", "template": "x", "class": "transactional"}, due_at=timezone.now(),
        status=ScheduledAction.Status.CLAIMED, claimed_at=timezone.now())
    assert dispatch(no_address.pk) == "cancelled"
    assert counted("masa_actions_cancelled_total", action_kind="send", channel="email", reason="skipped") == skipped + 1


def test_a_marketing_send_without_consent_is_counted_by_its_channel_and_the_guard(email_channel):
    """Skips per channel and reason: which channel a shop loses sends on, and why."""
    Channel.objects.create(name="Shop SMS", kind="sms", config={"provider": "http", "url": "https://sms.example.com/"})
    Customer.objects.create(email="noa@example.com", first_name="Noa", phone="+972500000009")
    before = counted("masa_actions_cancelled_total", action_kind="send", channel="shop-sms", reason="marketing_consent")
    unconsented = ScheduledAction.objects.create(
        idempotency_key="k-sms", customer=Customer.objects.get(first_name="Noa"), event=event("s"), step=1,
        kind="send", params={"channel": "Shop SMS", "template": "x", "class": "marketing"}, due_at=timezone.now(),
        status=ScheduledAction.Status.CLAIMED, claimed_at=timezone.now())
    assert dispatch(unconsented.pk) == "cancelled"
    assert counted("masa_actions_cancelled_total", action_kind="send", channel="shop-sms",
                   reason="marketing_consent") == before + 1


def test_an_evaluation_is_timed_and_its_events_counted():
    timed = counted("masa_evaluation_seconds_count")
    processed = counted("masa_events_evaluated_total", status="processed")
    waiting = event("to-evaluate", status=StoreEvent.Status.RECEIVED)
    assert evaluate_events([waiting.pk]) == ["processed"]
    assert counted("masa_evaluation_seconds_count") == timed + 1
    assert counted("masa_events_evaluated_total", status="processed") == processed + 1


def test_counting_asks_the_database_nothing():
    with CaptureQueriesContext(connection) as queries:
        metrics.webhook_received("whatsapp", True)
        metrics.webhook_refused("sms", "sms_bad_token")
        metrics.send_reported("sms", False, False)
        metrics.action_finished("send", "cancelled", "guard")
        with metrics.timed_evaluation() as statuses:
            statuses.append("failed")
    assert len(queries) == 0


# The backlog, read at scrape time

def test_the_gauges_say_what_waits_and_since_when(token):
    backlog(3)
    WorkerHeartbeat.objects.create(name="masa_worker", seen_at=timezone.now() - timedelta(seconds=90))
    Channel.objects.create(name="SMS", kind="sms", circuit_open_until=timezone.now() + timedelta(minutes=5))
    Channel.objects.create(name="Mail", kind="email", circuit_open_until=timezone.now() - timedelta(minutes=5))
    action("later", due_ago=-timedelta(hours=1))  # not due yet
    event("done", status=StoreEvent.Status.PROCESSED, ago=timedelta(days=3))
    samples, response = scrape()
    assert samples["masa_webhooks_unread"].value == 3
    assert samples["masa_events_waiting"].value == 3
    assert samples["masa_actions_due"].value == 3
    for name in ("masa_webhooks_unread_oldest_seconds", "masa_events_waiting_oldest_seconds",
                 "masa_actions_due_oldest_seconds"):
        assert 180 <= samples[name].value < 240, name
    assert 90 <= samples["masa_worker_last_seen_seconds"].value < 150
    text = response.content.decode()
    assert 'masa_channel_circuit_open{channel="SMS",kind="sms"} 1.0' in text
    assert 'masa_channel_circuit_open{channel="Mail",kind="email"} 0.0' in text


def test_an_empty_site_reads_zero_and_a_worker_never_seen(token):
    samples, _ = scrape()
    assert samples["masa_webhooks_unread"].value == 0 and samples["masa_webhooks_unread_oldest_seconds"].value == 0
    assert samples["masa_worker_last_seen_seconds"].value == float("inf")


def test_counts_stop_at_the_cap(token, monkeypatch):
    monkeypatch.setattr(metrics, "CAP", 5)
    backlog(8)
    samples, _ = scrape()
    assert samples["masa_webhooks_unread"].value == 5
    assert samples["masa_actions_due"].value == 5
    assert samples["masa_webhooks_unread_oldest_seconds"].value >= 8 * 60  # still the oldest: read in order


def queries_per_scrape() -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        list(metrics.Backlog().collect())
    return [query["sql"] for query in queries.captured_queries]


def test_a_scrape_costs_the_same_queries_with_10_or_100_waiting():
    backlog(10)
    ten = queries_per_scrape()
    backlog_more = 90
    for number in range(backlog_more):
        InboundDelivery.objects.create(source="saleor", status=InboundDelivery.Status.RECEIVED, dedupe_key=f"m{number}")
        event(f"wm{number}", status=StoreEvent.Status.RECEIVED)
        action(f"m{number}", due_ago=timedelta(seconds=1))
    hundred = queries_per_scrape()
    assert len(ten) == len(hundred) == 5


def test_the_backlog_queries_read_their_partial_indexes():
    unread, waiting, due = queries_per_scrape()[:3]

    def plan(sql):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small: ask whether an index serves
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    assert "masa_inbound_received" in plan(unread)
    assert "masa_event_outbox" in plan(waiting)
    assert "masa_action_due" in plan(due)


# The worker's own port

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_masa_worker_serves_its_counters_on_the_port_it_is_given():
    port = free_port()
    out = io.StringIO()
    call_command("masa_worker", "--once", "--metrics-port", str(port), stdout=out)
    assert f"counters on http://127.0.0.1:{port}/" in out.getvalue()
    text = httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
    assert "masa_sends_total" in text or "# HELP masa_sends " in text
    assert "masa_webhooks_unread" not in text  # the backlog is the site's endpoint's, read from the database


def test_masa_worker_without_prometheus_client_says_what_to_install(monkeypatch):
    monkeypatch.setattr(metrics, "prometheus_client", None)
    with pytest.raises(CommandError, match=r'pip install "masa\[metrics\]"'):
        call_command("masa_worker", "--once", "--metrics-port", str(free_port()))


# What a stranger and a careless setting can do

@pytest.mark.parametrize("setting", ["", "   ", "\n", 12345678901234567890, ["a-long-random-token-in-a-list"],
                                     b"a-long-random-token-as-bytes"])
def test_a_blank_token_or_one_that_is_no_text_serves_nothing(settings, setting):
    settings.MASA = {**settings.MASA, "METRICS_TOKEN": setting}
    client = Client()
    for header in ("Bearer ", "Bearer   ", f"Bearer {setting}", f"Bearer {setting!s}".strip(), "Bearer ['a-long-random-"
                   "token-in-a-list']", "Bearer b'a-long-random-token-as-bytes'"):
        assert client.get(URL, HTTP_AUTHORIZATION=header).status_code == 404, header


def test_a_token_read_from_a_file_with_its_newline_still_matches(settings):
    settings.MASA = {**settings.MASA, "METRICS_TOKEN": f"  {TOKEN}\n"}
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Bearer   {TOKEN}  ").status_code == 200


@pytest.mark.parametrize("header", ["Bearer " + "x" * 60_000, "Bearer \u00e9\u00e8\u4e2d", "Bearer \udcff", "\x00",
                                    "Bearer\t" + TOKEN, "bearer", "Token " + TOKEN, "Bearer " + TOKEN + " " + TOKEN])
def test_odd_authorization_headers_are_refused_before_any_query(token, header):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 403 and response.content == b"Wrong token.\n"
    assert len(queries) == 0 and "no-store" in response["Cache-Control"]


def test_the_token_is_compared_as_equal_length_digests(token, monkeypatch):
    compared = []
    real = metrics.hmac.compare_digest
    monkeypatch.setattr(metrics.hmac, "compare_digest", lambda a, b: compared.append((len(a), len(b))) or real(a, b))
    for guess in ("p", TOKEN[:10], TOKEN + "x" * 500):
        Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {guess}")
    assert compared == [(32, 32)] * 3


def test_label_values_are_short_codes_and_at_most_so_many_per_label(monkeypatch):
    monkeypatch.setattr(metrics, "_kept", {})
    assert metrics.bounded("reason", "bad_signature") == "bad_signature"
    for odd in ("Bad Signature", 'a"b', "x\ny", "ראשון", "a" * 49, "", "1abc", "{x}"):
        assert metrics.bounded("reason", odd) == metrics.OTHER, odd
    kept = [metrics.bounded("reason", f"code_{number}") for number in range(200)]
    assert len(set(kept) - {metrics.OTHER}) == metrics.LABEL_VALUES_KEPT - 1  # bad_signature took one
    assert metrics.bounded("reason", "bad_signature") == "bad_signature"  # one kept stays itself
    assert metrics.bounded("source", "saleor") == "saleor"  # each label has its own values


def refused_series() -> dict[tuple[str, str], float]:
    return {(sample.labels["source"], sample.labels["reason"]): sample.value for family in REGISTRY.collect()
            if family.name == "masa_webhooks_refused" for sample in family.samples
            if sample.name == "masa_webhooks_refused_total"}


def test_a_stranger_sending_varied_bad_webhooks_adds_no_label_value_of_their_own(client, settings):
    from masa.admin.attention import ADVICE

    settings.MASA = {**settings.MASA, "RATE_LIMITS": {**settings.MASA["RATE_LIMITS"], "webhook_rejected": "100000/m"}}
    before = refused_series()
    for number in range(12):
        odd = f'evil-{number}-"\n{{}}'
        address = f"203.0.113.{number + 1}"
        post_webhook(client, f'{{"x": {number}'.encode(), {
            "Saleor-Event": f"order_{odd}", "Saleor-Domain": f"{odd}.example", "Saleor-Api-Url": f"http://{odd}/",
            "Saleor-Signature": odd, "Content-Type": "application/json"})
        client.post(f"/masa/webhooks/whatsapp/{900 + number}/", data=odd, content_type="application/json",
                    REMOTE_ADDR=address)
        client.post(f"/masa/webhooks/sms/{900 + number}/?token={odd}", data={"Body": odd}, REMOTE_ADDR=address)
    after = refused_series()
    counted_now = {labels for labels, value in after.items() if value > before.get(labels, 0)}
    assert sum(after.values()) - sum(before.values()) == 36
    assert {source for source, _ in counted_now} == {"saleor", "whatsapp", "sms"}
    assert {reason for _, reason in counted_now} <= set(ADVICE) | {metrics.OTHER}
    assert not [labels for labels in after if "evil" in "".join(labels)]


def test_channel_names_with_quotes_and_new_lines_are_escaped_and_shown_for_200_channels_at_most(token):
    Channel.objects.create(name='Mail "main"\\\nline two', kind="email")
    for number in range(metrics.CHANNELS_SHOWN + 5):
        Channel.objects.create(name=f"c{number}", kind="sms")
    _, response = scrape()
    circuits = [sample for family in text_string_to_metric_families(response.content.decode())
                if family.name == "masa_channel_circuit_open" for sample in family.samples]
    assert len(circuits) == metrics.CHANNELS_SHOWN
    assert circuits[0].labels == {"channel": 'Mail "main"\\\nline two', "kind": "email"}
