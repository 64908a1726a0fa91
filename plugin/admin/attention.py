"""What needs the shop admin's attention, counted once and the same everywhere (the home panel,
the *Needs attention* page): what the owner can act on — events that failed evaluation, failed
actions (grouped by their cause), sends skipped because the customer has no phone number, no
email address or no consent (last 7 days, grouped by reason), stored webhooks that could not be
read, channels whose circuit is open, pack subscriptions whose last check was refused or could not
reach the agency's address. Requests intake refused in the last 24 hours are internet
noise the owner mostly cannot act on: summarised apart, grouped by their reason, and not counted."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Channel, Delivery, InboundDelivery, PackSubscription, ScheduledAction, StoreEvent

REJECTIONS_WINDOW = timedelta(days=1)
SKIPPED_WINDOW = timedelta(days=7)

# code → (what happened, what to do). Codes are those of signals.saleor_webhook.Rejection,
# saleor.installation.InstallRefused (``install_`` + code), signals.whatsapp_webhook.Refusal (``whatsapp_…``)
# and signals.sms_webhook.Refusal (``sms_…``).
ADVICE = {
    "bad_signature": (gettext_lazy("The signature does not match the body."),
                      gettext_lazy("Someone sent a forged or altered request, or a proxy rewrites bodies. If it comes "
                                   "from your store's address, make sure nothing between Saleor and Masa changes the "
                                   "request.")),
    "unknown_key": (gettext_lazy("Signed with a key the store does not publish."),
                    gettext_lazy("Usually a key rotation in Saleor: Masa fetches the new keys by itself. If it lasts, "
                                 "check the store's API address under Saleor stores.")),
    "malformed_signature": (gettext_lazy("The signature header is not a Saleor signature."),
                            gettext_lazy("Not sent by Saleor. Nothing to do unless it comes from your store.")),
    "missing_signature": (gettext_lazy("No signature."),
                          gettext_lazy("Not sent by Saleor (Saleor signs every webhook). Nothing to do.")),
    "unknown_domain": (gettext_lazy("From a store Masa does not know."),
                       gettext_lazy("If it is your store, install Masa in it (Saleor stores) or list it in "
                                    "MASA['SALEOR_STORES']. Otherwise someone is probing the endpoint: nothing to do.")),
    "api_url_mismatch": (gettext_lazy("The store's API address differs from the one installed."),
                         gettext_lazy("The store moved or has two addresses: reinstall Masa in it from Saleor stores.")),
    "missing_api_url": (gettext_lazy("No store API address."),
                        gettext_lazy("Not sent by Saleor 3.x. Nothing to do.")),
    "too_old": (gettext_lazy("Sent too long ago (MASA['WEBHOOK_MAX_AGE'])."),
                gettext_lazy("Saleor retried an old delivery, or a clock is wrong. Check the server clocks (NTP); if "
                             "Masa was down, the events may be missing: backfill from the store.")),
    "issued_in_future": (gettext_lazy("Dated in the future."),
                         gettext_lazy("A clock is wrong: check the server clocks (NTP).")),
    "missing_issued_at": (gettext_lazy("No date in the body."),
                          gettext_lazy("The subscription query lacks issuedAt: reinstall the App.")),
    "missing_typename": (gettext_lazy("No event type in the body."),
                         gettext_lazy("The subscription query lacks __typename: reinstall the App.")),
    "event_mismatch": (gettext_lazy("The body is another event than its header says."),
                       gettext_lazy("The App's subscriptions are out of date: reinstall the App.")),
    "missing_event": (gettext_lazy("No Saleor-Event header."),
                      gettext_lazy("Not sent by Saleor. Nothing to do.")),
    "missing_domain": (gettext_lazy("No Saleor-Domain header."),
                       gettext_lazy("Not sent by Saleor. Nothing to do.")),
    "unknown_event": (gettext_lazy("An event Masa does not subscribe to."),
                      gettext_lazy("A webhook in the store points at Masa for an event it does not read: remove that "
                                   "webhook in the Saleor dashboard or reinstall the App.")),
    "too_large": (gettext_lazy("The body is too large."),
                  gettext_lazy("An order with very many lines, or abuse. Raise MASA['MAX_WEBHOOK_BYTES'] if orders are"
                               " this big.")),
    "unsupported_content_type": (gettext_lazy("Not JSON."),
                                 gettext_lazy("Not sent by Saleor. Nothing to do.")),
    "invalid_json": (gettext_lazy("The body is not valid JSON."),
                     gettext_lazy("Not sent by Saleor, or cut short on the way.")),
    "too_deep": (gettext_lazy("The body is nested too deeply."),
                 gettext_lazy("Abuse: nothing to do; the sender is rate limited.")),
    "wrong_shape": (gettext_lazy("The body is not shaped as Masa's subscription query."),
                    gettext_lazy("The App's subscription queries are out of date or the store runs another Saleor "
                                 "version: reinstall the App; if it lasts, report it with the reason below.")),
    "keys_unavailable": (gettext_lazy("The store's signing keys could not be fetched."),
                         gettext_lazy("The store was unreachable from Masa. Saleor retries: check the store's API "
                                      "address and the network; nothing is lost while Saleor retries.")),
    "install_missing_token": (gettext_lazy("An install request without a token."),
                              gettext_lazy("Not sent by Saleor. Nothing to do.")),
    "install_store_not_allowed": (gettext_lazy("An install from a store not allowed."),
                                  gettext_lazy("Add the store's API address to MASA['SALEOR_APP_API_URLS'] and install"
                                               " again.")),
    "install_token_not_accepted": (gettext_lazy("The store did not accept the App token."),
                                   gettext_lazy("Install again from the Saleor dashboard.")),
    "install_invalid_json": (gettext_lazy("An install request that is not JSON."),
                             gettext_lazy("Not sent by Saleor. Nothing to do.")),
    "install_not_this_app": (gettext_lazy("An install with a token of another app of the store."),
                             gettext_lazy("Install Masa from the Saleor dashboard with Masa's manifest address; a "
                                          "token of another app is never taken.")),
    "install_domain_taken": (gettext_lazy("An install from a store whose address another store here already has."),
                             gettext_lazy("Two stores cannot share an address: remove the other one (Saleor stores, or "
                                          "MASA['SALEOR_STORES']) if it is the same shop, then install again.")),
    "install_already_installed": (
        gettext_lazy("An install of Masa as a second app in a store where it is already installed."),
        gettext_lazy("Remove the older Masa app in the Saleor dashboard (Apps), then install again.")),
    "install_store_unavailable": (gettext_lazy("An install the store could not be asked about."),
                                  gettext_lazy("The store was unreachable from Masa: install again from the Saleor "
                                               "dashboard in a few minutes.")),
    # signals.whatsapp_webhook.Refusal
    "whatsapp_bad_signature": (
        gettext_lazy("A WhatsApp delivery whose signature does not match the channel's app secret."),
        gettext_lazy("If it keeps coming, the app secret in the WhatsApp channel is not your Meta app's: copy it "
                     "again from the app's basic settings. Otherwise someone forged it: nothing to do.")),
    "whatsapp_missing_signature": (gettext_lazy("A WhatsApp delivery without a signature."),
                                   gettext_lazy("Not sent by Meta (Meta signs every webhook). Nothing to do.")),
    "whatsapp_no_app_secret": (
        gettext_lazy("A WhatsApp delivery for a channel without an app secret."),
        gettext_lazy("Enter your Meta app's secret in the WhatsApp channel: until then WhatsApp's receipts and "
                     "replies are refused (Meta tries them again for a while).")),
    "whatsapp_too_large": (gettext_lazy("A WhatsApp delivery that is too large."),
                           gettext_lazy("Abuse, or a very large batch from Meta: raise MASA['MAX_WEBHOOK_BYTES'] if "
                                        "Meta's deliveries are this big.")),
    "whatsapp_unknown_channel": (
        gettext_lazy("A WhatsApp delivery for a channel Masa does not have."),
        gettext_lazy("If you deleted a WhatsApp channel, remove its callback URL from your Meta app. Otherwise "
                     "someone is probing the address: nothing to do.")),
    "whatsapp_channel_disabled": (
        gettext_lazy("A WhatsApp delivery for a channel that is turned off."),
        gettext_lazy("Turn the channel on to hear WhatsApp's receipts and replies, or remove its callback URL from "
                     "your Meta app.")),
    "whatsapp_bad_verify_token": (
        gettext_lazy("A WhatsApp subscription check with the wrong verify token."),
        gettext_lazy("Copy the verify token from the WhatsApp channel into your Meta app's webhook settings, "
                     "exactly as shown.")),
    "whatsapp_not_a_subscription": (gettext_lazy("A WhatsApp subscription check Masa cannot answer."),
                                    gettext_lazy("Not sent by Meta. Nothing to do.")),
    "whatsapp_bad_challenge": (gettext_lazy("A WhatsApp subscription check Masa cannot answer."),
                               gettext_lazy("Not sent by Meta. Nothing to do.")),
    "whatsapp_invalid_utf8": (gettext_lazy("A WhatsApp delivery that is not text."),
                              gettext_lazy("Not sent by Meta, or cut short on the way.")),
    # signals.sms_webhook.Refusal
    "sms_bad_signature": (
        gettext_lazy("An SMS reply whose signature does not match the channel's Twilio auth token."),
        gettext_lazy("If it keeps coming, the auth token in the SMS channel is not your Twilio account's, or the "
                     "address in Twilio is not the one the channel shows (MASA['PUBLIC_URL']). Otherwise someone "
                     "forged it: nothing to do.")),
    "sms_missing_signature": (gettext_lazy("An SMS reply without Twilio's signature."),
                              gettext_lazy("Not sent by Twilio (Twilio signs every request). Nothing to do.")),
    "sms_no_auth_token": (gettext_lazy("An SMS reply for a Twilio channel without an auth token."),
                          gettext_lazy("Enter your Twilio auth token in the SMS channel.")),
    "sms_other_account": (gettext_lazy("An SMS reply from another Twilio account."),
                          gettext_lazy("Check the Account SID in the SMS channel: it must be the account the "
                                       "number belongs to.")),
    "sms_no_inbound_token": (
        gettext_lazy("An SMS reply for a channel without a token for replies."),
        gettext_lazy("Save the SMS channel once: Masa makes the token, then give it to your SMS provider.")),
    "sms_missing_token": (gettext_lazy("An SMS reply without the channel's token."),
                          gettext_lazy("If it is your provider's, add the token shown in the SMS channel to the "
                                       "address it calls. Otherwise nothing to do.")),
    "sms_bad_token": (gettext_lazy("An SMS reply with a wrong token."),
                      gettext_lazy("If it is your provider's, copy the token from the SMS channel again. Otherwise "
                                   "someone is guessing: nothing to do.")),
    "sms_too_large": (gettext_lazy("An SMS reply that is too large."), gettext_lazy("Abuse. Nothing to do.")),
    "sms_unknown_channel": (
        gettext_lazy("An SMS reply for a channel Masa does not have."),
        gettext_lazy("If you deleted an SMS channel, remove its address from your SMS provider. Otherwise someone "
                     "is probing the address: nothing to do.")),
    "sms_channel_disabled": (
        gettext_lazy("An SMS reply for a channel that is turned off."),
        gettext_lazy("Turn the channel on to hear customers' replies, or remove its address from your SMS "
                     "provider.")),
    "sms_invalid_utf8": (gettext_lazy("An SMS reply that is not text."),
                         gettext_lazy("Not sent by your provider, or cut short on the way.")),
    "sms_unreadable": (gettext_lazy("An SMS reply Masa cannot read."),
                       gettext_lazy("Your provider sends replies in another form: an agency can set the field "
                                    "names in the SMS channel's settings.")),
}
UNKNOWN = (gettext_lazy("Refused."), gettext_lazy("See the reason below."))


@dataclass
class Attention:
    """The counts behind *Needs attention*: ``total`` is what the owner can act on (the number the
    home panel and the page title show); refused requests are counted apart and not in it."""
    failed_events: int = 0
    failed_actions: int = 0
    skipped_sends: int = 0
    unread_webhooks: int = 0
    open_circuits: int = 0
    rejected_requests: int = 0
    pack_subscriptions: int = 0

    @property
    def total(self) -> int:
        return (self.failed_events + self.failed_actions + self.skipped_sends + self.unread_webhooks
                + self.open_circuits + self.pack_subscriptions)

    def parts(self) -> list[tuple[int, str]]:
        """The non-zero counts with what they count, as the home panel lists them."""
        return [(count, words) for count, words in [
            (self.failed_events, ngettext("event failed evaluation", "events failed evaluation", self.failed_events)),
            (self.failed_actions, ngettext("action failed", "actions failed", self.failed_actions)),
            (self.skipped_sends, ngettext("message not sent: a customer detail or consent missing (7 days)",
                                          "messages not sent: a customer detail or consent missing (7 days)",
                                          self.skipped_sends)),
            (self.unread_webhooks, ngettext("store update received but not read", "store updates received but not read",
                                            self.unread_webhooks)),
            (self.open_circuits, ngettext("channel paused after failures", "channels paused after failures",
                                          self.open_circuits)),
            (self.pack_subscriptions, ngettext("pack subscription refused or not reached",
                                               "pack subscriptions refused or not reached", self.pack_subscriptions)),
        ] if count]


def rejected_recently(now: datetime | None = None):
    since = (now or timezone.now()) - REJECTIONS_WINDOW
    return InboundDelivery.objects.filter(
        Q(last_seen_at__gte=since) | Q(last_seen_at__isnull=True, received_at__gte=since),
        status=InboundDelivery.Status.REJECTED, dismissed_at__isnull=True)


def failed_events():
    return StoreEvent.objects.filter(status=StoreEvent.Status.FAILED)


def failed_actions():
    """A failed send is one item: its Delivery (failed or dead) is shown with it, not counted again."""
    return ScheduledAction.objects.filter(status=ScheduledAction.Status.FAILED)


def unread_webhooks():
    return InboundDelivery.objects.filter(status=InboundDelivery.Status.FAILED)


def open_circuits(now: datetime):
    return Channel.objects.filter(circuit_open_until__gt=now)


def troubled_subscriptions():
    """Pack subscriptions whose last check was refused (a bad signature, a downgrade…) or could not
    reach the agency's address (``packs.subscriptions``)."""
    return PackSubscription.objects.filter(status__in=[PackSubscription.Status.REFUSED,
                                                       PackSubscription.Status.UNREACHABLE])


