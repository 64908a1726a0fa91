"""Broadcasts in the admin: start one from a broadcast rule (now or at a date), follow each one's
progress — customers reached, messages waiting, sent, cancelled — and cancel what is not sent."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.log_actions import log

from ..models import Broadcast, Customer, Rule
from ..rules.broadcast import BroadcastError, cancel_broadcast, progress, start_broadcast
from .base import AdminPage, MasaPage
from ..bidi import isolate


class BroadcastForm(forms.Form):
    when = forms.ChoiceField(choices=[("now", gettext_lazy("Now")), ("later", gettext_lazy("At a date"))],
                             widget=forms.RadioSelect, initial="now", label=gettext_lazy("When"))
    send_at = forms.DateTimeField(required=False, label=gettext_lazy("Date and time (the site's time zone)"),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    confirm = forms.BooleanField(label=gettext_lazy("I understand this schedules real messages to every customer "
                                                    "the rule selects"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "later":
            if not cleaned.get("send_at"):
                self.add_error("send_at", _("Choose when the messages go."))
            elif cleaned["send_at"] <= timezone.now():
                self.add_error("send_at", _("Choose a time in the future, or send now."))
        return cleaned


class RuleBroadcastView(MasaPage):
    template_name = "masa/admin/rule_broadcast.html"
    permission = "change_rule"
    object_model, object_name = Rule, "rule"
    parent = (gettext_lazy("Broadcasts"), "masa_broadcasts")

    def get_page_title(self):
        return _("Broadcast: %(rule)s") % {"rule": isolate(self.rule)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rule=self.rule, form=kwargs.get("form") or BroadcastForm(), customers=Customer.objects.count(),
                       is_broadcast=(self.rule.definition.get("trigger") or {}).get("event") == "broadcast")
        return context

    def post(self, request, *args, **kwargs):
        form = BroadcastForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        send_at = form.cleaned_data["send_at"] if form.cleaned_data["when"] == "later" else None
        try:
            broadcast = start_broadcast(self.rule, send_at, by=request.user.get_username())
        except BroadcastError as error:
            messages.error(request, str(error).capitalize() + ".")
            return redirect("masa_rule_broadcast", pk=self.rule.pk)
        log(instance=self.rule, action="masa.rule.broadcast", user=request.user,
            data={"broadcast": broadcast.pk, "send_at": broadcast.send_at.isoformat()})
        messages.success(request, ngettext(
            "Broadcast started: Masa is reaching the shop's %(count)s customer; follow it here.",
            "Broadcast started: Masa is reaching the shop's %(count)s customers; follow it here.",
            broadcast.customers_total) % {"count": broadcast.customers_total})
        return redirect("masa_broadcasts")


class BroadcastListView(MasaPage):
    template_name = "masa/admin/broadcasts.html"
    page_title = gettext_lazy("Broadcasts")

    def get_page_title(self):
        return self.page_title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = Broadcast.objects.select_related("rule")[:50]
        context.update(rows=[(b, progress(b)) for b in rows],
                       can_change=self.request.user.has_perm("masa.change_rule"))
        return context


def cancel_view(request, pk):
    if request.method != "POST" or not request.user.has_perm("masa.change_rule"):
        raise PermissionDenied
    broadcast = get_object_or_404(Broadcast, pk=pk)
    cancelled = cancel_broadcast(broadcast, by=request.user.get_username())
    log(instance=broadcast.rule, action="masa.broadcast.cancel", user=request.user,
        data={"broadcast": broadcast.pk, "cancelled": cancelled})
    messages.success(request, ngettext("Broadcast cancelled: %(count)s message not sent yet will not go.",
                                       "Broadcast cancelled: %(count)s messages not sent yet will not go.",
                                       cancelled) % {"count": cancelled})
    return redirect("masa_broadcasts")


PAGES = [
    AdminPage("masa/rules/<int:pk>/broadcast/", RuleBroadcastView, name="masa_rule_broadcast"),
    AdminPage("masa/broadcasts/", BroadcastListView, name="masa_broadcasts",
              menu_label=gettext_lazy("Broadcasts"), menu_icon="mail", menu_order=540),
    AdminPage("masa/broadcasts/<int:pk>/cancel/", cancel_view, name="masa_broadcast_cancel", permission="change_rule"),
]
