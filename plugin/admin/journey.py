"""A rule, or a whole pack, drawn as a journey in HTML boxes whose text wraps in either direction:
the trigger, then each step in order — waits, checks, sends and effects — and under a step that
branches (an A/B split, a wait for an event) its branches side by side as alternatives; on each
step its live numbers, each a link to the customers behind it. A pack's page folds each rule into
a line with its key figures, and says which rule starts which (a fact or event one sets that
starts another)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..models import Rule, RulePack
from ..reports.channels import rule_channels
from ..reports.incremental import channel_arms, incremental_results, split_results, uses_preferred
from ..reports.journey import JourneyCounts, StepCounts, journey_counts
from ..rules.sentences import Words, trigger_phrase
from ..rules.splits import choose_winner
from ..rules.steps import STEPS
from ..rules.wording import condition_phrase, fact_name
from .base import AdminPage, DaysForm, MasaPage, day_range, last_days
from ..bidi import isolate
from .journey_words import count, more_customers_needed, reason_words, said, version_name
from .preview import preview_url
from .result_words import by_channel, channel_arms_says, holdout_says, split_says


@dataclass
class Figure:
    """A number on a step and what it counts, linking to its customers; without a number, a link."""

    label: str
    number: int | str | None = None
    url: str = ""

    @property
    def shown(self) -> str:
        return count(self.number)


@dataclass
class Box:
    """One step: its label ("Wait", "Send"), its words, its figures and, when it branches, the
    branches drawn side by side under it (``kind``: the step kind, a style hook never shown)."""

    label: str
    text: str
    kind: str = ""
    figures: list = field(default_factory=list)
    paths: list = field(default_factory=list)
    split: object = None     # reports.incremental.SplitResult of an A/B split
    says: dict = field(default_factory=dict)   # what the split says so far (result_words.split_says)


@dataclass
class Path:
    """A branch: its label ("Version A — 50 %", "If it comes"), its steps, and for an A/B
    version its name, its customers so far and whether it won or lost."""

    label: str
    boxes: list
    version: str = ""
    group: object = None
    won: bool = False
    lost: bool = False

    @property
    def version_name(self) -> str:
        return version_name(self.version)


@dataclass
class Drawing:
    rule: Rule
    title: str
    boxes: list
    started: int = 0
    waiting: int = 0
    sent: int = 0
    starts: list = field(default_factory=list)      # Other: the rules this one starts
    started_by: list = field(default_factory=list)  # Other: the rules that start this one
    incremental: object = None    # reports.incremental.Incremental of its rule or pack, if held out
    channels: list = field(default_factory=list)   # each channel kind's line (result_words.by_channel)
    arms: object = None           # reports.incremental.channel_arms, if it sends on the preferred channel

    @property
    def holdout(self) -> dict:
        """What its holdout says so far (``result_words.holdout_says``), if it has one."""
        return holdout_says(self.incremental) if self.incremental else {}

    @property
    def arms_says(self) -> dict:
        """What its preferred-against-default comparison says so far, if it has one."""
        return channel_arms_says(self.arms) if self.arms else {}

    @property
    def shown(self) -> dict:
        """Its key figures as the page's language writes them."""
        return {"started": count(self.started), "waiting": count(self.waiting), "sent": count(self.sent)}


@dataclass
class Other:
    """Another rule of the pack, by its title, and where its journey is."""

    title: str
    url: str


def _single(step) -> tuple[str | None, object]:
    return next(iter(step.items())) if isinstance(step, dict) and len(step) == 1 else (None, None)


def facts_set(steps) -> set[str]:
    """What a rule's steps change that a trigger can name: ``fact`` names, ``tag:x``, ``custom.x``
    (each kind's ``sets``), in their branches too."""
    found = set()
    for step in steps or []:
        kind, argument = _single(step)
        step_kind = STEPS.get(kind)
        if step_kind is not None:
            found |= step_kind.sets(argument)
            for branch in step_kind.branches(argument):
                found |= facts_set(branch.steps)
    return found


