"""Delivery: turn a due message action into a Delivery (rendered once, exact content stored), hand
it to its channel, record each attempt, and keep each channel's circuit breaker. The action stage
uses this face only: ``route`` resolves the channel once per send (``Route``: its row and backend,
handed on to prepare and send), ``deliver`` reports what happened (``Report``); what becomes of the
action is the action stage's decision (``actions.outcome``)."""
from .route import Route, route
from .send import Report, deliver

__all__ = ["Report", "Route", "deliver", "route"]
