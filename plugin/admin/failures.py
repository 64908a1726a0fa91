"""The *Needs attention* page (what it counts: ``admin.attention``). Failed events and failed
actions can be retried (a retried send reuses its Delivery, so it is still sent at most once);
refused requests are grouped by reason and can be dismissed."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone

from ..models import Channel, Delivery, InboundDelivery, ScheduledAction, StoreEvent
from ..tasks import enqueue_evaluation
from .attention import attention, dismiss_rejections, rejection_groups
from .base import AdminPage, MasaPage
from .wording import describer


class FailuresView(MasaPage):
    template_name = "masa/admin/failures.html"
    header_icon = "warning"
    page_title = "Needs attention"

    def get_page_title(self):
        return f"Needs attention ({self.counts.total})"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        self.counts = attention(now)
        context = super().get_context_data(**kwargs)
        context.update(
            counts=self.counts, groups=rejection_groups(now),
            events=StoreEvent.objects.filter(status=StoreEvent.Status.FAILED).select_related("customer")[:50],
            deliveries=Delivery.objects.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD])
            .select_related("customer", "channel")[:50],
            actions=self.failed_actions(),
            unread=InboundDelivery.objects.filter(status=InboundDelivery.Status.FAILED).defer("body", "headers")[:50],
            circuits=Channel.objects.filter(circuit_open_until__gt=now),
            can_edit=self.request.user.has_perm("masa.change_rule"),
        )
        return context

    @staticmethod
    def failed_actions():
        actions = list(ScheduledAction.objects.filter(status=ScheduledAction.Status.FAILED)
                       .select_related("customer", "rule").order_by("-completed_at")[:50])
        describe = describer()
        for action in actions:
            action.phrase = describe(action)
        return actions

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("masa.change_rule"):
            raise PermissionDenied
        if request.POST.get("do") == "retry_events":
            ids = list(StoreEvent.objects.filter(status=StoreEvent.Status.FAILED).values_list("pk", flat=True)[:1000])
            with transaction.atomic():
                StoreEvent.objects.filter(pk__in=ids).update(status=StoreEvent.Status.RECEIVED, error="")
                transaction.on_commit(lambda: enqueue_evaluation(ids))
            messages.success(request, f"{len(ids)} events handed back to evaluation.")
        elif request.POST.get("do") == "read_webhooks":
            read_again = InboundDelivery.objects.filter(status=InboundDelivery.Status.FAILED).update(
                status=InboundDelivery.Status.RECEIVED, reason="")
            messages.success(request, f"{read_again} stored webhooks will be read again by the worker.")
        elif request.POST.get("do") == "retry_actions":
            retried = ScheduledAction.objects.filter(status=ScheduledAction.Status.FAILED).update(
                status=ScheduledAction.Status.PENDING, due_at=timezone.now(), attempts=0, completed_at=None,
            )
            Delivery.objects.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD],
                                    action__status=ScheduledAction.Status.PENDING).update(
                status=Delivery.Status.PENDING, error="")
            messages.success(request, f"{retried} failed actions will be tried again at the next sweep.")
        elif request.POST.get("do") == "dismiss_rejections":
            dismissed = dismiss_rejections(request.POST.get("code", ""))
            messages.success(request, f"{dismissed} refusals dismissed; a new one will count again.")
        return redirect("masa_failures")


PAGES = [AdminPage("masa/failures/", FailuresView, name="masa_failures",
                   menu_label="Needs attention", menu_icon="warning", menu_order=550)]
