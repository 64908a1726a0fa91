"""The embedded worker: evaluation, due actions and retries in one process on the site's own
database, no broker needed (``manage.py masa_worker``). Celery with Redis remains the way to spread
the work over machines; both may run at once (every step is idempotent and claims rows with
locks), and both leave a heartbeat the first-run check reads.

A round reads the webhooks intake stored, evaluates the stored events still waiting (up to
``EVALUATION_BATCH`` events in one transaction, of customers it has claimed: several workers share
the work without waiting on each other, each customer's events in order), then performs the
due actions; ``run`` repeats rounds, sleeping ``poll`` seconds only when a round
found nothing to do, so a new webhook is evaluated within about a second.

Stopping (SIGTERM from systemd or ``docker stop``, or Ctrl-C): the first signal lets the step in
hand finish — the read or evaluation transaction commits, the send in progress is recorded — and
hands back the actions this round claimed but did not start (pending again, for any worker);
then the worker exits 0. A second signal stops it at once: the open transaction rolls back (its
webhooks and events wait for the next worker), the claimed actions not started are handed back,
and a send cut short stays claimed until its lease ends, then goes again with the same
idempotency key (docs/reliability.md).
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, transaction
from django.utils import timezone

from . import conf
from .actions.due import never, sweep
from .models import WorkerHeartbeat
from .rules.broadcast import fan_out_due
from .signals.inbound import read
from .rules.evaluate import evaluate_events
from .rules.store import claim_waiting_events

log = logging.getLogger(__name__)
EMBEDDED = "masa_worker"
# Every way a site runs Masa leaves its heartbeat under its own name (the panel says which ran):
SWEEPER = "masa_sweep"  # manage.py masa_sweep [--loop N], the demo's sweeper
CELERY = "celery"  # Celery beat's masa.sweep_due_actions


@dataclass
class Round:
    evaluated: int = 0
    actions: dict = field(default_factory=dict)
    reached: int = 0  # customers a broadcast reached
    subscriptions: int = 0  # pack subscriptions checked (each once a day)
    read: bool = False  # stored webhooks were read

    @property
    def idle(self) -> bool:
        return not self.evaluated and not self.actions and not self.reached and not self.read and not self.subscriptions

    def __str__(self) -> str:
        done = ", ".join(f"{count} {status}" for status, count in sorted(self.actions.items())) or "no actions due"
        return f"evaluated {self.evaluated} events; {done}"


class StoppedAtOnce(BaseException):
    """A second SIGTERM / SIGINT while stopping: leave now. A BaseException, so that no
    ``except Exception`` on the way keeps the worker going; open transactions roll back."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class StopOnSignal:
    """The signal handler of ``run``: the first SIGTERM / SIGINT asks the worker to stop after the
    step in hand, a second one raises ``StoppedAtOnce``. It only sets a flag (no lock: it runs
    between any two bytecodes of the main thread)."""

    def __init__(self):
        self.asked = False

    def __call__(self, signum, frame) -> None:
        if self.asked:
            raise StoppedAtOnce(signum)
        self.asked = True
        log.info("masa_worker: %s received, stopping after the step in hand (send it again to stop at once)",
                 signal.Signals(signum).name)


def beat(name: str) -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def evaluate_waiting(limit: int, stopped=never) -> int:
    """Evaluate waiting events, ``EVALUATION_BATCH`` at a time, of customers this worker claims,
    until ``stopped()``; returns how many (at most about ``limit``)."""
    batch, evaluated = max(1, conf.get("EVALUATION_BATCH")), 0
    while evaluated < limit and not stopped():
        with transaction.atomic():
            event_ids = claim_waiting_events(batch)
            if event_ids:
                evaluate_events(event_ids)
        if not event_ids:
            break
        evaluated += len(event_ids)
    return evaluated


def check_subscriptions() -> int:
    """The pack subscriptions due their daily check (looked for every few minutes); a failure is logged."""
    from .packs.subscriptions import check_due_now_and_then

    try:
        return check_due_now_and_then()
    except Exception:  # noqa: BLE001 - the round goes on; the next look tries again
        log.exception("Checking pack subscriptions failed")
        return 0


def run_once(now=None, limit: int | None = None, stopped=never) -> Round:
    """One round; it ends after the step in hand once ``stopped()`` says so."""
    limit = limit or conf.get("SWEEP_BATCH_SIZE")
    done = Round()
    done.reached = fan_out_due()
    while not stopped() and read(limit):
        done.read = True
    done.evaluated = evaluate_waiting(limit, stopped)
    if not stopped():
        done.actions = {str(status): count for status, count in sweep(now, limit, stopped).items()}
    if not stopped():
        done.subscriptions = check_subscriptions()
    beat(EMBEDDED)
    return done


def run(poll: float = 0.5, rounds: int | None = None, report=None, stop: threading.Event | None = None) -> None:
    """Rounds until SIGTERM / SIGINT (or ``rounds`` of them, or ``stop`` is set); see the module's
    docstring for what the signals do. A second signal raises ``StoppedAtOnce``."""
    handler, replaced = StopOnSignal(), {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # a shell's background job ignores Ctrl-C
                replaced[signum] = signal.signal(signum, handler)

    def stopped() -> bool:
        return handler.asked or (stop is not None and stop.is_set())

    try:
        count = 0
        while not stopped() and (rounds is None or count < rounds):
            close_old_connections()
            try:
                done = run_once(stopped=stopped)
            except Exception:  # noqa: BLE001 - a failed round is logged and tried again; the worker lives
                log.exception("A masa_worker round failed")
                done = Round()
            if report and not done.idle:
                report(done)
            count += 1
            if done.idle and not stopped():
                time.sleep(poll)
    finally:
        for signum, previous in replaced.items():
            signal.signal(signum, previous)
