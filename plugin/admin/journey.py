"""A rule, or a whole pack, drawn as a journey (server-drawn SVG, no front-end build): the trigger,
then each step in order — waits, checks, sends and effects, a wait for an event with its two
branches indented — and on each step its live numbers, each a link to the customers behind it.
A pack's page also draws how its rules chain: a fact or event one rule sets that starts another.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from wagtail.log_actions import log
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import Rule, RulePack
from ..reports.incremental import incremental_results, split_results
from ..reports.journey import JourneyCounts, StepCounts, journey_counts
from ..rules.sentences import Words, trigger_phrase
from ..rules.splits import choose_winner
from ..rules.steps import STEPS
from ..rules.wording import condition_phrase, fact_name
from .base import AdminPage, DaysForm, MasaPage, day_range, last_days
from .preview import preview_url

WIDTH, BOX, INDENT, LINE, GAP, CHARS = 760, 470, 36, 16, 18, 66


@dataclass
class Chip:
    label: str
    count: int | str
    url: str = ""


@dataclass
class Node:
    label: str
    text: str
    depth: int = 0
    chips: list = field(default_factory=list)
    x: float = 0
    y: float = 0
    lines: list = field(default_factory=list)

    @property
    def height(self) -> int:
        return max(30 + LINE * len(self.lines), 12 + LINE * len(self.chips))

    @property
    def width(self) -> int:
        return BOX - self.depth * INDENT

    def chip_rows(self) -> list[dict]:
        return [{"chip": chip, "y": self.y + 20 + LINE * index} for index, chip in enumerate(self.chips)]

    def text_rows(self) -> list[dict]:
        return [{"text": line, "y": self.y + 38 + LINE * index} for index, line in enumerate(self.lines)]


@dataclass
class Drawing:
    rule: Rule
    nodes: list
    width: int = WIDTH
    height: int = 0
    arrows: list = field(default_factory=list)
    incremental: object = None    # reports.incremental.Incremental of its rule or pack, if held out
    splits: list = field(default_factory=list)   # reports.incremental.SplitResult of each A/B split


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
    """Builds the drawing of one rule from its definition and the counts of its steps."""

    def __init__(self, rule: Rule, words: Words, counts: JourneyCounts, period: dict, links: "Links"):
        self.rule, self.words, self.counts, self.period = rule, words, counts, period
        self.chains, self.setters = links.starts, links.set_by
        self.nodes: list[Node] = []

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
        start = Node(_("When"), str(when), chips=[Chip(_("started"), self.counts.started.get(self.rule.rule_id, 0),
                                                       self.link("", "started"))])
        start.chips += [Chip(_("started by {rule}").format(rule=setter.title), "←", f"#rule-{setter.rule_id}")
                        for setter in self.setters.get(started_by(trigger), []) if setter.pk != self.rule.pk]
        self.nodes.append(start)
        self.steps(definition.get("steps") or [], "steps", 0)
        return layout(self.rule, self.nodes)

    def steps(self, steps: list, prefix: str, depth: int) -> None:
        wait_node = check_node = None
        for index, step in enumerate(steps):
            where = f"{prefix}[{index}]"
            kind, argument = _single(step)
            step_kind = STEPS.get(kind)
            if step_kind is None:
                continue
            drawn = step_kind.drawn(argument, self.words, where, self.rule.split_winners or {})
            node = Node(drawn.label, drawn.text, depth)
            self.nodes.append(node)
            if drawn.role == "branches":
                if drawn.counted:
                    counts = self.counts.at(self.rule.rule_id, where)
                    node.chips = [Chip(_("waiting now"), counts.waiting, self.link(where, "waiting")),
                                  Chip(_("answered or timed out"), counts.done, self.link(where, "done"))]
                    self.reached(wait_node, check_node, counts, where)
                for branch in step_kind.branches(argument):
                    self.nodes.append(Node(str(branch.label), "", depth + 1))
                    self.steps(branch.steps, f"{where}.{branch.where}", depth + 1)
                continue
            if drawn.role == "waits":
                wait_node = node
                continue
            if drawn.role == "checks":
                check_node = node
                continue
            counts = self.counts.at(self.rule.rule_id, where)
            immediate = step_kind.immediate and not wait_node and depth == 0
            if immediate:
                node.chips.append(Chip(_("done"), self.counts.started.get(self.rule.rule_id, 0), self.link("", "started")))
            else:
                self.reached(wait_node, check_node, counts, where, node)
                node.chips.extend(self.outcome_chips(kind, argument, counts, where))
            node.chips += [Chip(_("starts {rule}").format(rule=other.title), "→", f"#rule-{other.rule_id}")
                           for fact in sorted(facts_set([step])) for other in self.chains.get(fact, [])
                           if other.pk != self.rule.pk]
            wait_node = check_node = None

    def reached(self, wait_node, check_node, counts: StepCounts, where: str, node: Node | None = None) -> None:
        """Waits before an action show who waits for it; checks before it, who passed and who was
        skipped by reason (without a check, the action itself shows its skips)."""
        if wait_node is not None:
            wait_node.chips.append(Chip(_("waiting now"), counts.waiting, self.link(where, "waiting")))
        elif node is not None:
            node.chips.append(Chip(_("due"), counts.waiting, self.link(where, "waiting")))
        skips = [Chip(_("skipped: {reason}").format(reason=reason), n, self.link(where, "skipped", reason))
                 for reason, n in sorted(counts.skipped.items(), key=lambda item: -item[1])]
        if check_node is not None:
            check_node.chips.append(Chip(_("passed"), counts.reached, self.link(where, "reached")))
            check_node.chips.extend(skips or [Chip(_("skipped"), 0)])
        elif node is not None:
            node.chips.extend(skips)

    def outcome_chips(self, kind: str, argument, counts: StepCounts, where: str) -> list[Chip]:
        chips = []
        if STEPS[kind].sends_message:
            chips += [Chip(_("sent"), counts.sent, self.link(where, "sent")),
                      Chip(_("opened"), counts.opened, self.link(where, "opened")),
                      Chip(_("clicked"), counts.clicked, self.link(where, "clicked")),
                      Chip(_("converted"), counts.converted, self.link(where, "converted"))]
            if counts.held_out:
                chips.append(Chip(_("held out"), counts.held_out, self.link(where, "held_out")))
            if not counts.revenue.is_zero:
                chips.append(Chip(_("revenue"), counts.revenue.format()))
            preview = preview_url(str(self.words.value(argument.get("template", ""))), self.rule.pack) \
                if isinstance(argument, dict) else ""
            if preview:
                chips.append(Chip(_("preview it for a customer"), "▸", preview))
        else:
            chips.append(Chip(_("done"), counts.done, self.link(where, "done")))
        if counts.failed:
            chips.append(Chip(_("failed"), counts.failed, self.link(where, "failed")))
        return chips


def layout(rule: Rule, nodes: list[Node]) -> Drawing:
    """Positions: one column, branches indented; each node's text wrapped to its box."""
    y = 10
    arrows = []
    for node in nodes:
        node.x = 10 + node.depth * INDENT
        node.lines = textwrap.wrap(node.text, CHARS - node.depth * 5) if node.text else []
        node.y = y
        y += node.height + GAP
    for before, after in zip(nodes, nodes[1:]):
        x = 10 + min(before.depth, after.depth) * INDENT + 14
        arrows.append({"x": x, "y1": before.y + before.height, "y2": after.y})
    return Drawing(rule, nodes, WIDTH, y, arrows)


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