def started_by(trigger: dict) -> str:
    return str(trigger.get("fact") or trigger.get("event") or "")


class Journey:
    """Builds the drawing of one rule from its definition and the counts of its steps; ``link``
    makes the address of another rule of the pack (its fold on the pack's page, else its page)."""

    def __init__(self, rule: Rule, words: Words, counts: JourneyCounts, period: dict, links: "Links",
                 splits: list = (), link=None):
        """``splits``: the rule's A/B splits' results so far (``reports.incremental.split_results``)."""
        self.rule, self.words, self.counts, self.period = rule, words, counts, period
        self.chains, self.setters = links.starts, links.set_by
        self.splits = {split.at: split for split in splits}
        self.rule_link = link or (lambda other: reverse("masa_rule_journey", args=[other.rule_id]))
        self.starts: dict[int, Rule] = {}

    def link(self, path: str, state: str, reason: str = "") -> str:
        query = {"rule": self.rule.rule_id, "step": path, "state": state, **self.period}
        if reason:
            query["reason"] = reason
        return f"{reverse('masa_customers')}?{urlencode(query)}"

    def draw(self) -> Drawing:
        definition = self.rule.definition or {}
        trigger = definition.get("trigger") or {}
        when = trigger_phrase(trigger, self.words)
        conditions = [condition_phrase(c, self.words) for c in definition.get("conditions") or []]
        if conditions:
            when = self.words.say(_("{when}, if {conditions}"), when=when, conditions=self.words.join(conditions))
        started = self.counts.started.get(self.rule.rule_id, 0)
        setters = [setter for setter in self.setters.get(started_by(trigger), []) if setter.pk != self.rule.pk]
        start = Box(_("When"), when, "trigger", [Figure(_("started"), started, self.link("", "started"))])
        start.figures += [Figure(format_html(_("started by {rule}"), rule=self.title_html(setter)), None,
                                 self.rule_link(setter)) for setter in setters]
        boxes = [start, *self.steps(definition.get("steps") or [], "steps")]
        mine = [counts for (rule_id, _path), counts in self.counts.steps.items() if rule_id == self.rule.rule_id]
        return Drawing(self.rule, said(self.rule.title, self.words), boxes, started=started,
                       waiting=sum(counts.waiting for counts in mine), sent=sum(counts.sent for counts in mine),
                       starts=[self.other(rule) for rule in self.starts.values()],
                       started_by=[self.other(rule) for rule in setters])

    def other(self, rule: Rule) -> Other:
        return Other(said(rule.title, self.words), self.rule_link(rule))

    def title_html(self, rule: Rule) -> str:
        return format_html("<bdi>{}</bdi>", said(rule.title, self.words))

    def steps(self, steps: list, prefix: str) -> list[Box]:
        boxes: list[Box] = []
        wait_box = check_box = None
        for index, step in enumerate(steps):
            where = f"{prefix}[{index}]"
            kind, argument = _single(step)
            step_kind = STEPS.get(kind)
            if step_kind is None:
                continue
            drawn = step_kind.drawn(argument, self.words, where, self.rule.split_winners or {})
            box = Box(drawn.label, drawn.text, kind)
            boxes.append(box)
            if drawn.role == "branches":
                if drawn.counted:
                    counts = self.counts.at(self.rule.rule_id, where)
                    box.figures = [Figure(_("waiting now"), counts.waiting, self.link(where, "waiting")),
                                   Figure(_("answered or timed out"), counts.done, self.link(where, "done"))]
                    self.reached(wait_box, check_box, counts, where)
                if kind == "split":
                    self.versions(box, argument, where)
                else:
                    box.paths = [Path(str(branch.label), self.steps(branch.steps, f"{where}.{branch.where}"))
                                 for branch in step_kind.branches(argument)]
                continue
            if drawn.role == "waits":
                wait_box = box
                continue
            if drawn.role == "checks":
                check_box = box
                continue
            counts = self.counts.at(self.rule.rule_id, where)
            if step_kind.immediate and not wait_box and prefix == "steps":
                box.figures.append(Figure(_("done"), self.counts.started.get(self.rule.rule_id, 0),
                                          self.link("", "started")))
            else:
                self.reached(wait_box, check_box, counts, where, box)
                box.figures.extend(self.outcome(kind, argument, counts, where))
            for fact in sorted(facts_set([step])):
                for other in self.chains.get(fact, []):
                    if other.pk != self.rule.pk:
                        self.starts[other.pk] = other
                        box.figures.append(Figure(format_html(_("starts {rule}"), rule=self.title_html(other)), None,
                                                  self.rule_link(other)))
            wait_box = check_box = None
        return boxes

    def versions(self, box: Box, argument: dict, where: str) -> None:
        """An A/B split's versions side by side, each with its share, its customers so far and
        whether it won."""
        at = f"{where}.split"
        split = self.splits.get(at)
        winner = (self.rule.split_winners or {}).get(at, "")
        box.split = split
        box.says = split_says(split) if split else {}
        box.text = _("Each customer gets one version, for good.")
        if winner:
            box.text = mark_safe(_("Version <bdi>%(version)s</bdi> won: everyone now takes it.")
                                 % {"version": escape(version_name(winner))})
        groups = dict(split.branches) if split else {}
        for name, branch in (argument or {}).items():
            if not isinstance(branch, dict):
                continue
            label = format_html(_("Version {version} — {share} %"), share=count(branch.get("share")),
                                version=format_html("<bdi>{}</bdi>", version_name(name)))
            box.paths.append(Path(label, self.steps(branch.get("steps") or [], f"{at}.{name}"), name,
                                  groups.get(name), won=winner == name, lost=bool(winner) and winner != name))

    def reached(self, wait_box, check_box, counts: StepCounts, where: str, box: Box | None = None) -> None:
        """Waits before an action show who waits for it; checks before it, who passed and who was
        skipped by reason (without a check, the action itself shows its skips)."""
        if wait_box is not None:
            wait_box.figures.append(Figure(_("waiting now"), counts.waiting, self.link(where, "waiting")))
        elif box is not None:
            box.figures.append(Figure(_("due"), counts.waiting, self.link(where, "waiting")))
        skips = [Figure(_("skipped: {reason}").format(reason=reason_words(reason)), n,
                        self.link(where, "skipped", reason))
                 for reason, n in sorted(counts.skipped.items(), key=lambda item: -item[1])]
        if check_box is not None:
            check_box.figures.append(Figure(_("passed"), counts.reached, self.link(where, "reached")))
            check_box.figures.extend(skips or [Figure(_("skipped"), 0)])
        elif box is not None:
            box.figures.extend(skips)

    def outcome(self, kind: str, argument, counts: StepCounts, where: str) -> list[Figure]:
        figures = []
        if STEPS[kind].sends_message:
            figures += [Figure(_("sent"), counts.sent, self.link(where, "sent")),
                        Figure(_("opened"), counts.opened, self.link(where, "opened")),
                        Figure(_("clicked"), counts.clicked, self.link(where, "clicked")),
                        Figure(_("converted"), counts.converted, self.link(where, "converted"))]
            if counts.held_out:
                figures.append(Figure(_("held out"), counts.held_out, self.link(where, "held_out")))
            if not counts.revenue.is_zero:
                figures.append(Figure(_("revenue"), counts.revenue.format()))
            preview = preview_url(str(self.words.value(argument.get("template", ""))), self.rule.pack) \
                if isinstance(argument, dict) else ""
            if preview:
                figures.append(Figure(_("preview it for a customer"), None, preview))
        else:
            figures.append(Figure(_("done"), counts.done, self.link(where, "done")))
        if counts.failed:
            figures.append(Figure(_("failed"), counts.failed, self.link(where, "failed")))
        return figures


