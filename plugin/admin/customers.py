"""Customers in the Wagtail admin: search, and one page with a customer's whole journey."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .. import conf
from ..actions import schedule
from ..models import Customer, CustomerNote, Rule, SaleorApp, ScheduledAction
from ..privacy import erase_customer
from ..rehearsal import Busy
from ..rules.manual import trigger_by_hand
from ..stores import store_key
from ..packs.forecast import forecast
from ..reports.timeline import timeline, when
from .journey_customers import step_filter
from .wording import describer
from .base import AdminPage, MasaPage


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
    page_title = "Customers"

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


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Add a note")


class TriggerForm(forms.Form):
    rule = forms.ModelChoiceField(queryset=Rule.objects.filter(enabled=True, live=True), label="Start a rule by hand",
                                  help_text="Its steps run for this customer from now; sends are still re-checked.")


class CustomerTimelineView(MasaPage):
    template_name = "masa/admin/customer.html"
    permission = "view_customer"
    header_icon = "user"

    object_model, object_name = Customer, "customer"
    parent = ("Customers", "masa_customers")

    def get_page_title(self):
        return f"{self.customer.full_name or self.customer.email}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        customer = self.customer
        context.update(
            customer=customer, entries=timeline(customer, describe=describer()),
            facts=sorted((customer.facts or {}).items()),
            can_edit=user.has_perm("masa.change_customer"),
            can_trigger=user.has_perm("masa.trigger_rule_customer"),
            can_erase=user.has_perm("masa.delete_customer"),
            note_form=kwargs.get("note_form") or NoteForm(), trigger_form=kwargs.get("trigger_form") or TriggerForm(),
            pending=customer.actions.filter(status=ScheduledAction.Status.PENDING).count(),
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
        return [{**vars(item), "when": when(item.at, self.customer)} for item in ahead]

    def post(self, request, *args, **kwargs):
        handler = {"note": self._note, "cancel": self._cancel, "trigger": self._trigger,
                   "erase": self._erase}.get(request.POST.get("do"))
        if handler is None:
            return redirect("masa_customer", pk=self.customer.pk)
        return handler(request)

    def _note(self, request):
        if not request.user.has_perm("masa.add_customernote"):
            raise PermissionDenied
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(note_form=form))
        CustomerNote.objects.create(customer=self.customer, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
        return redirect("masa_customer", pk=self.customer.pk)

    def _cancel(self, request):
        if not request.user.has_perm("masa.change_customer"):
            raise PermissionDenied
        action = get_object_or_404(ScheduledAction, pk=request.POST.get("action"), customer=self.customer)
        cancelled = schedule.cancel(ScheduledAction.objects.filter(pk=action.pk),
                                    f"cancelled by {request.user.get_username()}", timezone.now())
        if cancelled:
            log(instance=self.customer, action="masa.action.cancel", user=request.user,
                data={"action": action.pk, "kind": action.kind, "template": action.params.get("template", "")})
            messages.success(request, f"Cancelled: {describer()(action)}.")
        else:
            messages.warning(request, "That action is no longer pending.")
        return redirect("masa_customer", pk=self.customer.pk)

    def _trigger(self, request):
        if not request.user.has_perm("masa.trigger_rule_customer"):
            raise PermissionDenied
        form = TriggerForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(trigger_form=form))
        rule = form.cleaned_data["rule"]
        trigger_by_hand(self.customer, rule, by=request.user.get_username())
        log(instance=self.customer, action="masa.rule.trigger", user=request.user, data={"rule": rule.rule_id})
        messages.success(request, f"Rule “{rule}” started for {self.customer.email}.")
        return redirect("masa_customer", pk=self.customer.pk)

    def _erase(self, request):
        if not request.user.has_perm("masa.delete_customer"):
            raise PermissionDenied
        if request.POST.get("confirm_email", "").strip().lower() != self.customer.email.lower():
            messages.error(request, _("Type the customer's email address to confirm the erasure: nothing was erased."))
            return redirect("masa_customer", pk=self.customer.pk)
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
