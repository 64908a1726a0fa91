"""The *Needs attention* page (what it counts: ``admin.attention``). First what the owner can act
on, grouped and in words with what to do: failed actions by cause (*Try them again* — a retried
send reuses its Delivery, so it is still sent at most once — or *Dismiss*), sends skipped for
missing customer details by reason with links to those customers, open circuits, stored webhooks
not read (*Read them again*), events that failed evaluation (*Evaluate them again*). Then, apart
and not counted, requests refused from the internet, grouped by reason, each dismissable."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Delivery, InboundDelivery, RulePack, ScheduledAction, StoreEvent
from ..tasks import enqueue_evaluation
from .attention import (SHOWN, attention, dismiss_rejections, failed_actions, failed_events, failure_groups,
                        open_circuits, rejection_groups, skip_groups, troubled_subscriptions, unread_webhooks)
from .base import AdminPage, MasaPage
from .wording import describer


class FailuresView(MasaPage):
    template_name = "masa/admin/failures.html"
    header_icon = "warning"
    page_title = gettext_lazy("Needs attention")

    def get_page_title(self):
        return _("Needs attention (%(count)s)") % {"count": self.counts.total}

    def get_context_data(self, **kwargs):
        now = timezone.now()
        self.counts = attention(now)
        context = super().get_context_data(**kwargs)
        context.update(
            counts=self.counts, groups=rejection_groups(now),
            failures=self.failed_action_groups(), skips=skip_groups(now),
            events=failed_events().select_related("customer")[:SHOWN],
            unread=unread_webhooks().defer("body", "headers")[:SHOWN],
            circuits=open_circuits(now),
            subscriptions=self.subscription_problems(),
            can_edit=self.request.user.has_perm("masa.change_rule"),
        )
        return context

    @staticmethod
    def subscription_problems():
        from .pack_subscriptions import described

        troubled = list(troubled_subscriptions()[:SHOWN])
        installed = {pack.pack_id: pack for pack in RulePack.objects.filter(pack_id__in=[s.pack_id for s in troubled])}
        return [described(subscription, installed.get(subscription.pack_id)) for subscription in troubled]

    @staticmethod
    def failed_action_groups():
        groups = failure_groups()
        shown = [pk for group in groups.values() for pk in group.ids[:SHOWN]]
        actions = {action.pk: action for action in ScheduledAction.objects.filter(pk__in=shown)
                   .select_related("customer", "rule", "delivery", "delivery__channel")}
        describe = describer()
        for group in groups.values():
            group.actions = [actions[pk] for pk in group.ids[:SHOWN] if pk in actions]
            for action in group.actions:
                action.phrase = describe(action)
        return list(groups.values())

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("masa.change_rule"):
            raise PermissionDenied
        do = request.POST.get("do")
        if do == "retry_events":
            ids = list(failed_events().values_list("pk", flat=True)[:1000])
            with transaction.atomic():
                StoreEvent.objects.filter(pk__in=ids).update(status=StoreEvent.Status.RECEIVED, error="")
                transaction.on_commit(lambda: enqueue_evaluation(ids))
            messages.success(request, ngettext("%(count)s event handed back to evaluation.",
                                               "%(count)s events handed back to evaluation.", len(ids))
                             % {"count": len(ids)})
        elif do == "read_webhooks":
            read_again = unread_webhooks().update(status=InboundDelivery.Status.RECEIVED, reason="")
            messages.success(request, ngettext("%(count)s stored webhook will be read again by the worker.",
                                               "%(count)s stored webhooks will be read again by the worker.",
                                               read_again) % {"count": read_again})
        elif do == "retry_actions":
            ids = self.cause_ids(request.POST.get("cause", ""))
            retried = failed_actions().filter(pk__in=ids).update(
                status=ScheduledAction.Status.PENDING, due_at=timezone.now(), attempts=0, completed_at=None,
            )
            Delivery.objects.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD], action_id__in=ids,
                                    action__status=ScheduledAction.Status.PENDING).update(
                status=Delivery.Status.PENDING, error="")
            messages.success(request, ngettext("%(count)s failed action will be tried again at the next sweep.",
                                               "%(count)s failed actions will be tried again at the next sweep.",
                                               retried) % {"count": retried})
        elif do == "dismiss_actions":
            ids = self.cause_ids(request.POST.get("cause", ""))
            dismissed = failed_actions().filter(pk__in=ids).update(
                status=ScheduledAction.Status.CANCELLED, cancel_reason=f"dismissed by {request.user.get_username()}")
            messages.success(request, ngettext("%(count)s failed action dismissed.",
                                               "%(count)s failed actions dismissed.", dismissed) % {"count": dismissed})
        elif do == "dismiss_rejections":
            dismissed = dismiss_rejections(request.POST.get("code", ""))
            messages.success(request, ngettext("%(count)s refusal dismissed; a new one will show again.",
                                               "%(count)s refusals dismissed; a new one will show again.",
                                               dismissed) % {"count": dismissed})
        return redirect("masa_failures")

    @staticmethod
    def cause_ids(cause: str) -> list[int]:
        """The failed actions of one cause, or all of them when no cause is named."""
        groups = failure_groups()
        if not cause:
            return [pk for group in groups.values() for pk in group.ids]
        return groups[cause].ids if cause in groups else []


PAGES = [AdminPage("masa/failures/", FailuresView, name="masa_failures",
                   menu_label=gettext_lazy("Needs attention"), menu_icon="warning", menu_order=550)]