def drawings(rules: list[Rule], request, chain_rules: list[Rule] | None = None) -> tuple[DaysForm, list[Drawing]]:
    form, since, until, query = period(request)
    measured = {row.key: row for row in incremental_results(since, until)}
    counts = journey_counts([rule.rule_id for rule in rules], since, until)
    words = {}
    links = Links.of(chain_rules or rules)
    result = []
    for rule in rules:
        words.setdefault(rule.pack, Words.for_pack(rule.pack, html=False))
        drawing = Journey(rule, words[rule.pack], counts, query, links).draw()
        drawing.incremental = measured.get(f"rule:{rule.rule_id}") or measured.get(f"pack:{rule.pack}")
        drawing.splits = split_results(rule, since, until)
        result.append(drawing)
    return form, result


class RuleJourneyView(MasaPage):
    template_name = "masa/admin/journey.html"
    header_icon = "cogs"
    object_model, object_name = Rule, "rule"

    confirming = None   # (split, winner) while asking to confirm a winner

    def get_page_title(self):
        if self.confirming:
            return _("Choose branch %(branch)s as the winner?") % {"branch": self.confirming[1]}
        return f"Journey: {self.rule.title}"

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
            messages.success(request, f"Branch {winner} won: {moved.cancelled} pending actions of the other "
                                      f"branches cancelled, {moved.scheduled} of branch {winner} scheduled instead.")
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
            messages.error(self.request, _("Branch %(branch)s already won this split.") % {"branch": split.winner})
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pack_rules = list(Rule.objects.filter(pack=self.rule.pack))
        form, drawn = drawings([self.rule], self.request, pack_rules)
        context.update(form=form, drawings=drawn, pack=RulePack.objects.filter(pack_id=self.rule.pack).first(),
                       overview=None, can_edit=self.request.user.has_perm("masa.change_rule"))
        return context


