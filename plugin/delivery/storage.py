"""The SQL of sending's hot path: a batch's sent Deliveries marked in one statement."""
from __future__ import annotations

from django.db import connection

from ..models import Delivery


def mark_sent(deliveries: list[Delivery], now) -> None:
    """Each Delivery sent at ``now`` with its provider's message id, in one UPDATE (on PostgreSQL
    the ids as two arrays: one statement text whatever the batch's size)."""
    if not deliveries:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(deliveries, ["status", "sent_at", "provider_message_id", "error"])
        return
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS delivery SET status = %s, sent_at = %s, error = '', provider_message_id = sent.provider_id "
            f"FROM unnest(%s::bigint[], %s::text[]) AS sent (id, provider_id) WHERE delivery.id = sent.id",
            [Delivery.Status.SENT.value, now, [d.pk for d in deliveries], [d.provider_message_id for d in deliveries]])
