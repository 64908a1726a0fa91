"""Packs → Subscriptions: a shop subscribes to an agency's signed releases of a pack (the address
and the agency's public key, pinned), sees what each last check found — "version 1.3.0 is
available" with a link to the upgrade preview (or the import preview, for a pack not installed
yet), or what was refused and what to do — and checks now or unsubscribes. Nothing is applied
here: the verified release waits on the subscription until the shop applies it through the
preview (``packs.subscriptions``)."""
from __future__ import annotations

from urllib.parse import urlsplit

import yaml
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from ..bidi import isolate
from ..models import PackSubscription, RulePack
from ..packs import signing
from ..packs.loader import PackError, load_pack
from ..packs.subscriptions import PROBLEMS, Status, address_problem, caught_up, check
from .base import AdminPage, MasaPage

LTR = {"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}


def _https_address(value: str) -> str:
    problem = address_problem(value)
    if problem is not None:
        raise forms.ValidationError(PROBLEMS[problem.code][0])
    return value


class SubscribeForm(forms.Form):
    url = forms.URLField(
        max_length=500, assume_scheme="https", label=gettext_lazy("Address of the pack"),
        help_text=gettext_lazy("The https:// address where the agency publishes the pack file (pack.yaml)."),
        widget=forms.URLInput(attrs={**LTR, "placeholder": "https://"}))
    public_key = forms.CharField(
        max_length=signing.MAX_KEY_CHARS, label=gettext_lazy("The agency's public key"),
        help_text=gettext_lazy("As the agency gave it to you: one line of letters and digits, or a block that starts "
                               "with -----BEGIN PUBLIC KEY-----. Only releases signed with this key are accepted."),
        widget=forms.Textarea(attrs={**LTR, "rows": 3, "style": "font-family: monospace; max-width: 100%"}))
    signature_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https",
        label=gettext_lazy("Address of the signature (optional)"),
        help_text=gettext_lazy("Only if the agency gave you one; otherwise Masa looks for it at the pack's address "
                               "with .sig added at its end."),
        widget=forms.URLInput(attrs=LTR))

    def clean_url(self):
        url = _https_address(self.cleaned_data["url"])
        if PackSubscription.objects.filter(url=url).exists():
            raise forms.ValidationError(_("You already subscribe to this address. To trust a new key from the agency, "
                                          "unsubscribe first, then subscribe again with the new key."))
        return url

    def clean_signature_url(self):
        value = self.cleaned_data.get("signature_url") or ""
        return _https_address(value) if value else ""

    def clean_public_key(self):
        try:
            return signing.normalized(self.cleaned_data["public_key"])
        except signing.SigningError as error:
            raise forms.ValidationError(_("This is not an agency's public key. Paste the key exactly as the agency "
                                          "gave it to you.")) from error


def _release_title(source: str) -> str:
    try:
        document = yaml.safe_load(source)   # verified and validated when it was checked
    except yaml.YAMLError:
        return ""
    return str(document.get("title") or "") if isinstance(document, dict) else ""


def described(subscription: PackSubscription, installed: RulePack | None) -> PackSubscription:
    """The subscription with what the page shows of it."""
    subscription.installed = installed
    subscription.title = (installed.title if installed else "") or _release_title(subscription.available_source) \
        or subscription.pack_id
    subscription.host = urlsplit(subscription.url).hostname or subscription.url
    subscription.fingerprint = signing.fingerprint(subscription.public_key)
    subscription.signature_address = subscription.signature_url or f"{subscription.url}.sig"
    subscription.happened, subscription.to_do = PROBLEMS.get(subscription.problem, ("", "")) \
        if subscription.status in (Status.REFUSED, Status.UNREACHABLE) else ("", "")
    subscription.review_url = ""
    if subscription.available_version and subscription.available_source:   # a verified release waits (also
        # while a later check failed); none once it is applied: the button would lead nowhere
        page = reverse("masa_pack_upgrade", kwargs={"pack_id": subscription.pack_id}) if installed \
            else reverse("masa_pack_import")
        subscription.review_url = f"{page}?subscription={subscription.pk}"
    return subscription