def more_customers_needed(split) -> int:
    """About how many more customers the split must reach before its branches are the minimum
    sample (``comparison.needed`` each); 0 once they are."""
    if split.comparison.enough:
        return 0
    return sum(max(split.comparison.needed - group.customers, 0) for _name, group in split.branches)


class PackJourneyView(MasaPage):
    template_name = "masa/admin/journey.html"
    header_icon = "folder-open-inverse"

    def get_page_title(self):
        return f"Journeys of {self.pack_title}"

    def get_context_data(self, **kwargs):
        pack_id = self.kwargs["pack_id"]
        rules = list(Rule.objects.filter(pack=pack_id).order_by("pk"))
        if not rules:
            raise Http404("no rules in this pack")
        pack = RulePack.objects.filter(pack_id=pack_id).first()
        self.pack_title = pack.title if pack else pack_id
        context = super().get_context_data(**kwargs)
        form, drawn = drawings(rules, self.request)
        context.update(form=form, drawings=drawn, pack=pack, overview=overview(rules, Words.for_pack(pack_id, html=False)),
                       can_edit=False)
        return context


def chain_name(name: str, words: Words) -> str:
    """What links two rules, in words: "loyalty tier", "tagged vip", "birthday greeted"."""
    if name.startswith("custom."):
        return name.removeprefix("custom.").replace("-", " ")
    if name.startswith("tag:"):
        return _("tagged {tag}").format(tag=name[4:])
    return str(fact_name(name, words))


def overview(rules: list[Rule], words: Words) -> dict:
    """The pack's rules as boxes in a column, an arrow from each rule to the rules it starts."""
    links = Links.of(rules)
    row, height = 34, 26
    boxes = [{"rule": rule, "y": 10 + index * row, "anchor": f"rule-{rule.rule_id}"} for index, rule in enumerate(rules)]
    position = {box["rule"].pk: box for box in boxes}
    arrows = []
    for fact, started in sorted(links.starts.items()):
        for rule in links.set_by[fact]:
            for other in started:
                if other.pk == rule.pk:
                    continue
                y1, y2 = position[rule.pk]["y"] + height / 2, position[other.pk]["y"] + height / 2
                bend = 420 + 24 * (len(arrows) % 6) + min(abs(y2 - y1) / 4, 120)
                arrows.append({"d": f"M 400 {y1} C {bend} {y1}, {bend} {y2}, 400 {y2}",
                               "label": chain_name(fact, words), "lx": bend - 6, "ly": (y1 + y2) / 2 + 4})
    return {"boxes": boxes, "arrows": arrows, "height": 20 + len(rules) * row, "box_height": height,
            "width": WIDTH}


PAGES = [AdminPage("masa/rules/<slug:rule_id>/journey/", RuleJourneyView, name="masa_rule_journey"),
         AdminPage("masa/packs/<slug:pack_id>/journey/", PackJourneyView, name="masa_pack_journey")]
