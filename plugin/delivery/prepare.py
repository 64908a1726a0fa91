"""A due message action → its Delivery: the channel (a ``Route``, resolved once per send), the
recipient, the rendered text with its tracked links, stored once per idempotency key before any
channel is called.

A batch of sends reads what they share once (``Prepared``: their templates and the Deliveries
their keys already have) and stores its new Deliveries in one INSERT (``store``)."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from .. import approved_templates, conf, rehearsal, tracking
from ..models import Channel, Delivery, MessageTemplate, ScheduledAction
from ..rendering import (LINK_TAGS, MissingLink, TemplateError, find_template, links_or_missing, merge_context,
                         pick_template, render, render_text)
from ..saleor import actions as saleor_actions
from .route import Route


def _recipient(action: ScheduledAction, route: Route) -> str:
    if action.kind == "notify_staff":
        return ", ".join(conf.get("STAFF_EMAILS"))
    return getattr(action.customer, route.backend.address_field)


def _last_message(action: ScheduledAction) -> dict:
    """The latest message sent to the customer by this rule run (else by any): what an SMS
    "we sent you an email" points to."""
    sent = Delivery.objects.filter(customer=action.customer, status__in=Delivery.SENT_STATUSES).order_by("-sent_at")
    latest = sent.filter(action__firing=action.firing).first() if action.firing_id else None
    latest = latest or sent.first()
    if latest is None:
        return {"subject": "", "view_url": MissingLink("last_message.view_url")}
    return {"subject": latest.subject,
            **links_or_missing({"view_url": tracking.view_url(latest.idempotency_key)}, "last_message.")}


def _provider_template(template: MessageTemplate, route: Route, context: dict) -> dict:
    """What goes as WhatsApp's approved template when the version names one: its name, language and
    each variable rendered as plain text for this customer; {} otherwise. Raises TemplateError in words."""
    spec = template.provider_template or {}
    if route.channel.kind != Channel.Kind.WHATSAPP or not approved_templates.named(spec):
        return {}
    language = approved_templates.language(spec, template.locale)
    if not language:
        raise TemplateError(f"template {template.key!r}: the approved WhatsApp template {spec['name']!r} has no "
                            f"language, and the text's own language does not give one: nothing was sent")
    try:
        parameters = approved_templates.parameters(spec, context, template.locale, render_text)
    except approved_templates.ApprovedTemplateError as error:
        raise TemplateError(f"template {template.key!r}, approved WhatsApp template {spec['name']!r}: {error}: "
                            f"nothing was sent") from error
    return {"name": spec["name"], "language": language, "parameters": parameters}


class Prepared:
    """What a batch of sends reads once: the message templates their steps name (every version of
    each, ``message_versions.pick`` choosing per customer) and the Deliveries their keys have."""

    def __init__(self, actions: list[ScheduledAction]):
        keys = {str(action.params.get("template", "")) for action in actions}
        self._rows: dict[str, list[MessageTemplate]] = {key: [] for key in keys}
        for row in MessageTemplate.objects.filter(key__in=keys):
            self._rows[row.key].append(row)
        self._picked: dict[tuple, MessageTemplate | None] = {}
        self.deliveries = {delivery.idempotency_key: delivery for delivery in
                           Delivery.objects.filter(idempotency_key__in=[action.idempotency_key for action in actions])}

    def template(self, key: str, locale: str, channel_kind: str) -> MessageTemplate:
        """``rendering.find_template`` from the rows read."""
        if (key, locale, channel_kind) not in self._picked:
            self._picked[key, locale, channel_kind] = pick_template(self._rows.get(key, []), key, locale, channel_kind)
        return self._picked[key, locale, channel_kind]


def prepare_delivery(action: ScheduledAction, route: Route, now, prepared: Prepared | None = None) -> Delivery:
    """The action's Delivery, made now if it does not exist yet — or made again, while unsent, when
    the route's channel is no longer the one it was made for (a ``preferred`` send chosen again after
    its channel was turned off): its address and text are that channel's. Raises
    rendering.TemplateError, saleor.actions.ActionRefused / ActionUnavailable (a voucher could not be
    issued). With ``prepared`` (a batch): a new Delivery is returned unsaved, for ``store``."""
    if prepared is None:
        delivery = Delivery.objects.filter(idempotency_key=action.idempotency_key).first()
    else:
        delivery = prepared.deliveries.get(action.idempotency_key)
    if delivery is not None and (delivery.channel_id == route.channel.pk
                                 or delivery.status in Delivery.SENT_STATUSES):
        return delivery
    customer = action.customer
    template = prepared.template(action.params["template"], customer.locale, route.channel.kind) if prepared \
        else find_template(action.params["template"], customer.locale, route.channel.kind)
    context = merge_context(customer, action.event)
    staff = action.kind == "notify_staff"
    # A staff alert is about the customer, not read by them: nothing in it may record an open, a
    # click, an answer or an unsubscribe as the customer's. Its own links are empty, untracked.
    context.update({name: "" for name in LINK_TAGS if "." not in name} if staff
                   else links_or_missing(tracking.message_links(action.idempotency_key)))
    variables = " ".join(map(str, (template.provider_template or {}).get("variables") or []))
    if "last_message" in f"{template.subject}{template.body}{template.html_body}{variables}":
        context["last_message"] = _last_message(action)
        if staff:  # the customer's message in the browser holds their open pixel and tracked links
            context["last_message"] = {**context["last_message"], "view_url": ""}
    if action.params.get("recommend"):
        context["recommendation"] = action.params["recommend"]
    if action.params.get("reward"):
        render(template, context)  # a template that cannot be sent must not cost a voucher in Saleor
        issue = saleor_actions.reward_values if rehearsal.active() else saleor_actions.issue_reward
        context["voucher"] = issue(action.params["reward"], action.idempotency_key, now, customer)
    rendered = render(template, context)
    provider_template = _provider_template(template, route, context)
    trusted = [context["recommendation"].get("url", "")]
    key = action.idempotency_key
    backend = route.backend
    fields = {
        "action": action, "channel": route.channel, "customer": customer, "template_key": template.key,
        "to": _recipient(action, route), "subject": rendered.subject[:255], "provider_template": provider_template,
        "body": tracking.decorate_text(rendered.body, key, tracking.AuthoredLinks(template.body, trusted))
        if backend.tracks_text_links and not staff else rendered.body,
        "html_body": rendered.html_body if staff else tracking.decorate_html(
            rendered.html_body, key, tracking.AuthoredLinks(template.html_body, trusted)),
    }
    if delivery is not None:  # made for another channel, never sent: now this one's
        Delivery.objects.filter(pk=delivery.pk).update(**fields, error="")
        delivery.refresh_from_db()
        return delivery
    if prepared is not None:
        return Delivery(idempotency_key=key, public_id=tracking.public_id(key), **fields)
    delivery, _ = Delivery.objects.get_or_create(idempotency_key=key, defaults=fields)
    return delivery


def store(deliveries: list[Delivery]) -> dict[str, Delivery]:
    """Store the new (unsaved) Deliveries of a batch in one INSERT; a key another worker stored
    first keeps that row (as ``get_or_create``). Returns each key's stored Delivery."""
    new = {delivery.idempotency_key: delivery for delivery in deliveries if delivery.pk is None}
    stored = {delivery.idempotency_key: delivery for delivery in deliveries if delivery.pk is not None}
    try:
        return _store(new, dict(stored))
    except IntegrityError:  # a customer erased since the batch was read: each alone, theirs left out
        for key, delivery in new.items():
            try:
                _store({key: _unsaved(delivery)}, stored)
            except IntegrityError:
                _unsaved(delivery)
        return stored


def _unsaved(delivery: Delivery) -> Delivery:
    """A Delivery whose INSERT was rolled back, as it was before."""
    delivery.pk, delivery._state.adding, delivery._state.db = None, True, None
    return delivery


def _store(new: dict[str, Delivery], stored: dict[str, Delivery]) -> dict[str, Delivery]:
    if new:
        with transaction.atomic():
            Delivery.objects.bulk_create(new.values(), ignore_conflicts=True)
            rows = Delivery.objects.filter(idempotency_key__in=list(new)).values_list(
                "idempotency_key", "pk", "public_id", "status", "channel_id")
            for key, pk, public, status, channel_id in rows:
                ours = new[key]
                if (public, status, channel_id) == (ours.public_id, Delivery.Status.PENDING, ours.channel_id):
                    ours.pk = pk
                    ours._state.adding, ours._state.db = False, Delivery.objects.db
                    stored[key] = ours
                else:  # another worker's, stored first
                    stored[key] = Delivery.objects.get(pk=pk)
    return stored
