"""Rule packs in the Wagtail admin: import with every problem shown in the page, export,
upgrade with a preview of what changes and what local edits are kept, and a parameters form."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from wagtail.log_actions import log

from ..models import Job, Rule, RulePack
from .. import jobs
from ..packs.installer import export_pack, import_pack, upgrade_pack
from ..packs.loader import MAX_PACK_BYTES, PackError, load_pack
from ..packs.shipped import shipped_packs, shipped_source
from ..rules.sentences import Words, rule_sentence
from ..rules.parameters import ParameterError, check_value
from .base import AdminPage, MasaPage



class PackSourceForm(forms.Form):
    shipped = forms.ChoiceField(required=False, label="A pack that comes with Masa")
    file = forms.FileField(required=False, label="…or a pack file (pack.yaml)")
    source = forms.CharField(required=False, label="…or paste the pack",
                             widget=forms.Textarea(attrs={"rows": 10, "style": "font-family: monospace"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipped"].choices = [("", "—"), *((name, name) for name in shipped_packs())]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if cleaned.get("shipped"):
            cleaned["source"] = shipped_source(cleaned["shipped"])
            cleaned["filename"] = f"{cleaned['shipped']} (shipped with Masa)"
        elif upload:
            if upload.size > MAX_PACK_BYTES:
                raise forms.ValidationError(f"the file is larger than {MAX_PACK_BYTES // 1000} kB")
            try:
                cleaned["source"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError("the file is not UTF-8 text") from error
            cleaned["filename"] = upload.name
        elif cleaned.get("source", "").strip():
            cleaned["filename"] = "pasted pack"
        else:
            raise forms.ValidationError("choose a pack that comes with Masa, a pack file, or paste one")
        return cleaned


class PackIndexView(MasaPage):
    template_name = "masa/admin/packs.html"
    header_icon = "folder-open-inverse"
    page_title = "Rule packs"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = {row["pack"]: row for row in Rule.objects.values("pack").annotate(
            total=Count("pk"), on=Count("pk", filter=Q(enabled=True)))}
        context["packs"] = [(pack, counts.get(pack.pack_id, {"total": 0, "on": 0}))
                            for pack in RulePack.objects.all()]
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
    page_title = "Import a rule pack"

    def post(self, request, *args, **kwargs):
        form = PackSourceForm(request.POST, request.FILES)
        pack, problems = self._load(form)
        if pack is not None and request.POST.get("confirm") != "1":
            return self.render_to_response(self.get_context_data(
                form=form, pack=pack, rules=preview_sentences(pack), source=form.cleaned_data["source"]))
        if pack is not None:
            try:
                report = import_pack(pack)
            except PackError as error:
                problems = error.problems
            else:
                installed = RulePack.objects.get(pack_id=pack.pack_id)
                log(instance=installed, action="masa.pack.import", user=request.user,
                    data={"version": pack.version, "report": report.lines})
                messages.success(request, f"{installed.title or pack.pack_id} {pack.version}: {'; '.join(report.lines)}")
                return redirect("masa_pack_parameters", pack_id=pack.pack_id)
        return self.render_to_response(self.get_context_data(form=form, problems=problems))


def preview_sentences(pack) -> list[tuple[dict, str]]:
    """(rule, sentence) for each rule of a pack not installed yet."""
    words = Words.for_pack_file(pack)
    return [(rule, rule_sentence(rule, words)) for rule in pack.rules]


class PackUpgradeView(_PackFormView):
    """Upload → preview (nothing written) → confirm; the source travels with the confirmation."""

    template_name = "masa/admin/pack_upgrade.html"

    object_model, object_name = RulePack, "installed"

    def get_page_title(self):
        return f"Upgrade {self.installed.title} (installed {self.installed.version})"

    def post(self, request, *args, **kwargs):
        form = PackSourceForm(request.POST, request.FILES)
        pack, problems = self._load(form)
        report = None
        if pack is not None and pack.pack_id != self.installed.pack_id:
            problems = [f"{pack.filename}: id: this is pack {pack.pack_id!r}, not {self.installed.pack_id!r}"]
        elif pack is not None:
            confirmed = request.POST.get("confirm") == "1"
            try:
                report = upgrade_pack(pack, dry_run=True)
            except PackError as error:
                problems = error.problems
            else:
                if confirmed:
                    job = jobs.start(Job.Kind.UPGRADE, f"Upgrade {pack.pack_id} to {pack.version}",
                                     request.user.get_username(), pack_id=pack.pack_id,
                                     source=form.cleaned_data["source"], filename=form.cleaned_data["filename"])
                    log(instance=self.installed, action="masa.pack.upgrade", user=request.user,
                        data={"version": pack.version, "report": report.lines, "job": job.pk})
                    return redirect("masa_job", pk=job.pk)
        return self.render_to_response(self.get_context_data(
            form=form, problems=problems, report=report, source=form.cleaned_data.get("source", "") if report else "",
        ))


def export_view(request, pack_id):
    if not request.user.has_perm("masa.view_rulepack"):
        raise PermissionDenied
    installed = get_object_or_404(RulePack, pack_id=pack_id)
    response = HttpResponse(export_pack(installed.pack_id), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{installed.pack_id}-{installed.version}.yaml"'
    return response


def _parameter_field(name: str, spec: dict) -> forms.Field:
    kind = spec.get("type", "string")
    options = {"label": spec.get("title") or name.replace("_", " ").capitalize(), "help_text": spec.get("help", ""),
               "required": kind != "boolean"}
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
        options["help_text"] = (options["help_text"] + " One per line.").strip()
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **options)
    if kind == "duration":
        options["help_text"] = (options["help_text"] + " e.g. 5d, 36h, 1d12h").strip()
    return forms.CharField(**options)


class ParametersForm(forms.Form):
    holdout_percent = forms.IntegerField(
        min_value=0, max_value=50, label="Holdout (%)", required=False,
        help_text="Customers kept out of the pack's marketing sends, assigned once by a hash of the pack and the "
                  "customer, to measure what the pack earns (Results). Transactional messages always go.")

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
            try:
                cleaned[name] = check_value(name, spec, value)
            except ParameterError as error:
                self.add_error(name, str(error))
        return cleaned


class PackParametersView(MasaPage):
    template_name = "masa/admin/pack_parameters.html"
    header_icon = "folder-open-inverse"

    object_model, object_name = RulePack, "pack"

    def get_page_title(self):
        return f"{self.pack.title} {self.pack.version}: parameters"

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
        messages.success(request, f"Saved: {', '.join(changed) or 'nothing changed'}. "
                                  f"The rules use the new values from the next event on.")
        return redirect("masa_pack_parameters", pack_id=self.pack.pack_id)


PAGES = [
    AdminPage("masa/packs/", PackIndexView, name="masa_packs",
              menu_label="Rule packs", menu_icon="folder-open-inverse", menu_order=510),
    AdminPage("masa/packs/import/", PackImportView, name="masa_pack_import"),
    AdminPage("masa/packs/<slug:pack_id>/upgrade/", PackUpgradeView, name="masa_pack_upgrade"),
    AdminPage("masa/packs/<slug:pack_id>/export/", export_view, name="masa_pack_export", permission="view_rulepack"),
    AdminPage("masa/packs/<slug:pack_id>/parameters/", PackParametersView, name="masa_pack_parameters"),
]
