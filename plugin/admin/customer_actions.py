"""Quick actions on the customer page (seed 003: "קפיצה מהירה לפעולות המשך"): add a tag, write a
personal message, record an unsubscribe, and notes with a reminder to a staff member.

A personal message goes the way every message goes: a scheduled ``send`` action dispatched at
once (``actions.due.dispatch``), so consent, marketing caps, quiet hours, the channel's circuit
and the customer's address are checked as for any send, and it is recorded as a Delivery with its
exact text. It is marketing unless the staff member says it is a service message about the
customer's order or account: only then does it go without marketing consent (the rule of
Israel's anti-spam law and of the shop's own unsubscribe promise)."""
from __future__ import annotations

import re
import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import consent
from ..actions import guards, schedule
from ..actions.due import dispatch
from ..channels import backend_class
from ..bidi import isolate
from .timeline import local_time
from ..models import Channel, Customer, CustomerNote, Delivery, ScheduledAction, StoreEvent

PERSONAL_EVENT = "staff_message"  # the stored event a personal message answers to (never evaluated)


def reachable_channels(customer: Customer) -> list[Channel]:
    """Enabled channels that send to an address this customer has (email, phone)."""
    found = []
    for channel in Channel.objects.filter(enabled=True).order_by("name"):
        backend = backend_class(channel.kind)
        if backend is not None and str(getattr(customer, backend.address_field, "") or "").strip():
            found.append(channel)
    return found


def staff_users():
    """Who can be reminded: active staff who can open the admin."""
    admins = Q(is_superuser=True) | Q(groups__permissions__codename="access_admin")
    return get_user_model().objects.filter(admins, is_active=True).distinct().order_by("username")


class IsolatedChoice(forms.ModelChoiceField):
    """Names of the shop's own things (channels, staff) isolated for right-to-left pages."""

    def label_from_instance(self, obj):
        return isolate(getattr(obj, "name", None) or obj.get_username())


