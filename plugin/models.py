"""Masa's data, in the order it flows.

InboundDelivery (raw request) → StoreEvent (normalized) → RuleFiring → ScheduledAction
→ Delivery (+ DeliveryAttempt). Customer holds the facts the rules see.
"""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wagtail.models import DraftStateMixin, RevisionMixin

from .bidi import isolate


class Customer(models.Model):
    """A store customer and the facts the rules see about them (PostgreSQL is the source of truth)."""

    # The tag prefix of public lists the customer joined (``list:gardening``).
    LIST_TAG = "list:"

    store = models.CharField(
        max_length=255, blank=True, default="",
        help_text="The Saleor store the customer belongs to (its domain, lower case); empty: the site's own "
                  "in-process store (Django signals). A customer is (store, store id): two stores are two customers.",
    )
    store_id = models.CharField(
        max_length=255, blank=True, null=True,
        help_text="The customer's id in the store (a Saleor User id); empty for guests.",
    )
    email = models.EmailField(db_index=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    locale = models.CharField(max_length=16, blank=True, help_text="e.g. he, en-us: picks a template's text")
    locale_source = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="An IANA name; empty: the site's")
    time_zone_source = models.CharField(max_length=100, blank=True)
    marketing_consent = models.BooleanField(
        default=False, help_text="Marketing needs it; given in the store (MASA['CONSENT_METADATA_KEY']) or by an opt-in")
    marketing_consent_at = models.DateTimeField(null=True, blank=True, help_text="When consent was given or withdrawn")
    marketing_consent_source = models.CharField(max_length=100, blank=True, help_text="Where consent came from")
    # Marketing consent per channel (``masa.consent``): ``marketing_consent`` above is e-mail's (the
    # single flag of Masa 0.1 was e-mail's), these are the phone's channels.
    sms_consent = models.BooleanField(default=False, help_text="Marketing by SMS")
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    sms_consent_source = models.CharField(max_length=100, blank=True)
    whatsapp_consent = models.BooleanField(default=False, help_text="Marketing on WhatsApp")
    whatsapp_consent_at = models.DateTimeField(null=True, blank=True)
    whatsapp_consent_source = models.CharField(max_length=100, blank=True)
    whatsapp_wrote_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer last wrote to the shop on WhatsApp: free text may be sent "
                                         "for 24 hours after it (the customer-service window)")
    orders_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    category_counts = models.JSONField(default=dict, blank=True, help_text="category slug → orders containing it")
    last_bought_category = models.JSONField(default=dict, blank=True, help_text="category slug → ISO time")
    last_bought_product = models.JSONField(default=dict, blank=True, help_text="product id → ISO time")
    order_times = models.JSONField(default=list, blank=True, help_text="ISO times of the latest orders")
    category_times = models.JSONField(default=dict, blank=True, help_text="category slug → ISO times of its orders")
    tags = models.JSONField(default=list, blank=True)
    facts = models.JSONField(default=dict, blank=True, help_text="Facts set by rules: tier, score, tags…")
    store_metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email"]
        permissions = [("trigger_rule_customer", "Can trigger a rule for a customer by hand")]
        # Intake finds a guest by e-mail, whatever its case (``email__iexact`` is UPPER(email) = UPPER(%s)).
        indexes = [models.Index(Upper("email"), name="masa_customer_email_upper")]
        constraints = [models.UniqueConstraint(fields=["store", "store_id"], name="masa_customer_store_identity")]

    def __str__(self):
        return self.email

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class InboundDelivery(models.Model):
    """One request that reached an intake endpoint, accepted or rejected, kept as received."""

    class Status(models.TextChoices):
        RECEIVED = "received", gettext_lazy("Received")  # verified and stored; its events are read by the worker
        ACCEPTED = "accepted", gettext_lazy("Accepted")  # its events are stored
        FAILED = "failed", gettext_lazy("Failed")  # verified, but its events could not be read (the reason says why)
        DUPLICATE = "duplicate", gettext_lazy("Duplicate")
        REJECTED = "rejected", gettext_lazy("Rejected")

    source = models.CharField(max_length=32, default="saleor")
    event_type = models.CharField(max_length=64, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, help_text="The exact bytes received (none kept when rejected)")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A rejection seen again counts here instead of adding a row (signals/rejections.py).
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    repeats = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True, help_text="A refusal the admin has dismissed")

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = gettext_lazy("inbound deliveries")
        indexes = [models.Index(fields=["id"], condition=models.Q(status="received"), name="masa_inbound_received")]

    def __str__(self):
        return f"{self.event_type or '?'} from {self.domain or '?'} ({self.status})"