def waiting_release(request):
    """(pack, source) of the verified release the subscription ``?subscription=<pk>`` waits with, or None."""
    pk = request.GET.get("subscription", "")
    subscription = PackSubscription.objects.filter(pk=pk).first() if pk.isdigit() else None
    if subscription is None or not subscription.available_source:
        return None
    try:
        return load_pack(subscription.available_source, subscription.url), subscription.available_source
    except PackError:
        return None


class PackSubscriptionsView(MasaPage):
    template_name = "masa/admin/pack_subscriptions.html"
    permission = "view_rulepack"
    header_icon = "folder-open-inverse"
    page_title = gettext_lazy("Pack subscriptions")
    parent = (gettext_lazy("Rule packs"), "masa_packs")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriptions = list(PackSubscription.objects.all())
        for subscription in subscriptions:
            caught_up(subscription)
        installed = {pack.pack_id: pack for pack in RulePack.objects.filter(
            pack_id__in=[s.pack_id for s in subscriptions if s.pack_id])}
        context.update(subscriptions=[described(s, installed.get(s.pack_id)) for s in subscriptions],
                       can_edit=self.request.user.has_perm("masa.change_rulepack"))
        context.setdefault("form", SubscribeForm())
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("masa.change_rulepack"):
            raise PermissionDenied
        do = request.POST.get("do")
        if do == "subscribe":
            return self.subscribe(request)
        subscription = get_object_or_404(PackSubscription, pk=request.POST.get("subscription") or 0)
        if do == "check":
            status = check(subscription)
            log(instance=subscription, action="masa.pack.subscription_check", user=request.user,
                data={"status": status, "version": subscription.available_version, "problem": subscription.problem})
            self.tell(request, subscription)
        elif do == "unsubscribe":
            log(instance=subscription, action="masa.pack.unsubscribe", user=request.user,
                data={"url": subscription.url, "pack": subscription.pack_id})
            subscription.delete()
            messages.success(request, _("Unsubscribed. Nothing of the pack was changed."))
        return redirect("masa_pack_subscriptions")

    def subscribe(self, request):
        form = SubscribeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        subscription = PackSubscription(url=form.cleaned_data["url"], signature_url=form.cleaned_data["signature_url"],
                                        public_key=form.cleaned_data["public_key"],
                                        created_by=request.user.get_username())
        check(subscription)   # the first check, before anything is kept
        if subscription.status == Status.REFUSED:
            happened, subscription.problem_to_do = PROBLEMS[subscription.problem]
            form.add_error(None, _("Not subscribed: %(happened)s") % {"happened": happened})
            return self.render_to_response(self.get_context_data(form=form, refused=subscription))
        subscription.save()
        log(instance=subscription, action="masa.pack.subscribe", user=request.user,
            data={"url": subscription.url, "key": signing.fingerprint(subscription.public_key),
                  "pack": subscription.pack_id, "status": subscription.status})
        self.tell(request, subscription, subscribed=True)
        return redirect(reverse("masa_pack_subscriptions") + f"#subscription-{subscription.pk}")

    @staticmethod
    def tell(request, subscription, subscribed=False):
        """What the check found, in a message."""
        if subscription.status == Status.AVAILABLE:
            messages.success(request, _("Version %(version)s is available: review it before anything changes.")
                             % {"version": isolate(subscription.available_version)})
        elif subscription.status == Status.UP_TO_DATE:
            messages.success(request, _("Subscribed: your pack is up to date.") if subscribed
                             else _("Checked: your pack is up to date."))
        else:
            happened = PROBLEMS.get(subscription.problem, PROBLEMS["unreachable"])[0]
            messages.warning(request, (_("Subscribed, but: %(happened)s Masa tries again tomorrow.") if subscribed
                                       else _("Checked: %(happened)s")) % {"happened": happened})


PAGES = [
    AdminPage("masa/packs/subscriptions/", PackSubscriptionsView, name="masa_pack_subscriptions",
              menu_label=gettext_lazy("Pack subscriptions"), menu_icon="folder-open-inverse", menu_order=511),
]