@dataclass
class Links:
    """How a set of rules chain: for each fact or event one of them sets and another's trigger
    names, the rules it starts and the rules that set it."""

    starts: dict
    set_by: dict

    @classmethod
    def of(cls, rules: list[Rule]) -> "Links":
        sets = {rule.pk: facts_set((rule.definition or {}).get("steps")) for rule in rules}
        starts: dict[str, list[Rule]] = {}
        for rule in rules:
            name = started_by((rule.definition or {}).get("trigger") or {})
            if any(name in names for names in sets.values()):
                starts.setdefault(name, []).append(rule)
        return cls(starts, {name: [rule for rule in rules if name in sets[rule.pk]] for name in starts})


def period(request) -> tuple[DaysForm, datetime, datetime, dict]:
    initial = last_days(30)
    form = DaysForm({**initial, **{k: v for k, v in request.GET.items() if k in initial}})
    values = form.cleaned_data if form.is_valid() else initial
    since, until = day_range(values["since"], values["until"])
    return form, since, until, {"since": values["since"].isoformat(), "until": values["until"].isoformat()}


def drawings(rules: list[Rule], request, chain_rules: list[Rule] | None = None,
             folded: bool = False) -> tuple[DaysForm, list[Drawing]]:
    """Each rule's drawing over the period the request asks for; ``folded``: the rules are on one
    page (the pack's), so a rule links to another's fold there."""
    form, since, until, query = period(request)
    measured = {row.key: row for row in incremental_results(since, until)}
    counts = journey_counts([rule.rule_id for rule in rules], since, until)
    channels = rule_channels(since, until, rule_ids=[rule.rule_id for rule in rules])
    words = {}
    links = Links.of(chain_rules or rules)
    link = (lambda other: f"#rule-{other.rule_id}") if folded else None
    result = []
    for rule in rules:
        words.setdefault(rule.pack, Words.for_pack(rule.pack, html=True))
        drawing = Journey(rule, words[rule.pack], counts, query, links, split_results(rule, since, until), link).draw()
        drawing.incremental = measured.get(f"rule:{rule.rule_id}") or measured.get(f"pack:{rule.pack}")
        drawing.channels = by_channel(channels.get(rule.rule_id, []))
        if uses_preferred(rule):
            drawing.arms = channel_arms(f"rule:{rule.rule_id}", rule.title, [rule.pk], since, until)
        result.append(drawing)
    return form, result


