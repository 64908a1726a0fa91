"""Intake: where store events enter Masa. The public Django signals are importable from here."""
from .django_signals import (  # noqa: F401
    checkout_updated,
    customer_created,
    customer_updated,
    form_submitted,
    order_cancelled,
    order_fulfilled,
    order_paid,
    order_placed,
    order_refunded,
    store_event,
)
