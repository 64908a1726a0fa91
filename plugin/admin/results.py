"""Results per rule or per pack over a chosen period, with a daily chart of messages."""
from __future__ import annotations

from datetime import timedelta

from django import forms

from ..reports import results
from ..reports.incremental import incremental_results, split_results_all
from ..models import Rule
from .base import AdminPage, DaysForm, MasaPage, day_range, last_days

CHART_WIDTH, CHART_HEIGHT = 720, 160


class PeriodForm(DaysForm):
    by = forms.ChoiceField(choices=[("rule", "Rule"), ("pack", "Pack")], label="Per")
    window = forms.IntegerField(min_value=1, max_value=90, label="Conversion window (days)")


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


class ResultsView(MasaPage):
    template_name = "masa/admin/results.html"
    header_icon = "doc-full"
    page_title = "Journey results"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        initial = {**last_days(30), "by": "rule", "window": 7}
        form = PeriodForm({**initial, **self.request.GET.dict()}) if self.request.GET else PeriodForm(initial)
        values = form.cleaned_data if form.is_valid() else initial
        since, until = day_range(values["since"], values["until"])
        window = timedelta(days=values["window"])
        of_period = results.pack_results if values["by"] == "pack" else results.rule_results
        rows = results.compared(of_period(since, until, window), of_period(since - (until - since), since, window))
        selected = self.request.GET.get("rule") or ""
        rule_ids = [selected] if selected else None
        if values["by"] == "pack" and self.request.GET.get("pack"):
            rule_ids = list(Rule.objects.filter(pack=self.request.GET["pack"]).values_list("rule_id", flat=True))
        context.update(form=form, rows=rows, incremental=incremental_results(since, until, window),
                       splits=split_results_all(since, until, window), period_days=(until - since).days,
                       previous_since=since - (until - since), previous_until=since - timedelta(days=1),
                       by=values["by"], chart=chart(results.daily(since, until, rule_ids)), selected=selected,
                       totals=_totals(rows))
        return context


def _totals(rows) -> results.Result:
    total, previous = results.Result("all", "All"), results.Result("all", "All")
    for row in rows:
        total.add(row)
        previous.add(row.previous)
    total.previous = previous
    return total


PAGES = [AdminPage("masa/results/", ResultsView, name="masa_results",
                   menu_label="Results", menu_icon="doc-full", menu_order=530)]
