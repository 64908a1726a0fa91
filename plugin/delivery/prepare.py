"""A due message action → its Delivery: the channel (a ``Route``, resolved once per send), the
recipient, the rendered text with its tracked links, stored once per idempotency key before any
channel is called."""
from __future__ import annotations

from .. import approved_templates, conf, rehearsal, tracking
from ..models import Channel, Delivery, MessageTemplate, ScheduledAction
from ..rendering import (LINK_TAGS, MissingLink, TemplateError, find_template, links_or_missing, merge_context, render,
                         render_text)
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


def prepare_delivery(action: ScheduledAction, route: Route, now) -> Delivery:
    """The action's Delivery, made now if it does not exist yet — or made again, while unsent, when
    the route's channel is no longer the one it was made for (a ``preferred`` send chosen again after
    its channel was turned off): its address and text are that channel's. Raises
    rendering.TemplateError, saleor.actions.ActionRefused / ActionUnavailable (a voucher could not be
    issued)."""
    delivery = Delivery.objects.filter(idempotency_key=action.idempotency_key).first()
    if delivery is not None and (delivery.channel_id == route.channel.pk
                                 or delivery.status in Delivery.SENT_STATUSES):
        return delivery
    customer = action.customer
    template = find_template(action.params["template"], customer.locale, route.channel.kind)
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
    delivery, _ = Delivery.objects.get_or_create(idempotency_key=key, defaults=fields)
    return delivery