# What actions/perform.py and actions/guards.py write when a send is skipped for the customer's details.
MISSING_DETAIL = "the customer has no "


def skipped_sends(now: datetime):
    """Sends of the last 7 days skipped because the customer lacks a phone number, an email
    address or marketing consent (other skips — an order since, a rule turned off — are the rules
    working as meant)."""
    return ScheduledAction.objects.filter(kind="send", status=ScheduledAction.Status.CANCELLED,
                                          completed_at__gte=now - SKIPPED_WINDOW,
                                          cancel_reason__startswith=MISSING_DETAIL)


def attention(now: datetime | None = None) -> Attention:
    """The one count of *Needs attention* (home panel, page title, the page's groups)."""
    now = now or timezone.now()
    return Attention(
        failed_events=failed_events().count(),
        failed_actions=failed_actions().count(),
        skipped_sends=skipped_sends(now).count(),
        unread_webhooks=unread_webhooks().count(),
        open_circuits=open_circuits(now).count(),
        pack_subscriptions=troubled_subscriptions().count(),
        rejected_requests=rejected_recently(now).aggregate(n=Sum("repeats"))["n"] or 0,
    )


def skip_kind(reason: str) -> str:
    """no_phone, no_email, no_consent (per channel: no_consent_sms, no_consent_whatsapp; e-mail's or
    several channels' is no_consent) or no_address (another kind of address) from a skip reason."""
    for kind, start in (("no_phone", "the customer has no phone number"), ("no_email", "the customer has no email address"),
                        ("no_consent_sms", "the customer has no marketing consent for SMS"),
                        ("no_consent_whatsapp", "the customer has no marketing consent for WhatsApp"),
                        ("no_consent", "the customer has no marketing consent")):
        if reason.startswith(start):
            return kind
    return "no_address"


