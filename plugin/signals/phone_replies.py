"""A reply by phone (WhatsApp's, an SMS — ``whatsapp_events``, ``sms_events``): who the number is
(the customers with it, the latest message a channel sent it), and the reply's words as plain text.

Numbers are compared without their punctuation (spaces, dashes, dots, brackets), in any of the
spellings an international number is stored with ("+972501234567", "972501234567",
"00972501234567"): a customer's phone is the store's, typed by the customer, so its form varies.
"""
from __future__ import annotations

import unicodedata

from django.db.models import F, Max, QuerySet, Value
from django.db.models.functions import Replace

from ..models import Channel, Customer, Delivery

TEXT_LIMIT = 1000
# Characters a phone number is written with that are not digits (stripped before numbers are compared).
NUMBER_PUNCTUATION = (" ", "-", ".", "(", ")")


def digits(name: str):
    """The field ``name`` without its punctuation, as a database expression."""
    expression = F(name)
    for character in NUMBER_PUNCTUATION:
        expression = Replace(expression, Value(character), Value(""))
    return expression


def spellings(number: str) -> list[str]:
    """How an international number ("+972501234567") may be stored once punctuation is gone."""
    digits_only = number.lstrip("+")
    return [number, digits_only, f"00{digits_only}"]


def customers_with(number: str) -> QuerySet:
    return Customer.objects.annotate(number=digits("phone")).filter(number__in=spellings(number))


def sent_by(channel: Channel) -> QuerySet:
    """The channel's messages to customers (a staff alert is not the customer's)."""
    return (Delivery.objects.filter(channel=channel).exclude(action__kind="notify_staff")
            .select_related("customer", "channel", "action__rule"))


def latest_to(channel: Channel, number: str) -> Delivery | None:
    """The latest message the channel sent the number."""
    return (sent_by(channel).annotate(number=digits("to")).filter(number__in=spellings(number))
            .order_by("-created_at", "-pk").first())


def who(channel: Channel, number: str) -> tuple[Customer | None, Delivery | None]:
    """Whose message it is, and the message it answers: the latest the channel sent the number, else
    the customer with the number (several: the most recently messaged), with no message."""
    delivery = latest_to(channel, number)
    if delivery is not None:
        return delivery.customer, delivery
    customers = (customers_with(number).annotate(last_message=Max("deliveries__created_at"))
                 .order_by(F("last_message").desc(nulls_last=True), "-pk"))
    return customers.first(), None


def holders(number: str, customer: Customer) -> list[Customer]:
    """Whom a STOP from ``number`` speaks for on its channel: every customer with the number (in any
    store: the number is who wrote) and ``customer``, the one it answered, whatever their phone says
    now — each of them would be sent to that number."""
    found = {each.pk: each for each in customers_with(number)}
    found[customer.pk] = customer
    return list(found.values())


def reply_text(value) -> str:
    """The customer's words as plain text, first 1000 characters: control characters (NUL included)
    and lone surrogates, which no JSON column stores, dropped; direction marks and joiners kept."""
    text = "".join(ch for ch in str(value or "") if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return text[:TEXT_LIMIT]
