"""One writer of scheduled actions (issue 29): every action is created through
``actions.schedule``; a send resolves its channel once and hands it on to delivery."""
import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

from masa import channels
from masa.actions import due
from masa.models import Delivery, ScheduledAction

from ..helpers import order_payload, post_signed

PLUGIN = Path(__file__).resolve().parents[2] / "plugin"
WRITER = PLUGIN / "actions" / "schedule.py"
CREATES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def creations(path: Path) -> list[str]:
    """Where a module creates scheduled actions itself: the ORM's create calls on ScheduledAction,
    an INSERT into its table."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CREATES \
                and "ScheduledAction.objects" in ast.unparse(node.func.value):
            found.append(f"{path.relative_to(PLUGIN)}:{node.lineno} {ast.unparse(node.func)}")
    text = path.read_text()
    if re.search(r"INSERT INTO \{?(_ACTIONS|masa_scheduledaction)", text):
        found.append(f"{path.relative_to(PLUGIN)}: INSERT INTO the actions table")
    return found


def test_only_the_action_stage_writer_creates_scheduled_actions():
    assert [found for path in sorted(PLUGIN.rglob("*.py")) if path != WRITER for found in creations(path)] == []
    assert creations(WRITER) == [] and "def write(" in WRITER.read_text()


@pytest.mark.django_db
def test_a_send_looks_its_channel_backend_up_once(client, signing_store, refill_rule, email_channel, monkeypatch):
    post_signed(client, signing_store, "order_created", order_payload())
    action = ScheduledAction.objects.get(kind="send")
    lookups = []
    configured = channels.backends
    monkeypatch.setattr(channels, "backends", lambda: lookups.append(1) or configured())
    assert due.sweep(now=action.due_at + timedelta(minutes=1)) == {"done": 1}
    assert Delivery.objects.get().status == "sent" and len(lookups) == 1
