"""Double opt-in: a form or a guest's checkout that says "yes" to marketing (anyone can type
anyone's address into either) only asks. Masa sends the address a confirmation message with a signed opt-in link
(template ``masa-confirm-marketing``, editable under Messages); consent is recorded when the link
is pressed, with when and where (``feedback.views.opt_in``). At most one request a day per
customer, so a form cannot be used to mail an address over and over.
"""
from __future__ import annotations

from ..models import Customer, MessageTemplate, ScheduledAction, StoreEvent

TEMPLATE = "masa-confirm-marketing"
# The confirmation's text until the shop writes its own (added under Messages when first needed).
CONFIRMATION = [
    ("", "Please confirm: news and offers from us",
     "Hello {{ customer.first_name }},\n\nYou asked to hear from us. Please confirm it here: {{ opt_in_url }}\n\n"
     "If it was not you, ignore this message: nothing will be sent to you."),
    ("he", "אישור הרשמה לעדכונים ומבצעים",
     "שלום {{ customer.first_name }},\n\nביקשת לקבל מאיתנו עדכונים. אשרו זאת כאן: {{ opt_in_url }}\n\n"
     "אם לא אתם ביקשתם, התעלמו מההודעה: לא יישלח אליכם דבר."),
]


def confirmation(event: StoreEvent, customer: Customer, now, source: str = "",
                 kinds: list[str] | tuple[str, ...] = ("email",)) -> ScheduledAction:
    """The confirmation message to plan (a transactional send: it is the answer to a request) for
    a "yes" from ``source`` to marketing on ``kinds`` (``rules.facts.consent_request``): a form, a
    guest's checkout. It goes by e-mail, and its opt-in link gives e-mail consent only: pressing it
    proves the address, nothing else (``feedback.views.opt_in``); ``consent_kinds`` says what was
    asked, for the timeline (``rules.facts.consent_request`` asks e-mail only). Not written: the
    evaluation plans it with the rest (``schedule.write``), once per customer and day by its key."""
    if not MessageTemplate.objects.filter(key=TEMPLATE).exists():
        for locale, subject, body in CONFIRMATION:
            MessageTemplate.objects.get_or_create(key=TEMPLATE, locale=locale, defaults={
                "channel_kind": "email", "subject": subject, "body": body})
    return ScheduledAction(
        idempotency_key=f"confirm-marketing:{customer.pk}:{now:%Y-%m-%d}", customer=customer, event=event, step=0,
        kind="send", due_at=now, params={"template": TEMPLATE, "channel": "email", "class": "transactional",
                                         "confirms": "marketing_consent", "asked_in": source,
                                         "consent_kinds": list(kinds)})
