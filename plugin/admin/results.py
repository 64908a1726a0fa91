"""Results a shop owner reads, per journey or per pack over a chosen period, each figure against
the previous period of the same length: messages, orders, revenue and revenue per recipient; each
journey's figures per channel kind, as a list; then what holdouts, preferred-against-default
channel comparisons and A/B splits say so far, in words (``result_words``); bookkeeping rules —
they send customers nothing — folded apart; a daily chart of messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Rule
from ..reports import results
from ..reports.audience import sends_to_customers
from ..reports.channels import all_channels, pack_channels, rule_channels
from ..reports.incremental import incremental_results, preference_results, split_results_all
from . import result_words as words
from .base import AdminPage, DaysForm, MasaPage, day_range, last_days
from .rules import pack_titles

CHART_WIDTH, CHART_HEIGHT = 720, 160


class PeriodForm(DaysForm):
    by = forms.ChoiceField(choices=[("rule", gettext_lazy("Journeys")), ("pack", gettext_lazy("Packs"))],
                           label=gettext_lazy("Show"))
    window = forms.IntegerField(min_value=1, max_value=90, label=gettext_lazy("Orders count for (days after a message)"))


def chart(days) -> dict:
    """Bars (sent) and dots (opened, clicked) per day, in SVG coordinates."""
    peak = max([sent for _, sent, _, _ in days] + [1])
    step = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, (day, sent, opened, clicked) in enumerate(days):
        height = CHART_HEIGHT * sent / peak
        bars.append({"x": round(index * step + 1, 1), "w": round(max(step - 2, 1), 1), "y": round(CHART_HEIGHT - height, 1),
                     "h": round(height, 1), "day": day, "sent": sent, "opened": opened, "clicked": clicked,
                     "oy": round(CHART_HEIGHT - CHART_HEIGHT * opened / peak, 1),
                     "cy": round(CHART_HEIGHT - CHART_HEIGHT * clicked / peak, 1)})
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT, "peak": peak}


@dataclass
class Line:
    """One journey (or pack) as the page reads it: each figure with its change."""

    result: results.Result
    url: str = ""
    live: bool | None = None   # a rule's: on and published (None for a pack)
    channels: list = field(default_factory=list)   # each channel kind's line (result_words.by_channel)

    def __post_init__(self):
        row, before = self.result, self.result.previous
        self.sent_change = words.count_change(row.sent, before.sent)
        self.orders_change = words.count_change(row.converted, before.converted)
        self.revenue = words.amounts(row.revenue, row.currency)
        self.revenue_change = words.money_change(row.revenue, before.revenue)
        self.per_recipient = words.amounts(row.revenue_per_recipient, row.currency)
        self.per_recipient_change = words.money_change(row.revenue_per_recipient, before.revenue_per_recipient)
        self.fired_change = words.count_change(row.fired, before.fired)
        self.opened = words.percent(row.opened / row.sent) if row.sent else ""
        self.clicked = words.percent(row.clicked / row.sent) if row.sent else ""


class ResultsView(MasaPage):
    template_name = "masa/admin/results.html"
    header_icon = "doc-full"

    def get_page_title(self):
        return _("Results")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        initial = {**last_days(30), "by": "rule", "window": 7}
        form = PeriodForm({**initial, **self.request.GET.dict()}) if self.request.GET else PeriodForm(initial)
        values = form.cleaned_data if form.is_valid() else initial
        since, until = day_range(values["since"], values["until"])
        length, window = until - since, timedelta(days=values["window"])
        titles = pack_titles()
        if values["by"] == "pack":
            now = results.pack_results(since, until, window, titles)
            before = results.pack_results(since - length, since, window, titles)
        else:
            now, before = results.rule_results(since, until, window), results.rule_results(since - length, since, window)
        rows = results.compared(now, before)
        journeys, bookkeeping = self.lines(rows, values["by"])
        channels = (pack_channels if values["by"] == "pack" else rule_channels)(since, until, window)
        for line in journeys:
            line.channels = words.by_channel(channels.get(line.result.key, []))
        query = f"?since={values['since']:%Y-%m-%d}&until={values['until']:%Y-%m-%d}"
        can_edit = self.request.user.has_perm("masa.change_rule")
        context.update(
            form=form, by=values["by"], journeys=journeys, bookkeeping=bookkeeping,
            total=Line(_total(rows)), days=length.days, since=since, last_day=until - timedelta(days=1),
            previous_since=since - length, previous_last_day=since - timedelta(days=1),
            chart=chart(results.daily(since, until)),
            holdouts=[{"row": row, "says": words.holdout_says(row), "scope": _holdout_scope(row)}
                      for row in incremental_results(since, until, window)],
            splits=[{"split": split, "says": words.split_says(split), "choose": can_edit and not split.winner,
                     "url": reverse("masa_rule_journey", args=[split.rule.rule_id]) + query,
                     "branches": [{"name": name, "group": group,
                                   "per_customer": words.money(group.revenue / group.customers if group.customers else 0,
                                                               split.comparison.currency)}
                                  for name, group in split.branches]}
                    for split in split_results_all(since, until, window)],
            by_channel=words.by_channel(all_channels(since, until, window)),
            preferences=[{"row": row, "says": words.channel_arms_says(row)}
                         for row in preference_results(since, until, window)],
            query=query, window=values["window"],
        )
        return context

    def lines(self, rows, by: str) -> tuple[list[Line], list[Line]]:
        """(journeys, bookkeeping rules); per pack every row is a journey line."""
        if by == "pack":
            return [Line(row, reverse("masa_pack_journey", args=[row.key])) for row in rows], []
        rules = {rule.rule_id: rule for rule in Rule.objects.filter(rule_id__in=[row.key for row in rows])}
        journeys, bookkeeping = [], []
        for row in rows:
            rule = rules[row.key]
            line = Line(row, reverse("masa_rule_journey", args=[rule.rule_id]), rule.enabled and rule.live)
            (journeys if sends_to_customers(rule.definition) else bookkeeping).append(line)
        return journeys, bookkeeping


def _holdout_scope(row) -> str:
    if row.key.startswith("pack:"):
        return _("%(percent)s %% of customers are held out of every marketing message of this pack.") % {
            "percent": row.percent}
    return _("%(percent)s %% of this journey's customers are held out of its marketing messages.") % {
        "percent": row.percent}


def _total(rows) -> results.Result:
    total, previous = results.Result("all", ""), results.Result("all", "")
    for row in rows:
        total.add(row)
        previous.add(row.previous)
    total.previous = previous
    return total


PAGES = [AdminPage("masa/results/", ResultsView, name="masa_results",
                   menu_label=gettext_lazy("Results"), menu_icon="doc-full", menu_order=530)]
