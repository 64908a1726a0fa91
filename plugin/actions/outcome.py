"""What performing a due action came to (a performer's report), for ``due.record`` to write on the action."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DONE, FAILED, RETRY, DEFERRED, SKIPPED = "done", "failed", "retry", "deferred", "skipped"


@dataclass(frozen=True)
class Outcome:
    status: str                    # done | failed | retry | deferred | skipped
    error: str = ""                # failed, retry: what went wrong; deferred: why it waits; skipped: why
    until: datetime | None = None  # deferred: when it may go
    tried: bool = False            # the channel was called (the action counts an attempt)
    note: str = ""                 # done: what happened, for the timeline (a wait's outcome)
    at: datetime | None = None     # done: when it happened, if not now