class StoreEvent(models.Model):
    """A normalized store event (docs/architecture.md, "Events"); unique per (source, source_id)."""

    class Status(models.TextChoices):
        RECEIVED = "received", gettext_lazy("Received")
        PROCESSED = "processed", gettext_lazy("Processed")
        IGNORED = "ignored", gettext_lazy("Ignored")
        FAILED = "failed", gettext_lazy("Failed")

    source = models.CharField(max_length=32)
    source_id = models.CharField(max_length=255)
    name = models.CharField(max_length=64, db_index=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    inbound = models.ForeignKey(InboundDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="masa_event_unique_source_id")]
        indexes = [
            models.Index(fields=["received_at"], condition=Q(status="received"), name="masa_event_outbox"),
            models.Index(fields=["customer", "occurred_at"], name="masa_event_customer_time"),
        ]

    def __str__(self):
        return f"{self.name} #{self.pk}"


class Channel(models.Model):
    """A way to reach customers, configured by the shop admin. Secrets are write-only."""

    class Kind:
        """The kinds Masa ships; the admin offers every kind of MASA["CHANNEL_BACKENDS"]."""

        EMAIL, SMS, WHATSAPP, WEBHOOK = "email", "sms", "whatsapp", "webhook"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, help_text=gettext_lazy("A kind of MASA['CHANNEL_BACKENDS']: email, sms, webhook…"))
    enabled = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True, help_text=gettext_lazy("Non-secret settings (sender, backend…)"))
    secrets = models.JSONField(default=dict, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, help_text="Transient failures in a row")
    circuit_open_until = models.DateTimeField(null=True, blank=True, help_text="No sends are tried before this")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return isolate(self.name)   # data wherever Wagtail shows it (headers, breadcrumbs, history), in either direction


class MessageTemplate(models.Model):
    """Text of a message; merge tags like ``{{ customer.first_name }}`` are filled at send time."""

    key = models.SlugField(max_length=150)
    pack = models.CharField(max_length=100, blank=True, db_index=True)
    channel_kind = models.CharField(max_length=32, blank=True, help_text=gettext_lazy("Empty: any channel"))
    locale = models.CharField(max_length=16, blank=True, help_text=gettext_lazy("Empty: the default for every locale"))
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    provider_template = models.JSONField(
        default=dict, blank=True,
        help_text=gettext_lazy("A template the provider approved (WhatsApp): name, language, variables (merge tags)"))

    class Meta:
        ordering = ["key", "locale", "channel_kind"]
        constraints = [models.UniqueConstraint(fields=["key", "locale", "channel_kind"],
                                               name="masa_template_key_locale_kind")]

    def __str__(self):
        return f"{self.key} [{self.locale}]" if self.locale else self.key


