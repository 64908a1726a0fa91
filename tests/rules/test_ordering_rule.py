"""The ordering rule of an evaluation (``rules.batch``, docs/architecture.md): code that reads or
writes a customer's actions in the database runs inside ``Batch.in_database``, after what was
planned so far is written and before the customer's list is read again."""
import ast
from datetime import timedelta
from pathlib import Path

from masa import signals
from masa.models import ScheduledAction
from masa.rules.evaluate import evaluate_events

from .test_batched_evaluation import LINE, T0, order, stored

RULES = Path(__file__).resolve().parents[2] / "plugin" / "rules"
# What the rules stage may call in the action stage outside the block: it neither reads nor
# writes scheduled actions in the database (rows are planned into the batch and written with it).
PURE = {"schedule.plan_rows", "guards.voided_by", "guards.failed_guard", "opt_in.confirmation",
        "abandonment.concerns"}


def action_stage_calls(tree, modules):
    """(call, line, inside ``with batch.in_database(…)``) for each call of an action-stage module."""
    found = []

    def visit(node, inside):
        if isinstance(node, ast.With):
            inside = inside or any(isinstance(item.context_expr, ast.Call)
                                   and isinstance(item.context_expr.func, ast.Attribute)
                                   and item.context_expr.func.attr == "in_database" for item in node.items)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in modules:
            found.append((f"{node.func.value.id}.{node.func.attr}", node.lineno, inside))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def test_the_evaluation_touches_actions_in_the_database_only_inside_the_ordering_block():
    outside = []
    for path in [RULES / "evaluate.py", RULES / "batch.py"]:
        tree = ast.parse(path.read_text())
        modules = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   and node.module == "actions" and node.level == 2 for alias in node.names}
        calls = action_stage_calls(tree, modules - {"schedule"} if path.name == "batch.py" else modules)
        assert path.name == "batch.py" or calls, "the evaluation calls no action stage module: the test is stale"
        outside += [f"{path.name}:{line} {call}" for call, line, inside in calls if not inside and call not in PURE]
    assert outside == []


def test_a_reminder_planned_before_a_cart_update_is_still_voided_by_an_order_later_in_the_batch(refill_rule):
    """The cart's code reads the customer's actions in the database: the refill planned by the first
    order is written before it, so the list read again after it still holds the refill, and the
    second order cancels it, as when the events are evaluated one by one."""
    cart = stored(lambda: signals.checkout_updated.send(
        sender=None, checkout_id="k1", customer_id="c1", email="c@example.com", occurred_at=T0 + timedelta(hours=1),
        lines=[LINE]))
    events = order(1, T0) + cart + order(2, T0 + timedelta(days=3))
    assert evaluate_events(events) == ["processed"] * len(events)
    first, second = ScheduledAction.objects.filter(kind="send").order_by("event_id")
    assert first.status == "cancelled" and first.voided_by.data["order_id"] == "o2" and second.status == "pending"
