"""Customers in the Wagtail admin: search, and one page per customer — their communication timeline
(``timeline``), engagement (``engagement``), what comes next, and quick actions (``customer_actions``)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from .. import conf, consent
from ..actions import schedule
from ..money import format_money
from ..models import Customer, CustomerNote, Rule, SaleorApp, ScheduledAction
from ..privacy import erase_customer
from ..rehearsal import Busy
from ..rules.manual import trigger_by_hand
from ..stores import store_key
from ..packs.forecast import forecast
from .journey_customers import step_filter
from .customer_actions import (NoteForm, PersonalMessageForm, TagForm, add_note, add_tag, outcome_words, waiting_note,
                               reachable_channels, send_personal, skipped_for_consent, unsubscribe)
from .consent_words import consent_rows, stopped_words
from .customer_channels import channels_section
from .engagement import engagement
from .timeline import GROUPS, data, local_time, planned, story, their_time
from .wording import describer
from .base import AdminPage, MasaPage
from ..bidi import isolate


def matching(query: str):
    """Customers whose email, phone or store id holds ``query``, or whose name has each of its words;
    the most recently changed first."""
    customers = Customer.objects.order_by("-updated_at")
    if not query:
        return customers
    name = Q()
    for word in query.split():
        name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return customers.filter(Q(email__icontains=query) | Q(phone__icontains=query) | Q(store_id=query) | name)


class CustomerIndexView(MasaPage):
    template_name = "masa/admin/customers.html"
    permission = "view_customer"
    header_icon = "user"
    page_title = gettext_lazy("Customers")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        customers = matching(query)
        band = self.request.GET.get("band", "")
        if band:
            customers = customers.filter(facts__score_band=band)
        at_step = step_filter(self.request.GET)
        if at_step is not None:
            customers = customers.filter(pk__in=at_step.customers)
        page = Paginator(customers, 50).get_page(self.request.GET.get("p"))
        bands = sorted(filter(None, Customer.objects.exclude(facts__score_band=None)
                              .values_list("facts__score_band", flat=True).distinct()))
        context.update(query=query, page=page, band=band, bands=bands, at_step=at_step,
                       filters=self.request.GET.urlencode() and _without_page(self.request.GET),
                       show_stores=several_stores())
        return context


def _without_page(query) -> str:
    kept = query.copy()
    kept.pop("p", None)
    return kept.urlencode()


class JourneyChoice(forms.ModelChoiceField):
    """The live journeys by title, each isolated for right-to-left pages."""

    def label_from_instance(self, obj):
        return isolate(obj.title)


class TriggerForm(forms.Form):
    rule = JourneyChoice(queryset=Rule.objects.filter(enabled=True, live=True).order_by("title"),
                         label=gettext_lazy("Journey"),
                         help_text=gettext_lazy("Its steps run for this customer from now; each message "
                                                "is still checked before it goes."))


class CustomerTimelineView(MasaPage):
    template_name = "masa/admin/customer.html"
    permission = "view_customer"
    header_icon = "user"

    object_model, object_name = Customer, "customer"
    parent = (gettext_lazy("Customers"), "masa_customers")

    def get_page_title(self):
        return isolate(self.customer.full_name or self.customer.email)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        customer = self.customer
        group = self.request.GET.get("show", "")
        group = group if group in GROUPS else ""
        months, peak = engagement(customer)
        can_edit = user.has_perm("masa.change_customer")
        waiting = (customer.actions.filter(status=ScheduledAction.Status.PENDING)
                   .select_related("rule", "event", "customer").order_by("due_at"))
        describe = describer()
        context.update(
            customer=customer, lines=story(customer, describe, group), group=group, consents=consent_rows(customer),
            channels=channels_section(customer),
            show_store=bool(customer.store) and several_stores(),
            customer_spent=format_money(customer.total_spent, customer.currency), email_isolated=data(customer.email),
            facts=sorted((customer.facts or {}).items()),
            filters=[("", _("Everything")), ("messages", _("Messages")), ("orders", _("Orders")),
                     ("journeys", _("Journeys"))],
            months=months, peak=peak,
            waiting=[{"action": action, "what": planned(action, describe), "when": their_time(action.due_at, customer),
                      "rule": action.rule.title if action.rule else _("Masa"), "note": waiting_note(action),
                     "skipped": skipped_for_consent(action)}
                     for action in waiting],
            can_edit=can_edit, can_note=user.has_perm("masa.add_customernote"),
            can_trigger=user.has_perm("masa.trigger_rule_customer"),
            can_erase=user.has_perm("masa.delete_customer"),
            note_form=kwargs.get("note_form") or NoteForm(),
            trigger_form=kwargs.get("trigger_form") or TriggerForm(),
            tag_form=kwargs.get("tag_form") or TagForm(),
            message_form=kwargs.get("message_form") or PersonalMessageForm(customer=customer),
            reachable=reachable_channels(customer),
            reminders=customer.notes.filter(remind__isnull=False, reminder_done_at=None).select_related("remind"),
            upcoming=self.upcoming() if self.request.GET.get("next") else None,
        )
        return context

    def upcoming(self) -> list[dict] | None:
        """The next 90 days (``packs.forecast``), each with its time in the customer's zone; None
        (and a message) while another simulation or forecast plays: one at a time."""
        try:
            ahead = forecast(self.customer, days=90, describe=describer())
        except Busy:
            messages.warning(self.request, _("The next 90 days cannot be shown now: another simulation or forecast "
                                             "is playing, and only one runs at a time. Try again in a minute."))
            return None
        return [{**vars(item), "when": their_time(item.at, self.customer)} for item in ahead]

    def post(self, request, *args, **kwargs):
        handler = {"note": self._note, "cancel": self._cancel, "trigger": self._trigger, "erase": self._erase,
                   "tag": self._tag, "message": self._message, "unsubscribe": self._unsubscribe,
                   "reminder_done": self._reminder_done}.get(request.POST.get("do"))
        if handler is None:
            return redirect("masa_customer", pk=self.customer.pk)
        return handler(request)

    def _back(self):
        return redirect("masa_customer", pk=self.customer.pk)

    def _require(self, request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def _note(self, request):
        self._require(request, "masa.add_customernote")
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(note_form=form))
        note = add_note(self.customer, request.user, form)
        if note.remind_id:
            messages.success(request, _("Note added. %(name)s will be reminded on %(when)s.")
                             % {"name": note.remind.get_username(), "when": local_time(note.remind_at)})
        else:
            messages.success(request, _("Note added."))
        return self._back()

    def _reminder_done(self, request):
        note = get_object_or_404(CustomerNote, pk=request.POST.get("note"), customer=self.customer)
        if note.remind_id != request.user.pk and not request.user.has_perm("masa.change_customer"):
            raise PermissionDenied
        CustomerNote.objects.filter(pk=note.pk).update(reminder_done_at=timezone.now())
        messages.success(request, _("Reminder marked done."))
        return redirect(request.POST.get("next") if request.POST.get("next") == reverse("wagtailadmin_home")
                        else reverse("masa_customer", args=[self.customer.pk]))

    def _tag(self, request):
        self._require(request, "masa.change_customer")
        form = TagForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(tag_form=form))
        tag = form.cleaned_data["tag"]
        if add_tag(self.customer, tag):
            log(instance=self.customer, action="masa.customer.tag", user=request.user, data={"tag": tag})
            messages.success(request, _("Tag “%(tag)s” added.") % {"tag": tag})
        else:
            messages.info(request, _("The customer already has the tag “%(tag)s”.") % {"tag": tag})
        return self._back()

    def _message(self, request):
        self._require(request, "masa.change_customer")
        form = PersonalMessageForm(request.POST, customer=self.customer)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(message_form=form))
        action = send_personal(self.customer, form, by=request.user.get_username())
        log(instance=self.customer, action="masa.customer.message", user=request.user,
            data={"channel": form.cleaned_data["channel"].name, "class": action.params.get("class"),
                  "status": action.status})
        level, text = outcome_words(action)
        getattr(messages, level)(request, text)
        return self._back()

    def _unsubscribe(self, request):
        """Stop marketing on one channel kind (``channel``: email, sms, whatsapp) or, without one
        (or ``all``), on every channel."""
        self._require(request, "masa.change_customer")
        chosen = request.POST.get("channel", "all")
        kinds = [chosen] if chosen in consent.KINDS else list(consent.KINDS)
        unsubscribe(self.customer, by=request.user.get_username(), kinds=kinds)
        log(instance=self.customer, action="masa.customer.unsubscribe", user=request.user, data={"channels": kinds})
        messages.success(request, stopped_words(kinds))
        return self._back()

    def _cancel(self, request):
        self._require(request, "masa.change_customer")
        action = get_object_or_404(ScheduledAction, pk=request.POST.get("action"), customer=self.customer)
        cancelled = schedule.cancel(ScheduledAction.objects.filter(pk=action.pk),
                                    f"cancelled by {request.user.get_username()}", timezone.now())
        if cancelled:
            log(instance=self.customer, action="masa.action.cancel", user=request.user,
                data={"action": action.pk, "kind": action.kind, "template": action.params.get("template", "")})
            messages.success(request, _("Cancelled: %(what)s.") % {"what": planned(action, describer())})
        else:
            messages.warning(request, _("That step is no longer waiting."))
        return self._back()

    def _trigger(self, request):
        self._require(request, "masa.trigger_rule_customer")
        form = TriggerForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(trigger_form=form))
        rule = form.cleaned_data["rule"]
        trigger_by_hand(self.customer, rule, by=request.user.get_username())
        log(instance=self.customer, action="masa.rule.trigger", user=request.user, data={"rule": rule.rule_id})
        messages.success(request, _("“%(rule)s” started for this customer.") % {"rule": rule.title})
        return self._back()

    def _erase(self, request):
        self._require(request, "masa.delete_customer")
        if request.POST.get("confirm_email", "").strip().lower() != self.customer.email.lower():
            messages.error(request, _("Type the customer's email address to confirm the erasure: nothing was erased."))
            return self._back()
        erased = erase_customer(self.customer, user=request.user)
        messages.success(request, _("Customer #{number} erased: {events} events, {messages} messages, {notes} notes.")
                         .format(number=erased.customer_id, events=erased.events, messages=erased.messages,
                                 notes=erased.notes))
        return redirect("masa_customers")


def several_stores() -> bool:
    """Whether the site serves more than one store (then every customer's store is shown)."""
    stores = {store_key(store.get("domain")) for store in conf.get("SALEOR_STORES")}
    stores |= {store_key(domain) for domain in SaleorApp.objects.values_list("domain", flat=True)}
    stores |= set(Customer.objects.exclude(store="").values_list("store", flat=True).distinct()[:3])
    return len(stores - {""}) > 1


PAGES = [
    AdminPage("masa/customers/", CustomerIndexView, name="masa_customers",
              menu_label="Customers", menu_icon="user", menu_order=520),
    AdminPage("masa/customers/<int:pk>/", CustomerTimelineView, name="masa_customer"),
]
