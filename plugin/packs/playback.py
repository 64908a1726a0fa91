"""Time moved forward on the live path: stored events evaluated and due actions performed in the
order the clock reaches them, as the worker and the sweeper would, inside the caller's
transaction (a rehearsal rolls it back). Scenarios, simulation and forecasts share it.

The clock jumps from one due action to the next, so a message's send time is its due time (or
where caps and quiet hours deferred it); events Masa stores on the way (``message_sent``,
emitted events, confirmed cart abandonments, delayed effects) are evaluated before the clock
moves on, exactly as the worker would evaluate them after their commit.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.db import transaction

from ..actions.due import sweep
from ..models import ScheduledAction, StoreEvent
from ..rehearsal import rehearsing
from ..rules.evaluate import evaluate_events
from .shadow import shadow

MAX_STEPS = 20_000


@contextmanager
def rehearsal(copy: bool = False, customer_id: int | None = None, replay: bool = False):
    """The live path with nothing leaving Masa, in a transaction that is always rolled back;
    ``copy``: on private copies of the tables (``shadow``; ``customer_id``: that customer's rows;
    ``replay``: the rows a simulation replays from)."""
    with transaction.atomic(), rehearsing():
        if copy:
            shadow(customer_id, replay)
        try:
            yield
        finally:
            transaction.set_rollback(True)


class NeverSettles(RuntimeError):
    """Actions keep falling due at the same moment: a rule loop the validator could not see."""


class Clock:
    """The rehearsal's clock; only events stored after ``since_event`` are evaluated by it."""

    def __init__(self, start: datetime, since_event: int | None = None):
        self.now = start
        self.since_event = StoreEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 \
            if since_event is None else since_event

    def evaluate_waiting(self) -> int:
        waiting = list(StoreEvent.objects.filter(pk__gt=self.since_event, status=StoreEvent.Status.RECEIVED)
                       .order_by("occurred_at", "pk").values_list("pk", flat=True))
        if waiting:
            evaluate_events(waiting)
        return len(waiting)

    def run_until(self, moment: datetime) -> None:
        """Evaluate what waits, then perform every action due up to ``moment``, in time order."""
        for _ in range(MAX_STEPS):
            if self.evaluate_waiting():
                continue
            due = (ScheduledAction.objects.filter(status=ScheduledAction.Status.PENDING)
                   .order_by("due_at").values_list("due_at", flat=True).first())
            if due is None or due > moment:
                self.now = max(self.now, moment)
                return
            self.now = max(self.now, due)
            sweep(now=self.now)
        raise NeverSettles(f"actions keep falling due around {self.now:%Y-%m-%d %H:%M}: a rule loop?")