class TagForm(forms.Form):
    tag = forms.SlugField(max_length=50, label=gettext_lazy("Tag"),
                          help_text=gettext_lazy("Letters, digits and dashes, e.g. vip or prefers-phone"))


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=gettext_lazy("Note"))
    remind = IsolatedChoice(queryset=get_user_model().objects.none(), required=False,
                                    label=gettext_lazy("Remind"), empty_label=gettext_lazy("nobody"))
    remind_at = forms.DateTimeField(required=False, label=gettext_lazy("On"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remind"].queryset = staff_users()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("remind") and not cleaned.get("remind_at"):
            self.add_error("remind_at", _("Say when to remind them."))
        if cleaned.get("remind_at") and not cleaned.get("remind"):
            self.add_error("remind", _("Choose who to remind."))
        return cleaned


class PersonalMessageForm(forms.Form):
    channel = IsolatedChoice(queryset=Channel.objects.none(), label=gettext_lazy("Send by"), empty_label=None)
    subject = forms.CharField(max_length=200, required=False, label=gettext_lazy("Subject (email only)"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label=gettext_lazy("Message"))
    service = forms.BooleanField(
        required=False, label=gettext_lazy("A service message about their order or account (no offer in it)"),
        help_text=gettext_lazy("Otherwise it is marketing: it goes only if the customer agreed to marketing, "
                               "and waits out quiet hours."))

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(pk__in=[c.pk for c in reachable_channels(customer)])


def add_tag(customer: Customer, tag: str) -> bool:
    """Add ``tag`` to the customer's tags; False when they had it."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if tag in (locked.tags or []):
            return False
        locked.tags = [*(locked.tags or []), tag]
        locked.save(update_fields=["tags", "updated_at"])
    customer.tags = locked.tags
    return True


def unsubscribe(customer: Customer, by: str, kinds=consent.KINDS) -> list[str]:
    """The customer asked staff to stop marketing on these channel kinds (all by default): that
    consent is withdrawn (``consent.withdraw``); returns the kinds that had been given."""
    return consent.withdraw(customer, f"asked staff ({by})", timezone.now(), kinds)


def add_note(customer: Customer, author, form: NoteForm) -> CustomerNote:
    data = form.cleaned_data
    return CustomerNote.objects.create(customer=customer, author=author, text=data["text"],
                                       remind=data.get("remind"), remind_at=data.get("remind_at"))


def send_personal(customer: Customer, form: PersonalMessageForm, by: str) -> ScheduledAction:
    """Write the message as a Delivery of a ``send`` action and dispatch it now; returns the action
    (done, deferred, cancelled with the reason, or failed)."""
    data, now = form.cleaned_data, timezone.now()
    channel = data["channel"]
    key = f"personal:{customer.pk}:{uuid.uuid4().hex}"
    backend = backend_class(channel.kind)
    with transaction.atomic():
        event = StoreEvent.objects.create(source="admin", source_id=key, name=PERSONAL_EVENT, customer=customer,
                                          occurred_at=now, data={"by": by, "channel": channel.name},
                                          status=StoreEvent.Status.PROCESSED, processed_at=now)
        action = schedule.write_claimed(ScheduledAction(
            idempotency_key=key, customer=customer, event=event, step=0, path="personal", kind="send",
            params={"channel": channel.name, "personal": True, "by": by,
                    "class": "transactional" if data["service"] else "marketing"},
            guard=[], due_at=now), now)
        Delivery.objects.create(idempotency_key=key, action=action, channel=channel, customer=customer,
                                to=getattr(customer, backend.address_field), subject=data["subject"][:255]
                                if channel.kind == "email" else "", body=data["text"])
    dispatch(action.pk, now=now)
    action.refresh_from_db()
    if action.status == ScheduledAction.Status.CANCELLED:
        event.delete()  # nothing went: the staff member is told why, and no unsent message stays behind
    return action


def outcome_words(action: ScheduledAction) -> tuple[str, str]:
    """("success" | "warning" | "error", what became of a personal message) for the page's message."""
    if action.status == ScheduledAction.Status.DONE:
        return "success", _("Your message was sent.")
    if action.status == ScheduledAction.Status.PENDING:
        return "warning", _("Your message waits and goes at %(when)s (the customer's quiet hours or how many "
                            "messages they get).") % {"when": local_time(action.due_at)}
    if action.status == ScheduledAction.Status.CANCELLED:
        if "consent" in action.cancel_reason:
            return "error", _("Not sent: the customer has not agreed to marketing. Tick “service message” only "
                              "if it is about their order or account.")
        return "error", _("Not sent: %(reason)s") % {"reason": action.cancel_reason}
    return "error", _("The message could not be sent: %(reason)s") % {"reason": action.last_error}


BACK_AGAIN = re.compile(r"^(?P<how>restored|waiting again): order #(?P<number>.+) was (?P<what>cancelled|refunded)$")


def waiting_note(action: ScheduledAction) -> str:
    """Why a waiting step is waiting again (its order was taken back), in words; other notes as they are."""
    found = BACK_AGAIN.match(action.outcome or "")
    if found is None:
        return " — ".join(note for note in (action.outcome, action.last_error) if note)
    number = isolate(found["number"])
    if found["how"] == "restored":
        words = (_("On again: order #%(number)s was cancelled") if found["what"] == "cancelled"
                 else _("On again: order #%(number)s was refunded"))
    else:
        words = (_("Waiting again: order #%(number)s was cancelled") if found["what"] == "cancelled"
                 else _("Waiting again: order #%(number)s was refunded"))
    return " — ".join(note for note in (words % {"number": number}, action.last_error) if note)


def skipped_for_consent(action: ScheduledAction) -> bool:
    """Whether a waiting send will not go because it is marketing and the customer has not agreed
    to marketing on its channel (the guard delivery applies: ``actions.guards.failed_guard``) —
    unless that changes."""
    if action.kind != "send" or not (action.is_marketing_send
                                     or any("marketing_consent" in step for step in action.guard or [])):
        return False
    return guards.GUARDS["marketing_consent"].check(action, True) is not None


def due_reminders(user, now=None):
    """The reminders due for ``user`` that they have not marked done, oldest first."""
    return (CustomerNote.objects.filter(remind=user, remind_at__lte=now or timezone.now(), reminder_done_at=None)
            .select_related("customer", "author").order_by("remind_at"))
