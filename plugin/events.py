"""The one list of Masa's event types, and the shape every source hands an event to the store in.

Everything that produces or reads events takes its names from here: the rule compiler (which
triggers exist), intake (what a Saleor webhook or a Django signal becomes), feedback and delivery
(message events), evaluation (which events are purchases), the timeline (how an event is worded)
and the pack reference (tests/events/test_one_list_of_event_types.py checks that docs/rule-packs.md documents each one).
No database, no Django models: it is imported everywhere.

Adding an event type is one ``EventType`` below and, where a source makes it, that source's
mapping (docs/architecture.md, "Add an event type").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from datetime import datetime

from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _

from .values import person_name

CUSTOM_EVENT = re.compile(r"custom\.[a-z0-9_.-]+")


@dataclass(frozen=True)
class EventType:
    name: str
    source: str                      # who makes it: saleor, django, masa, feedback, delivery, admin
    fields: tuple[str, ...] = ()     # what its data carries (for rules and merge tags)
    purchase: bool = False           # a purchase: re-checks guards such as "not bought since"
    words: tuple[str, ...] = ()      # how the timeline says it (translated): the first whose {fields} all have values
                                     # (none: its name, "Message opened")
    message: bool = False            # about one message (its data names the delivery)
    feedback: str = ""               # the badge it puts on its message in the timeline
    when: str = ""                   # what it is in a rule's sentence: "When {when}: …" (translated)


ORDER_FIELDS = ("order_id", "number", "status", "charge_status", "channel", "total", "currency", "phone", "country",
                "first_name", "last_name", "lines", "categories", "products", "skus")
MESSAGE_FIELDS = ("delivery", "template", "rule")

EVENT_TYPES: tuple[EventType, ...] = (
    EventType("order_placed", "saleor", ORDER_FIELDS, purchase=True,
              words=(_("Order placed #{number}"), _("Order placed #{order_id}")),
              when=_("a customer places an order")),
    EventType("order_paid", "saleor", ORDER_FIELDS, words=(_("Order paid #{number}"), _("Order paid #{order_id}")),
              when=_("an order of the customer is paid")),
    EventType("order_fulfilled", "saleor", ORDER_FIELDS,
              words=(_("Order fulfilled #{number}"), _("Order fulfilled #{order_id}")),
              when=_("an order of the customer is shipped")),
    EventType("order_cancelled", "saleor", ORDER_FIELDS,
              words=(_("Order cancelled #{number}"), _("Order cancelled #{order_id}")),
              when=_("an order of the customer is cancelled")),
    EventType("order_refunded", "saleor", (*ORDER_FIELDS, "fully_refunded"),
              words=(_("Order refunded #{number}"), _("Order refunded #{order_id}")),
              when=_("an order of the customer is refunded")),
    EventType("category_bought", "saleor", ("order_id", "number", "category", "categories", "quantity", "quantities",
                                            "products"), purchase=True,
              words=(_("Bought {product_name}"), _("Bought {category}"), _("Bought {product_id}")),
              when=_("a customer buys from a category")),
    EventType("product_bought", "saleor", ("order_id", "number", "product_id", "product_name", "sku", "quantity",
                                           "categories", "products", "skus"), purchase=True,
              words=(_("Bought {product_name}"), _("Bought {category}"), _("Bought {product_id}")),
              when=_("a customer buys a product")),
    EventType("checkout_updated", "saleor", ("checkout_id", "channel", "total", "currency", "country", "lines", "categories",
                                             "products", "skus"),
              when=_("a customer changes their cart")),
    EventType("cart_abandoned", "masa", ("checkout_id", "total", "currency", "lines", "last_update_at"),
              when=_("a customer leaves a cart without ordering")),
    EventType("customer_created", "saleor", ("store_id", "email", "first_name", "last_name", "phone", "country", "metadata"),
              when=_("a customer signs up")),
    EventType("customer_updated", "saleor", ("store_id", "email", "first_name", "last_name", "phone", "country", "metadata"),
              when=_("a customer's details change")),
    EventType("message_sent", "delivery", (*MESSAGE_FIELDS, "channel", "class"), message=True,
              words=(_("Message sent"),),
              when=_("a message goes to the customer")),
    EventType("message_opened", "feedback", MESSAGE_FIELDS, message=True, feedback="opened",
              when=_("the customer opens a message")),
    EventType("message_delivered", "feedback", (*MESSAGE_FIELDS, "channel"), message=True,
              words=(_("Message delivered"),),
              when=_("a message reaches the customer's phone")),
    EventType("message_read", "feedback", (*MESSAGE_FIELDS, "channel"), message=True, feedback="read",
              words=(_("Message read"),),
              when=_("the customer reads a message")),
    EventType("message_replied", "feedback", (*MESSAGE_FIELDS, "channel", "text"), message=True, feedback="replied",
              words=(_("Replied to a message"),),
              when=_("the customer replies to a message")),
    EventType("message_clicked", "feedback", (*MESSAGE_FIELDS, "url"), message=True, feedback="clicked",
              when=_("the customer clicks a link in a message")),
    EventType("message_bounced", "feedback", (*MESSAGE_FIELDS, "reason", "esp"), message=True, feedback="bounced",
              when=_("a message to the customer bounces")),
    EventType("unsubscribed", "feedback", (*MESSAGE_FIELDS, "complaint"), message=True, feedback="unsubscribed",
              when=_("the customer unsubscribes")),
    EventType("survey_answered", "feedback", (*MESSAGE_FIELDS, "answer"), message=True,
              when=_("the customer answers a survey")),
    EventType("list_joined", "feedback", (*MESSAGE_FIELDS, "list"), message=True,
              when=_("the customer joins a list")),
    EventType("form_submitted", "django", ("form", "fields"),
              when=_("the customer sends a form")),
    EventType("marketing_opted_in", "feedback", (*MESSAGE_FIELDS, "source"), words=(_("Agreed to marketing"),),
              when=_("the customer agrees to marketing")),
    EventType("broadcast", "admin", ("rule", "broadcast", "send_at", "by"), words=(_("Broadcast of {rule}"),),
              when=_("a broadcast is sent")),
    EventType("manual_trigger", "admin", ("rule", "by", "backfill_of"),
              words=(_("Rule {rule} started by {by}"), _("Rule {rule} started by staff")),
              when=_("staff start the rule for a customer")),
)

BY_NAME: dict[str, EventType] = {event.name: event for event in EVENT_TYPES}
NAMES = frozenset(BY_NAME)
PURCHASES = frozenset(event.name for event in EVENT_TYPES if event.purchase)
# Events that take an order back: its purchase no longer counts in the customer's facts.
REVERSALS = frozenset({"order_cancelled", "order_refunded"})
FEEDBACK_BADGES = {event.name: event.feedback for event in EVENT_TYPES if event.feedback}
# Masa's own bookkeeping events: stored and evaluated like the others, never a trigger in a pack.
RULE_EFFECT = "rule_effect"


def is_trigger(name) -> bool:
    """Whether a pack may trigger on (or wait for) this event: a listed type or ``custom.<name>``."""
    return isinstance(name, str) and (name in NAMES or CUSTOM_EVENT.fullmatch(name) is not None)


_FIELD = re.compile(r"{(\w+)}")


def words(name: str, data: dict) -> str:
    """How the timeline says an event, e.g. "Order placed #1001", in the admin's language; a
    name in it (a product, a rule) is bidi-isolated where the language or the name is right-to-left."""
    event = BY_NAME.get(name)
    values = {k: _isolated(v) for k, v in (data or {}).items() if isinstance(v, (str, int, float)) and v != ""}
    for text in map(str, event.words if event else ()):
        if all(field_name in values for field_name in _FIELD.findall(text)):
            return text.format_map(values)
    return name.replace("_", " ").capitalize()


_LETTER = re.compile(r"[^\W\d_]")
_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def _isolated(value):
    text = str(value)
    if isinstance(value, str) and _LETTER.search(text) and (get_language_bidi() or _RIGHT_TO_LEFT.search(text)):
        return f"\u2068{text}\u2069"
    return value


_PLAIN_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+")


def normalize_email(value) -> str:
    """One spelling per mailbox as a source may hand it: ``" Ruth <RUTH@example.com> "`` →
    ``ruth@example.com``; "" for anything that is not an address."""
    text = str(value or "").strip()
    if _PLAIN_ADDRESS.fullmatch(text):  # the common case, without parsing
        return text.lower()
    _, address = parseaddr(text)
    address = address.strip().lower()
    return address if address.count("@") == 1 and all(address.split("@")) and " " not in address else ""


@dataclass(frozen=True)
class Identity:
    """Who an event is about, as the source names them: within ``store`` (``masa.stores``), by
    the store's id for them, else (a guest) by email. The same id or email in another store is
    another customer."""

    store_id: str | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    store: str = ""

    def __post_init__(self):
        object.__setattr__(self, "email", normalize_email(self.email))
        # Every source's names pass the one cleaner (a guest types hers at a checkout; a store's
        # signal passes what its form took): what reaches Customer.first_name is a name or "".
        object.__setattr__(self, "first_name", person_name(self.first_name))
        object.__setattr__(self, "last_name", person_name(self.last_name))

    @classmethod
    def of(cls, customer) -> "Identity":
        """The identity of a stored customer (Masa's own events about them)."""
        return cls(store_id=customer.store_id, email=customer.email, store=customer.store)


@dataclass
class NormalizedEvent:
    """An event as a source hands it to the store (``eventstore.store_events``)."""

    name: str
    source_id: str
    occurred_at: datetime
    identity: Identity
    data: dict = field(default_factory=dict)