class RulePack(models.Model):
    """A versioned pack of rules and templates, with the shop's values for its parameters."""

    pack_id = models.SlugField(max_length=100, unique=True)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=255)
    author = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    min_masa_version = models.CharField(max_length=32, blank=True)
    parameters = models.JSONField(default=dict, blank=True, help_text="Declared parameters: name → type, default…")
    parameter_values = models.JSONField(default=dict, blank=True, help_text="This shop's values")
    segments = models.JSONField(default=dict, blank=True, help_text="Named condition lists: {segment: name}")
    dosage = models.JSONField(default=dict, blank=True,
                              help_text="The pack's own caps, quiet hours and keep-in-touch (docs/rule-packs.md)")
    holdout_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(50)],
        help_text=gettext_lazy("Customers held out of this pack's marketing sends (0–50 %), to measure what it earns"))
    cart_abandonment = models.CharField(max_length=16, blank=True,
                                        help_text="'checkout': the pack asks for one abandonment per open checkout")
    source = models.TextField(blank=True, help_text="The pack document as imported")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pack_id"]

    def __str__(self):
        return f"{self.title} {self.version}"

    def resolved_parameters(self) -> dict:
        values = {name: spec.get("default") for name, spec in self.parameters.items()}
        values.update({k: v for k, v in self.parameter_values.items() if k in self.parameters})
        return values


class PackSubscription(models.Model):
    """A shop's subscription to an agency's signed pack releases at an HTTPS address: the agency's
    public key is pinned when subscribing; a release is checked (signature before parsing) daily and
    offered, never applied, until the shop confirms it through the upgrade preview."""

    class Status(models.TextChoices):
        UP_TO_DATE = "up_to_date", gettext_lazy("Up to date")
        AVAILABLE = "available", gettext_lazy("A new version is available")
        REFUSED = "refused", gettext_lazy("Refused")
        UNREACHABLE = "unreachable", gettext_lazy("Could not be checked")

    url = models.URLField(max_length=500, unique=True, help_text=gettext_lazy("Where the agency publishes pack.yaml"))
    signature_url = models.URLField(max_length=500, blank=True,
                                    help_text=gettext_lazy("Where its signature is; empty: the same address + .sig"))
    public_key = models.TextField(help_text=gettext_lazy("The agency's Ed25519 public key, pinned when subscribing"))
    pack_id = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UP_TO_DATE)
    available_version = models.CharField(max_length=32, blank=True)
    available_source = models.TextField(blank=True, help_text="The verified release waiting for the shop's choice")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=32, blank=True,
                               help_text="Why the last check was refused or failed (packs.subscriptions.PROBLEMS)")
    last_error = models.TextField(blank=True, help_text="What the last check met, in a sentence (shown under Details)")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url"]

    def __str__(self):
        return isolate(self.pack_id or self.url)


class Rule(DraftStateMixin, RevisionMixin, models.Model):
    """A declarative rule: trigger, conditions and steps (see docs/rule-packs.md).

    Edits are drafts kept as revisions until published; only live, enabled rules are evaluated.
    The on/off switch, the pack's shipped definition and the version belong to the rule itself,
    not to a revision: publishing an older revision keeps them as they are now.
    """

    rule_id = models.SlugField(max_length=100, unique=True)
    pack = models.CharField(max_length=100, default="local", db_index=True)
    title = models.CharField(max_length=255)
    definition = models.JSONField()
    pack_definition = models.JSONField(null=True, blank=True, help_text="The definition as the pack shipped it")
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised whenever the definition changes")
    split_winners = models.JSONField(default=dict, blank=True, editable=False,
                                     help_text="A/B splits decided: split place → the branch everyone now takes")
    holdout_percent = models.PositiveSmallIntegerField(
        default=0, verbose_name=gettext_lazy("Holdout (%)"), validators=[MaxValueValidator(50)],
        help_text=gettext_lazy("Customers held out of this rule's marketing sends (0–50 %), to measure what it "
                               "earns; 0: the pack's holdout applies"))
    updated_at = models.DateTimeField(auto_now=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="masa_rule")

    @property
    def revisions(self):
        return self._revisions

    @property
    def locally_edited(self) -> bool:
        return self.pack_definition is not None and self.pack_definition != self.definition

    class Meta:
        ordering = ["pack", "rule_id"]

    def __str__(self):
        return isolate(self.title or self.rule_id)   # kept in its revisions: Wagtail's headers show it

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        for name in ("rule_id", "pack", "enabled", "version", "pack_definition", "split_winners"):
            setattr(obj, name, getattr(self, name))
        return obj

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.pk and (update_fields is None or "definition" in update_fields):
            stored = Rule.objects.filter(pk=self.pk).values_list("definition", flat=True).first()
            if stored is not None and stored != self.definition:
                self.version += 1
                if update_fields is not None:
                    kwargs["update_fields"] = [*update_fields, "version"]
        super().save(*args, **kwargs)


