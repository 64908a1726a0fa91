"""Rule packs in the Wagtail admin: import with every problem shown in the page, export,
upgrade with a preview of what changes and what local edits are kept, and a parameters form."""
from __future__ import annotations

import hashlib
from functools import cached_property

import yaml
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from ..models import Job, Rule, RulePack
from .. import jobs
from ..packs import merge
from ..packs.import_warnings import import_warnings
from ..packs.installer import export_pack, import_pack, installed_state, upgrade_pack, version_problem
from ..packs.loader import MAX_PACK_BYTES, PackError, load_pack, version_key
from ..packs.shipped import shipped_packs, shipped_source
from ..rules.sentences import Words, rule_sentence
from ..rules.parameters import ParameterError, check_value
from ..bidi import isolate
from .base import AdminPage, MasaPage
from .pack_subscriptions import waiting_release
from . import map_values
from .rule_values import DurationField


def shipped_title(source: str, name: str) -> str:
    """A shipped pack's title (its ``title:``), else its name."""
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError:
        return name
    return str(document.get("title") or name) if isinstance(document, dict) else name


class PackSourceForm(forms.Form):
    shipped = forms.ChoiceField(required=False, label=gettext_lazy("A pack that comes with Masa"))
    file = forms.FileField(required=False, label=gettext_lazy("…or a pack file (pack.yaml)"))
    source = forms.CharField(required=False, label=gettext_lazy("…or paste the pack"),
                             widget=forms.Textarea(attrs={"rows": 10, "dir": "ltr",
                                                          "style": "font-family: monospace; max-width: 100%"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipped"].choices = [("", "—"), *((name, isolate(shipped_title(source, name)))
                                                       for name, source in shipped_packs().items())]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if cleaned.get("shipped"):
            cleaned["source"] = shipped_source(cleaned["shipped"])
            cleaned["filename"] = f"{cleaned['shipped']} (shipped with Masa)"
        elif upload:
            if upload.size > MAX_PACK_BYTES:
                raise forms.ValidationError(_("The file is larger than %(size)s kB.") % {"size": MAX_PACK_BYTES // 1000})
            try:
                cleaned["source"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from error
            cleaned["filename"] = upload.name
        elif cleaned.get("source", "").strip():
            cleaned["filename"] = "pasted pack"
        else:
            raise forms.ValidationError(_("Choose a pack that comes with Masa, a pack file, or paste one."))
        return cleaned


class PackIndexView(MasaPage):
    template_name = "masa/admin/packs.html"
    header_icon = "folder-open-inverse"
    page_title = gettext_lazy("Rule packs")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = {row["pack"]: row for row in Rule.objects.values("pack").annotate(
            total=Count("pk"), on=Count("pk", filter=Q(enabled=True)))}
        from ..models import PackSubscription

        waiting = {s.pack_id: s for s in PackSubscription.objects.filter(
            status=PackSubscription.Status.AVAILABLE).exclude(available_source="").exclude(pack_id="")}
        context["packs"] = [(pack, counts.get(pack.pack_id, {"total": 0, "on": 0}))
                            for pack in RulePack.objects.all()]
        for pack, _count in context["packs"]:   # a subscription's verified release waiting for the shop
            pack.waiting = waiting.get(pack.pack_id)
        context["can_edit"] = self.request.user.has_perm("masa.change_rulepack")
        return context


class _PackFormView(MasaPage):
    permission = "change_rulepack"
    header_icon = "folder-open-inverse"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PackSourceForm())
        return context

    def _load(self, form):
        """The pack in the form, or None with its problems listed on the page."""
        if not form.is_valid():
            return None, []
        try:
            return load_pack(form.cleaned_data["source"], form.cleaned_data["filename"]), []
        except PackError as error:
            return None, error.problems


class PackImportView(_PackFormView):
    """Upload → preview: each rule in one sentence (nothing written) → import; the source travels
    with the confirmation."""

    template_name = "masa/admin/pack_import.html"
    page_title = gettext_lazy("Import a rule pack")
    parent = (gettext_lazy("Rule packs"), "masa_packs")

    def get(self, request, *args, **kwargs):
        waiting = waiting_release(request)   # ?subscription=<pk>: the verified release a subscription offers
        if waiting is None:
            return super().get(request, *args, **kwargs)
        pack, source = waiting
        return self.render_to_response(self.get_context_data(pack=pack, rules=preview_sentences(pack), source=source,
                                                             warnings=import_warnings(pack)))

    def post(self, request, *args, **kwargs):
        form = PackSourceForm(request.POST, request.FILES)
        pack, problems = self._load(form)
        if pack is not None and request.POST.get("confirm") != "1":
            return self.render_to_response(self.get_context_data(
                form=form, pack=pack, rules=preview_sentences(pack), source=form.cleaned_data["source"],
                warnings=import_warnings(pack)))
        if pack is not None:
            try:
                report = import_pack(pack)
            except PackError as error:
                problems = error.problems
            else:
                installed = RulePack.objects.get(pack_id=pack.pack_id)
                log(instance=installed, action="masa.pack.import", user=request.user,
                    data={"version": pack.version, "report": report.lines})
                messages.success(request, _("%(pack)s %(version)s is installed.") % {
                    "pack": isolate(installed.title or pack.pack_id), "version": pack.version})
                return redirect("masa_pack_parameters", pack_id=pack.pack_id)
        return self.render_to_response(self.get_context_data(form=form, problems=problems))


def preview_sentences(pack) -> list[tuple[dict, str]]:
    """(rule, sentence) for each rule of a pack not installed yet."""
    words = Words.for_pack_file(pack)
    return [(rule, rule_sentence(rule, words)) for rule in pack.rules]


UPGRADE_SALT = "masa.pack.upgrade"
SECTION_WORDS = {"messages": gettext_lazy("Messages"), "rules": gettext_lazy("Rules"),
                 "settings": gettext_lazy("Values and settings")}


def _digest(source: str) -> str:
    """The source's digest, its line ends as a form sends them back or not (CRLF from a textarea)."""
    return hashlib.sha256(source.replace("\r\n", "\n").encode("utf-8", "surrogatepass")).hexdigest()


class PackUpgradeView(_PackFormView):
    """Upload (or a subscription's verified release, ``?subscription=<pk>``) → the three-way
    preview (``packs.merge``; nothing written): what the pack changes, which of the shop's edits
    are kept, and where both changed a choice per item → apply as a background job.

    The confirmation carries the source, the shop's choices and a signed token of the preview
    (the source's digest, the installed version and its text's digest, and the items): on confirm
    the merge is run again; a source, an installed pack or a state that differs from the preview
    (a confirmation kept from before another upgrade), or a choice for an item that is no conflict,
    is refused. The job applies it only if the installed pack is still the one previewed, and the
    installer never goes back to an older version."""

    template_name = "masa/admin/pack_upgrade.html"

    object_model, object_name = RulePack, "installed"
    parent = (gettext_lazy("Rule packs"), "masa_packs")

    def get_page_title(self):
        # Short enough for Wagtail's header at phone width: the versions are said in the page's body.
        return _("Upgrade %(pack)s") % {"pack": isolate(self.installed.title or self.installed.pack_id)}

    def _subscription(self, request):
        pk = request.POST.get("subscription") or request.GET.get("subscription")
        if not pk:
            return None
        from ..models import PackSubscription

        try:
            return PackSubscription.objects.get(pk=int(pk), pack_id=self.installed.pack_id)
        except (ValueError, PackSubscription.DoesNotExist):
            raise Http404 from None

    def get(self, request, *args, **kwargs):
        subscription = self._subscription(request)
        if subscription is None:
            return super().get(request, *args, **kwargs)
        if not subscription.available_source:
            messages.info(request, _("No new version is waiting for this pack."))
            return redirect("masa_packs")
        return self._preview(PackSourceForm(), subscription.available_source,
                             _("version %(version)s from the subscription") % {
                                 "version": subscription.available_version or "?"}, subscription)

    def post(self, request, *args, **kwargs):
        subscription = self._subscription(request)
        if request.POST.get("confirm") == "1":
            return self._confirm(request, subscription)
        form = PackSourceForm(request.POST, request.FILES)
        if subscription is not None:
            return self._preview(form, subscription.available_source, "subscription", subscription)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        return self._preview(form, form.cleaned_data["source"], form.cleaned_data["filename"])

    def _plan(self, source, filename, choices=None):
        """(pack, plan, problems) for this source."""
        try:
            pack = load_pack(source, filename)
        except PackError as error:
            return None, None, error.problems
        if pack.pack_id != self.installed.pack_id:
            return pack, None, [_("This file holds the pack “%(other)s”, not “%(installed)s”: upgrade a pack with a "
                                  "newer version of itself.") % {
                                      "other": pack.document.get("title") or pack.pack_id,
                                      "installed": self.installed.title or self.installed.pack_id}]
        offered, have = version_key(pack.version), version_key(self.installed.version)
        if offered < have:
            return pack, None, [_("This file holds version %(offered)s, older than the installed version "
                                  "%(installed)s: Masa never takes a pack back to an older version.") % {
                                      "offered": pack.version, "installed": self.installed.version}]
        if version_problem(pack, self.installed):
            return pack, None, [_("This file holds version %(version)s, the number of the installed version, with "
                                  "other content: the agency must give changed content a new version number.") % {
                                      "version": pack.version}]
        try:   # the upgrade itself, rolled back: every check it makes, nothing written
            report = upgrade_pack(pack, dry_run=True, choices=choices)
        except PackError as error:
            return pack, None, error.problems
        return pack, report.plan or merge.Plan(pack, self.installed), []

    def _preview(self, form, source, filename, subscription=None):
        pack, plan, problems = self._plan(source, filename)
        context = {"form": form, "problems": problems}
        if plan is not None:
            unchanged = self.installed.version == pack.version and self.installed.source == pack.source
            token = signing.dumps({"pack": self.installed.pack_id, "source": _digest(source),
                                   "installed": installed_state(self.installed), "items": plan.fingerprint()},
                                  salt=UPGRADE_SALT)
            context.update(plan=plan, pack=pack, source=source, filename=filename, token=token,
                           unchanged=unchanged, subscription=subscription,
                           sections=[(SECTION_WORDS[name], items) for name, items in plan.by_section() if items],
                           counts={kind: sum(item.kind == kind for item in plan.items)
                                   for kind in ("take", "keep", "conflict", "notice")})
        return self.render_to_response(self.get_context_data(**context))

    def _confirm(self, request, subscription):
        source = request.POST.get("source", "").replace("\r\n", "\n")
        filename = request.POST.get("filename", "") or "pack.yaml"
        choices = {key.removeprefix("choice:"): value for key, value in request.POST.items()
                   if key.startswith("choice:")}
        refused = [_("The pack or your shop changed since the preview: nothing was applied. Preview the upgrade "
                     "again.")]
        try:
            signed = signing.loads(request.POST.get("token", ""), salt=UPGRADE_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            signed = None
        if not signed or signed.get("pack") != self.installed.pack_id or signed.get("source") != _digest(source) or (
                subscription is not None and _digest(subscription.available_source) != _digest(source)):
            return self.render_to_response(self.get_context_data(problems=refused))
        if signed.get("installed") != installed_state(self.installed):   # previewed before another change
            return self.render_to_response(self.get_context_data(problems=[
                _("The pack changed since this preview (it is now version %(version)s): nothing was applied. "
                  "Preview the upgrade again.") % {"version": self.installed.version}]))
        pack, plan, problems = self._plan(source, filename)
        if plan is not None and plan.fingerprint() != signed.get("items"):
            problems = refused
        if plan is not None and not problems:
            pack, plan, problems = self._plan(source, filename, choices)
        if problems or plan is None:
            return self.render_to_response(self.get_context_data(problems=problems or refused))
        chosen = {item.id: item.applied for item in plan.conflicts}
        job = jobs.start(Job.Kind.UPGRADE, f"Upgrade {pack.pack_id} to {pack.version}", request.user.get_username(),
                         pack_id=pack.pack_id, source=source, filename=filename, choices=chosen,
                         installed_as=installed_state(self.installed),
                         subscription=subscription.pk if subscription is not None else None)
        log(instance=self.installed, action="masa.pack.upgrade", user=request.user,
            data={"version": pack.version, "job": job.pk, "choices": chosen,
                  "items": [{"id": item.id, "kind": item.kind, "applied": item.applied, "words": item.sentence()}
                            for item in plan.items]})
        return redirect("masa_job", pk=job.pk)


def export_view(request, pack_id):
    if not request.user.has_perm("masa.view_rulepack"):
        raise PermissionDenied
    installed = get_object_or_404(RulePack, pack_id=pack_id)
    response = HttpResponse(export_pack(installed.pack_id), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{installed.pack_id}-{installed.version}.yaml"'
    return response


def _parameter_field(name: str, spec: dict) -> forms.Field:
    kind = spec.get("type", "string")
    # The pack's own words (its author's), set apart as data; Masa's own hints are translated.
    options = {"label": isolate(spec.get("title") or name.replace("_", " ").capitalize()),
               "help_text": isolate(spec["help"]) if spec.get("help") else "", "required": kind != "boolean"}
    if spec.get("choices"):
        return forms.TypedChoiceField(choices=[(c, c) for c in spec["choices"]], coerce=type(spec["choices"][0]),
                                      **options)
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("minimum"), **options)
    if kind == "number":
        return forms.FloatField(min_value=spec.get("minimum"), **options)
    if kind == "boolean":
        return forms.BooleanField(**options)
    if kind == "list":
        one_per_line = _("One per line.")
        options["help_text"] = f"{options['help_text']} {one_per_line}".strip()
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **options)
    if kind == "duration":
        return DurationField(**options)
    if kind == "map":
        return MapField(spec, **options)
    return forms.CharField(**options)


class MapField(forms.CharField):
    """A ``map`` parameter as rows the owner reads and writes: one product (or category) per line,
    a colon, its value — "Night pants large: 45 days". A product is matched by the id the store
    sends with each order line (Saleor's product ID); a name Masa has seen on the store's orders is
    turned into that id, and shown by its name (``map_values``). Durations are read in words too."""

    def __init__(self, spec: dict, **options):
        self.keys = spec.get("keys", "product")
        self.values = spec.get("values", "duration")
        example = {"duration": _("45 days"), "integer": "3", "number": "2.5"}.get(self.values, "…")
        if self.keys == "product":
            row = _("One product per line: its name as on your store's orders (or its product ID in Saleor), a colon, "
                    "then its value, e.g. %(example)s. Masa knows a product by its name once it has been on an "
                    "order. Products not listed here use the usual value.")
            product = _("Night pants large")
            sample = isolate(f"{product}: {example}")
        else:
            row = _("One category per line: the category, a colon, then its value, e.g. %(example)s.")
            category = _("vitamins")
            sample = isolate(f"{category}: {example}")
        if self.values == "duration":
            durations = _("Durations in days, weeks or months (a month counts as 30 days).")
            row = f"{row} {durations}"
        options["help_text"] = f"{options.get('help_text', '')} {row % {'example': sample}}".strip()
        options["required"] = False
        super().__init__(widget=forms.Textarea(attrs={"rows": 4}), **options)

    @cached_property
    def products(self) -> dict:
        return map_values.known_products() if self.keys == "product" else {}

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(
                f"{map_values.product_label(str(key), self.products)}: "
                f"{map_values.duration_in_words(entry) if self.values == 'duration' else entry}"
                for key, entry in value.items())
        return value

    def to_python(self, value):
        rows = {}
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, colon, entry = line.rpartition(":") if line.count(":") > 1 else line.partition(":")
            if not colon or not key.strip() or not entry.strip():
                raise forms.ValidationError(_("Line %(line)s: write the name, a colon, then the value.")
                                            % {"line": number})
            key = map_values.product_key(key.strip(), self.products) if self.keys == "product" else key.strip()
            if key in rows:
                raise forms.ValidationError(_("Line %(line)s: %(name)s is already on an earlier line.")
                                            % {"line": number, "name": isolate(line.partition(":")[0].strip()[:100])})
            entry = entry.strip()
            if self.values == "duration":
                try:
                    entry = map_values.parse_duration_words(entry)
                except ValueError:
                    raise forms.ValidationError(
                        _("Line %(line)s: %(value)s is not a length of time. Write a number and days, weeks or "
                          "months, e.g. 45 days.") % {"line": number, "value": isolate(entry[:60])}) from None
            rows[key] = entry
        return rows


def _number(text):
    """A map row's number as the owner typed it ("2.5"), else the text (its check says what is wrong)."""
    try:
        return int(text) if str(text).lstrip("-").isdigit() else float(text)
    except (TypeError, ValueError):
        return text


class ParametersForm(forms.Form):
    holdout_percent = forms.IntegerField(
        min_value=0, max_value=50, label=gettext_lazy("Holdout (%)"), required=False,
        help_text=gettext_lazy("A share of customers who get none of this pack's marketing messages, so Results can "
                               "show what the pack earns. Service messages (order confirmations) always go."))

    def __init__(self, pack: RulePack, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pack = pack
        self.fields["holdout_percent"].initial = pack.holdout_percent
        values = pack.resolved_parameters()
        for name, spec in pack.parameters.items():
            field = _parameter_field(name, spec)
            value = values.get(name)
            field.initial = "\n".join(map(str, value)) if isinstance(value, list) else value
            self.fields[name] = field

    def clean(self):
        cleaned = super().clean()
        for name, spec in self.pack.parameters.items():
            if name not in cleaned:
                continue
            value = cleaned[name]
            if spec.get("type") == "list":
                value = [line.strip() for line in value.splitlines() if line.strip()]
            if spec.get("type") == "map" and spec.get("values") in ("number", "integer"):
                value = {key: _number(entry) for key, entry in value.items()}
            try:
                cleaned[name] = check_value(name, spec, value)
            except ParameterError:   # the engine's own words stay out of the owner's page
                self.add_error(name, _("This value cannot be used as it is: write it as the hint under the field "
                                       "shows."))
        return cleaned

    def title(self, name: str) -> str:
        """A value's name as the page labels it (the pack's title for it, isolated as data)."""
        return str(self.fields[name].label) if name in self.fields else isolate(name)


class PackParametersView(MasaPage):
    template_name = "masa/admin/pack_parameters.html"
    header_icon = "folder-open-inverse"

    object_model, object_name = RulePack, "pack"

    def get_page_title(self):
        return _("Pack values")   # short at phone width; the pack's name and version are in the page

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(pack=self.pack, form=kwargs.get("form") or ParametersForm(self.pack),
                       can_edit=self.request.user.has_perm("masa.change_rulepack"),
                       rules_url=reverse("wagtailsnippets_masa_rule:list") + f"?pack={self.pack.pack_id}")
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("masa.change_rulepack"):
            raise PermissionDenied
        form = ParametersForm(self.pack, request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        before = {**self.pack.resolved_parameters(), "holdout_percent": self.pack.holdout_percent}
        values = {name: value for name, value in form.cleaned_data.items() if name != "holdout_percent"}
        self.pack.parameter_values = {name: value for name, value in values.items()
                                      if value != self.pack.parameters[name].get("default")}
        if form.cleaned_data["holdout_percent"] is not None:
            self.pack.holdout_percent = form.cleaned_data["holdout_percent"]
        form.cleaned_data["holdout_percent"] = self.pack.holdout_percent
        self.pack.save(update_fields=["parameter_values", "holdout_percent"])
        changed = {name: value for name, value in form.cleaned_data.items() if before.get(name) != value}
        log(instance=self.pack, action="masa.pack.parameters", user=request.user, data={"changed": changed})
        if changed:
            messages.success(request, _("Saved: %(values)s. The rules use the new values from the next event on.")
                             % {"values": ", ".join(form.title(name) for name in changed)})
        else:
            messages.success(request, _("Nothing changed."))
        return redirect("masa_pack_parameters", pack_id=self.pack.pack_id)


PAGES = [
    AdminPage("masa/packs/", PackIndexView, name="masa_packs",
              menu_label=gettext_lazy("Rule packs"), menu_icon="folder-open-inverse", menu_order=510),
    AdminPage("masa/packs/import/", PackImportView, name="masa_pack_import"),
    AdminPage("masa/packs/<slug:pack_id>/upgrade/", PackUpgradeView, name="masa_pack_upgrade"),
    AdminPage("masa/packs/<slug:pack_id>/export/", export_view, name="masa_pack_export", permission="view_rulepack"),
    AdminPage("masa/packs/<slug:pack_id>/parameters/", PackParametersView, name="masa_pack_parameters"),
]
