"""Delivery: turn a due message action into a Delivery (rendered once, exact content stored), hand
it to its channel, record each attempt, and keep each channel's circuit breaker. The action stage
uses this face only: ``route`` resolves the channel once per send (``Route``: its row and backend,
handed on to prepare and send), ``deliver`` reports what happened (``Report``); what becomes of the
action is the action stage's decision (``actions.outcome``). A batch of sends: ``Routes`` (the
channels read once) and ``deliver_all``."""
from .route import Route, Routes, route
from .send import Report, deliver, deliver_all

__all__ = ["Report", "Route", "Routes", "deliver", "deliver_all", "route"]