class CustomerNote(models.Model):
    """A note staff wrote on a customer's timeline, optionally with a reminder to one staff member
    (shown on their dashboard from ``remind_at`` until they mark it done)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    remind = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="masa_reminders", help_text="Who is reminded")
    remind_at = models.DateTimeField(null=True, blank=True, help_text="When the reminder shows")
    reminder_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class RuleFiring(models.Model):
    """A rule matched an event for a customer (once per rule version and event)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    rule_version = models.PositiveIntegerField()
    event = models.ForeignKey(StoreEvent, on_delete=models.CASCADE, related_name="firings")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField(default=timezone.now)
    scope_key = models.CharField(max_length=255, help_text="What the rule fires once for: an event, an order, a customer…")
    facts_set = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "scope_key"], name="masa_firing_once_per_scope"),
        ]


class OrderChange(models.Model):
    """A fact or tag a rule changed because of an order (a ``set`` / ``tag`` step undone with its
    order), kept so that cancelling or fully refunding the order takes it back (``rules.takeback``)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="order_changes")
    order_id = models.CharField(max_length=255, db_index=True)
    number = models.CharField(max_length=64, blank=True)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    firing = models.ForeignKey(RuleFiring, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey(StoreEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              help_text="The event whose evaluation made the change")
    fact = models.CharField(max_length=200, help_text="A fact's name, or tag:<name>")
    before = models.JSONField(null=True, blank=True, help_text="Its value before (null: it had none)")
    after = models.JSONField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    taken_back_at = models.DateTimeField(null=True, blank=True)
    taken_back_by = models.ForeignKey(StoreEvent, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="took_back", help_text="The cancellation or full refund")
    restored = models.BooleanField(default=False, help_text="False when taken back: it had changed since, so kept")
    restored_to = models.JSONField(null=True, blank=True, help_text="The value given back when restored (null: none)")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["customer", "order_id"], name="masa_orderchange_order")]


class ScheduledAction(models.Model):
    """A step to perform at ``due_at``; its guard is re-checked then."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        CLAIMED = "claimed", gettext_lazy("Claimed")
        DONE = "done", gettext_lazy("Done")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")
        FAILED = "failed", gettext_lazy("Failed")

    idempotency_key = models.CharField(max_length=255, unique=True)
    firing = models.ForeignKey(RuleFiring, null=True, blank=True, on_delete=models.CASCADE, related_name="actions")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.CASCADE, related_name="actions",
                             help_text="Empty for Masa's own actions (e.g. confirming a cart abandonment)")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="actions")
    event = models.ForeignKey(StoreEvent, on_delete=models.CASCADE, related_name="actions")
    step = models.PositiveIntegerField()
    path = models.CharField(max_length=200, blank=True, help_text="The step in its rule: steps[2], steps[3].wait.on_event[0]")
    kind = models.CharField(max_length=32, default="send")
    params = models.JSONField(default=dict, help_text="What to do: channel, template…")
    guard = models.JSONField(default=list, blank=True, help_text="Conditions re-checked at due time")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    cancel_reason = models.TextField(blank=True)
    voided_by = models.ForeignKey(StoreEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="voided",
                                  help_text="The purchase that cancelled it (restored if that order is cancelled)")
    outcome = models.TextField(blank=True, help_text="How a wait for an event ended")
    held_out = models.BooleanField(default=False, help_text="A marketing send recorded instead of sent (holdout)")
    channel_choice = models.JSONField(
        default=dict, blank=True,
        help_text="For a send on the customer's preferred channel: the channel chosen, why, and the comparison "
                  "group (preferred or the default channel)")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="masa_action_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="claimed"), name="masa_action_claimed"),
            models.Index(fields=["customer", "status"], name="masa_action_customer"),
            models.Index(fields=["rule", "status", "path"], name="masa_action_rule_step"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.customer} at {self.due_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_marketing_send(self) -> bool:
        """A marketing message: needs consent, counts against caps, waits out quiet hours."""
        return self.kind == "send" and self.params.get("class", "marketing") == "marketing"


class Delivery(models.Model):
    """One message to one customer: the exact content sent and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        SENT = "sent", gettext_lazy("Sent")
        DELIVERED = "delivered", gettext_lazy("Delivered")
        BOUNCED = "bounced", gettext_lazy("Bounced")
        FAILED = "failed", gettext_lazy("Failed")
        DEAD = "dead", gettext_lazy("Dead")

    # Handed to the provider (what it said later does not make it unsent).
    SENT_STATUSES = (Status.SENT, Status.DELIVERED, Status.BOUNCED)

    idempotency_key = models.CharField(max_length=255, unique=True)
    public_id = models.CharField(max_length=32, unique=True, null=True, editable=False,
                                 help_text="What tracking links name (tracking.public_id of the key)")
    action = models.OneToOneField(ScheduledAction, null=True, blank=True, on_delete=models.CASCADE, related_name="delivery")
    channel = models.ForeignKey(Channel, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="deliveries")
    template_key = models.CharField(max_length=100, blank=True)
    to = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    provider_template = models.JSONField(
        default=dict, blank=True, help_text="Sent as the provider's approved template: name, language, parameters")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = gettext_lazy("deliveries")
        # Providers' status callbacks (anymail, WhatsApp) find a Delivery by the provider's message id.
        indexes = [models.Index(fields=["provider_message_id"], condition=~Q(provider_message_id=""),
                                name="masa_delivery_provider_id")]

    def save(self, *args, **kwargs):
        if not self.public_id:
            from .tracking import public_id

            self.public_id = public_id(self.idempotency_key)
        super().save(*args, **kwargs)


class DeliveryAttempt(models.Model):
    """One try at handing a Delivery to its channel (as Saleor's EventDeliveryAttempt)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]


class SaleorApp(models.Model):
    """A Saleor store that installed Masa from its dashboard (the App manifest flow).

    Saleor sends the app's token to Masa's register URL; it is kept encrypted at rest
    (``saleor.installation``) and never shown. Stores named in ``MASA["SALEOR_STORES"]`` keep
    working beside these.
    """

    class Status(models.TextChoices):
        INSTALLED = "installed", gettext_lazy("Installed")
        UNINSTALLED = "uninstalled", gettext_lazy("Uninstalled")
        TOKEN_REJECTED = "token_rejected", gettext_lazy("Token rejected")

    domain = models.CharField(max_length=255, help_text="What Saleor sends as Saleor-Domain")
    api_url = models.URLField(unique=True, help_text="The store's GraphQL API")
    app_id = models.CharField(max_length=255, blank=True, help_text="Masa's App id in that Saleor")
    token_encrypted = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INSTALLED)
    installed_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = gettext_lazy("Saleor store")

    def __str__(self):
        return f"{self.domain} ({self.get_status_display()})"


class DeletedStoreCustomer(models.Model):
    """A customer their Saleor store deleted (``CUSTOMER_DELETED``), by a digest of their Saleor id:
    a delivery Saleor built before the deletion but delivered after it is dropped instead of
    bringing them back (``signals.inbound``). No name, e-mail or id is kept."""

    store = models.CharField(max_length=255)
    store_id_digest = models.CharField(max_length=64)
    deleted_at = models.DateTimeField(help_text="When the store deleted them (the deletion's issuedAt)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "store_id_digest"], name="masa_deleted_customer")]

    @staticmethod
    def digest(store_id: str) -> str:
        import hashlib

        return hashlib.sha256(f"masa-deleted:{store_id}".encode()).hexdigest()


class WorkerHeartbeat(models.Model):
    """The last time each kind of worker did a round (``masa_worker``, ``masa_sweep``, Celery beat's
    sweep): what the
    first-run check and the Journeys panel read to say whether anything is evaluating events."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def last_seen(cls):
        """When any worker last finished a round (None: never); what health and metrics report."""
        return cls.objects.aggregate(seen=models.Max("seen_at"))["seen"]


class Broadcast(models.Model):
    """"To everyone in the rule's segment, now or at a date": a rule triggered by ``broadcast``,
    fanned out as one ``broadcast`` event per customer (``rules.broadcast``), so each customer's
    send is a scheduled action of their own — consent, caps, quiet hours and the rule's checks
    applied when it falls due, never a scan of customers at send time."""

    class Status(models.TextChoices):
        FANNING_OUT = "fanning_out", gettext_lazy("Reaching customers")
        SCHEDULED = "scheduled", gettext_lazy("Scheduled for every customer")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="broadcasts")
    send_at = models.DateTimeField(help_text="When the messages go (now, or a later date)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FANNING_OUT)
    customers_total = models.PositiveIntegerField(default=0)
    customers_done = models.PositiveIntegerField(default=0)
    customers_skipped = models.PositiveIntegerField(default=0, help_text="No marketing consent when reached")
    last_customer_id = models.BigIntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="masa_broadcast_status")]

    def __str__(self):
        return f"Broadcast of {self.rule.rule_id} at {self.send_at:%Y-%m-%d %H:%M}"

    @property
    def progress(self) -> int:
        """Percent of the shop's customers reached so far."""
        return 100 if not self.customers_total else min(100, round(100 * self.customers_done / self.customers_total))


class Job(models.Model):
    """Long work the admin started (simulate, backfill, a pack upgrade) running in the background:
    its progress, the outcome to read later, and a cancel the work checks between steps."""

    class Kind(models.TextChoices):
        SIMULATE = "simulate", gettext_lazy("Simulate a rule")
        BACKFILL = "backfill", gettext_lazy("Backfill a rule")
        UPGRADE = "upgrade", gettext_lazy("Upgrade a pack")

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("Queued")
        RUNNING = "running", gettext_lazy("Running")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Failed")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=255)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    pack_id = models.CharField(max_length=100, blank=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=255, blank=True, help_text="What it is doing now")
    outcome = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life while running")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="masa_job_status")]

    def __str__(self):
        return self.title

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else (100 if self.finished_at else 0)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


# What Wagtail calls these models ("Add rule", "Edit channel", the breadcrumbs), in the admin's
# language. Set on ``_meta`` rather than in ``Meta`` so that the migrations' state (which records a
# ``Meta.verbose_name``) stays as it is: these are words on a screen, not a schema.
for _model, _singular, _plural in (
    (Rule, gettext_lazy("rule"), gettext_lazy("rules")),
    (RulePack, gettext_lazy("rule pack"), gettext_lazy("rule packs")),
    (MessageTemplate, gettext_lazy("message template"), gettext_lazy("message templates")),
    (Channel, gettext_lazy("channel"), gettext_lazy("channels")),
    (Customer, gettext_lazy("customer"), gettext_lazy("customers")),
    (Broadcast, gettext_lazy("broadcast"), gettext_lazy("broadcasts")),
    (Job, gettext_lazy("background job"), gettext_lazy("background jobs")),
):
    _model._meta.verbose_name, _model._meta.verbose_name_plural = _singular, _plural
del _model, _singular, _plural
