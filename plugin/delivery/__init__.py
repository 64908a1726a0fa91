"""Delivery: turn a due message action into a Delivery (rendered once, exact content stored), hand
it to its channel, record each attempt, and keep each channel's circuit breaker. Delivery reports
what happened (``Outcome``); what becomes of the action is the action stage's decision."""
from .outcome import Outcome
from .send import deliver

__all__ = ["Outcome", "deliver"]