SKIPS = {  # kind → (what happened, what to do)
    "no_phone": (gettext_lazy("Not sent by SMS: the customer has no phone number"),
                 gettext_lazy("Ask for phone numbers at checkout (make the phone field required in your store), "
                              "or use email for this step.")),
    "no_email": (gettext_lazy("Not sent by email: the customer has no email address"),
                 gettext_lazy("Ask for email addresses at checkout, or use SMS for this step.")),
    "no_consent": (gettext_lazy("Not sent: the customer has not agreed to marketing messages"),
                   gettext_lazy("Marketing goes only to customers who agreed. Ask for consent at checkout or with "
                                "a sign-up form; if this message is about an order, make the step transactional.")),
    "no_consent_sms": (gettext_lazy("Not sent by SMS: the customer has not agreed to marketing by SMS"),
                       gettext_lazy("Marketing by SMS goes only to customers who agreed to it. Ask for SMS consent "
                                    "at checkout or with a sign-up form, or send this step by e-mail.")),
    "no_consent_whatsapp": (gettext_lazy("Not sent on WhatsApp: the customer has not agreed to marketing on WhatsApp"),
                            gettext_lazy("Marketing on WhatsApp goes only to customers who agreed to it. Ask for "
                                         "WhatsApp consent at checkout or with a sign-up form, or send this step by "
                                         "e-mail.")),
    "no_address": (gettext_lazy("Not sent: the customer has no address for this channel"),
                   gettext_lazy("Collect that address in your store, or use email for this step.")),
}