class RuleJourneyView(MasaPage):
    template_name = "masa/admin/journey.html"
    header_icon = "cogs"
    object_model, object_name = Rule, "rule"

    confirming = None   # (split, winner) while asking to confirm a winner

    def get_page_title(self):
        if self.confirming:
            return _("Choose version %(version)s as the winner?") % {"version": version_name(self.confirming[1])}
        title = said(self.rule.title, Words.for_pack(self.rule.pack, html=False))
        return _("Journey: %(rule)s") % {"rule": isolate(title)}

    def post(self, request, *args, **kwargs):
        """*Choose the winner* of a split (editors; in the audit log): the first POST asks to
        confirm, saying what happens and whether the test has enough customers; the confirmed one acts."""
        if not request.user.has_perm("masa.change_rule"):
            raise PermissionDenied
        at, winner = request.POST.get("split", ""), request.POST.get("winner", "")
        if request.POST.get("confirm") != "yes":
            return self.confirm_winner(at, winner)
        try:
            moved = choose_winner(self.rule, at, winner)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            log(instance=self.rule, action="masa.split.winner", user=request.user,
                data={"split": at, "winner": winner, "cancelled": moved.cancelled, "scheduled": moved.scheduled})
            messages.success(request, _("Version %(version)s won. Customers moved to it: %(scheduled)s; waiting steps "
                                        "of the other versions cancelled: %(cancelled)s.")
                             % {"version": version_name(winner), "scheduled": count(moved.scheduled),
                                "cancelled": count(moved.cancelled)})
        return redirect("masa_rule_journey", rule_id=self.rule.rule_id)

    def confirm_winner(self, at: str, winner: str):
        """The confirmation step: the split's branches so far, what choosing does, and a warning
        while the branches are below the minimum sample the Results page computes."""
        _form, since, until, query = period(self.request)
        split = next((found for found in split_results(self.rule, since, until) if found.at == at), None)
        if split is None or winner not in dict(split.branches):
            messages.error(self.request, _("This rule has no split at %(at)s with a branch %(branch)s.")
                           % {"at": at, "branch": winner})
            return redirect("masa_rule_journey", rule_id=self.rule.rule_id)
        if split.winner:
            messages.error(self.request, _("Version %(version)s already won this A/B test.")
                           % {"version": version_name(split.winner)})
            return redirect("masa_rule_journey", rule_id=self.rule.rule_id)
        self.confirming = (split, winner)
        self.template_name = "masa/admin/split_winner.html"
        needed = split.comparison.needed
        context = super().get_context_data()
        context.update(rule=self.rule, split=split, winner=winner, others=[name for name, _g in split.branches
                                                                           if name != winner],
                       enough=split.comparison.enough, needed=needed,
                       customers=sum(group.customers for _name, group in split.branches),
                       more_customers=more_customers_needed(split),
                       back=reverse("masa_rule_journey", args=[self.rule.rule_id]) + "?" + urlencode(query))
        return self.render_to_response(context)

    def get_breadcrumbs_items(self):
        """Home › the pack's journeys › Journey: the rule's title, often long, is the page's heading."""
        pack = RulePack.objects.filter(pack_id=self.rule.pack).first()
        return [*super().get_breadcrumbs_items()[:1],
                {"url": reverse("masa_pack_journey", args=[self.rule.pack]),
                 "label": _("Journeys of %(pack)s") % {"pack": isolate(pack.title if pack else self.rule.pack)}},
                {"url": "", "label": _("Journey")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pack_rules = list(Rule.objects.filter(pack=self.rule.pack))
        form, drawn = drawings([self.rule], self.request, pack_rules)
        context.update(form=form, drawings=drawn, pack=RulePack.objects.filter(pack_id=self.rule.pack).first(),
                       folded=False, can_edit=self.request.user.has_perm("masa.change_rule"))
        return context


class PackJourneyView(MasaPage):
    template_name = "masa/admin/journey.html"
    header_icon = "folder-open-inverse"

    def get_page_title(self):
        return _("Journeys of %(pack)s") % {"pack": isolate(self.pack_title)}

    def get_context_data(self, **kwargs):
        pack_id = self.kwargs["pack_id"]
        rules = list(Rule.objects.filter(pack=pack_id).order_by("pk"))
        if not rules:
            raise Http404("no rules in this pack")
        pack = RulePack.objects.filter(pack_id=pack_id).first()
        self.pack_title = pack.title if pack else pack_id
        context = super().get_context_data(**kwargs)
        form, drawn = drawings(rules, self.request, folded=True)
        context.update(form=form, drawings=drawn, pack=pack, folded=True, can_edit=False,
                       connections=connections(rules, Words.for_pack(pack_id, html=True)))
        return context


def chain_name(name: str, words: Words) -> str:
    """What links two rules, in words: "loyalty tier", "tagged vip", "birthday greeted"."""
    if name.startswith("custom."):
        return words.name(name.removeprefix("custom.").replace("-", " "))
    if name.startswith("tag:"):
        return words.say(_("tagged {tag}"), tag=words.name(name[4:]))
    return fact_name(name, words)


@dataclass
class Connection:
    """One rule starting another: the first sets ``what`` (a fact, a tag, an event), which the
    second's trigger names."""

    setter: Rule
    what: str
    started: Rule


def connections(rules: list[Rule], words: Words) -> list[Connection]:
    """Which rule of the pack starts which, in the pack's order."""
    links = Links.of(rules)
    order = {rule.pk: index for index, rule in enumerate(rules)}
    found = [Connection(setter, chain_name(fact, words), other)
             for fact, started in links.starts.items() for setter in links.set_by[fact] for other in started
             if other.pk != setter.pk]
    return sorted(found, key=lambda link: (order[link.setter.pk], order[link.started.pk]))


PAGES = [AdminPage("masa/rules/<slug:rule_id>/journey/", RuleJourneyView, name="masa_rule_journey"),
         AdminPage("masa/packs/<slug:pack_id>/journey/", PackJourneyView, name="masa_pack_journey")]