@dataclass
class SkipRule:
    title: str
    count: int
    customers_url: str
    rule_url: str = ""      # the rule's edit page: where "use email for this step" is done


@dataclass
class SkipGroup:
    kind: str
    count: int = 0
    rules: list = field(default_factory=list)

    @property
    def happened(self) -> str:
        return SKIPS[self.kind][0]

    @property
    def to_do(self) -> str:
        return SKIPS[self.kind][1]


def skip_groups(now: datetime | None = None) -> list[SkipGroup]:
    """The skipped sends by reason, each with its rules, how many, and a link to the customers."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from ..models import Rule
    from ..reports.journey import reason_kind

    now = now or timezone.now()
    rows = (skipped_sends(now).values("cancel_reason", "rule_id", "path").annotate(n=Count("id"))
            .order_by("rule_id", "path"))
    titles = {}
    groups: dict[str, SkipGroup] = {}
    since = timezone.localtime(now - SKIPPED_WINDOW).date().isoformat()
    until = timezone.localtime(now).date().isoformat()
    for row in rows:
        kind = skip_kind(row["cancel_reason"])
        group = groups.setdefault(kind, SkipGroup(kind))
        group.count += row["n"]
        if row["rule_id"] not in titles:
            rule = Rule.objects.filter(pk=row["rule_id"]).only("title", "rule_id").first()
            titles[row["rule_id"]] = (rule.title, rule.rule_id) if rule else (_("Masa"), "")
        title, rule_id = titles[row["rule_id"]]
        rule_url = reverse("wagtailsnippets_masa_rule:edit", args=[row["rule_id"]]) if rule_id else ""
        url = (reverse("masa_customers") + "?" + urlencode({
            "rule": rule_id, "step": row["path"], "state": "skipped", "reason": reason_kind(row["cancel_reason"]),
            "since": since, "until": until})) if rule_id else ""
        group.rules.append(SkipRule(title, row["n"], url, rule_url))
    order = list(SKIPS)
    return sorted(groups.values(), key=lambda g: (-g.count, order.index(g.kind)))


def failure_cause(error: str) -> str:
    """Why an action failed, in a few kinds an owner can act on differently."""
    if error.startswith("no enabled channel"):
        return "no_channel"
    if error.startswith("gave up after"):
        return "gave_up"
    if "STAFF_EMAILS" in error:
        return "no_staff"
    if error.startswith(MISSING_DETAIL):
        return "no_address"
    return "refused"


CAUSES = {  # cause → (what happened, what to do)
    "no_channel": (gettext_lazy("No channel is turned on for these messages"),
                   gettext_lazy("Turn the channel on or add one under Channels, then try them again.")),
    "gave_up": (gettext_lazy("The channel kept failing, so Masa stopped trying"),
                gettext_lazy("Check the channel's settings and send it a test (Channels), then try them again.")),
    "no_staff": (gettext_lazy("Nobody is set to receive staff notifications"),
                 gettext_lazy("Ask whoever set up Masa to name the staff who get these notifications, "
                              "then try them again.")),
    "no_address": (gettext_lazy("The customer has no address for this channel"),
                   gettext_lazy("Add the customer's details in your store, or use another channel for this step; "
                                "then try them again, or dismiss them.")),
    "refused": (gettext_lazy("The channel or the store refused these"),
                gettext_lazy("See the details for what was said; fix the channel or the message, then try them "
                             "again — or dismiss them if they no longer matter.")),
}


@dataclass
class FailureGroup:
    cause: str
    ids: list = field(default_factory=list)
    actions: list = field(default_factory=list)   # the latest, shown

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def happened(self) -> str:
        return CAUSES[self.cause][0]

    @property
    def to_do(self) -> str:
        return CAUSES[self.cause][1]


SHOWN = 20


def failure_groups() -> dict[str, FailureGroup]:
    """The failed actions by cause (most first), the latest few of each with their customer."""
    groups: dict[str, FailureGroup] = {}
    for pk, error in failed_actions().order_by("-completed_at", "-pk").values_list("pk", "last_error"):
        cause = failure_cause(error or "")
        groups.setdefault(cause, FailureGroup(cause)).ids.append(pk)
    return dict(sorted(groups.items(), key=lambda item: (-item[1].count, list(CAUSES).index(item[0]))))


def rejection_code(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


@dataclass
class RejectionGroup:
    code: str
    happened: str
    to_do: str
    requests: int = 0
    last_seen_at: datetime | None = None
    domains: set = field(default_factory=set)
    addresses: set = field(default_factory=set)
    example: str = ""


def rejection_groups(now: datetime | None = None) -> list[RejectionGroup]:
    """Refusals of the last 24 hours not dismissed, one group per reason, most requests first
    (at most ``REJECTED_WEBHOOKS_KEEP`` rows exist, so this reads a bounded number)."""
    groups: dict[str, RejectionGroup] = {}
    rows = rejected_recently(now).values_list("reason", "repeats", "last_seen_at", "received_at", "domain",
                                              "remote_addr")
    for reason, repeats, last_seen, received, domain, address in rows:
        seen = last_seen or received
        code = rejection_code(reason)
        group = groups.get(code) or groups.setdefault(code, RejectionGroup(code, *ADVICE.get(code, UNKNOWN)))
        group.requests += repeats
        if group.last_seen_at is None or seen > group.last_seen_at:
            group.last_seen_at, group.example = seen, reason
        group.domains.add(domain or _("no store named"))
        if address:
            group.addresses.add(address)
    return sorted(groups.values(), key=lambda g: (-g.requests, g.code))


def dismiss_rejections(code: str, now: datetime | None = None) -> int:
    """Dismiss the refusals of one reason (they stop counting; a new one counts again)."""
    now = now or timezone.now()
    ids = [pk for pk, reason in rejected_recently(now).values_list("pk", "reason") if rejection_code(reason) == code]
    return InboundDelivery.objects.filter(pk__in=ids).update(dismissed_at=now)

