"""The staff home's chart of the access statistics: visits per day over the last 30 days."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widget import Widget

from store.errors import NotPermitted
from store.statistics import DailyVisits

if TYPE_CHECKING:
    from tui.app import WardroomApp

CHART_DAYS = 30
BAR_ROWS = 4
_EIGHTHS = " ▁▂▃▄▅▆▇█"


def bar_rows(counts: list[int], rows: int, column: int) -> list[str]:
    """Bars from a zero baseline (a sparkline would start at the smallest day instead),
    top row first; every day with a visit shows at least a sliver."""
    peak = max(counts, default=0)
    eighths = [0 if c == 0 else max(1, round(c * rows * 8 / peak)) for c in counts]
    lines = []
    for row in reversed(range(rows)):
        cells = [_EIGHTHS[min(max(e - row * 8, 0), 8)] for e in eighths]
        lines.append("".join(cell * column for cell in cells))
    return lines


class StatsChart(Widget):
    """Loads once when shown; aggregates only, through the staff-checked statistics service."""

    def __init__(self) -> None:
        super().__init__(id="stats-chart")
        self._visits: list[DailyVisits] | None = None
        self._hidden = False  # staff without the scope `statistics`

    @property
    def wardroom(self) -> WardroomApp:
        return cast("WardroomApp", self.app)

    async def on_mount(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        try:
            self._visits = await self.wardroom.services.statistics.daily_visits(account,
                                                                                CHART_DAYS)
        except NotPermitted:
            self._hidden = True
        self.refresh(layout=True)

    def render(self) -> Text:
        t = self.wardroom.t
        if self._hidden:
            return Text(t("scopes.statistics_hidden"))
        if self._visits is None:
            return Text(t("stats_chart.loading"))
        # A day with fewer visits than a report may show stands as an empty one.
        counts = [day.visits or 0 for day in self._visits]
        peak = max(counts, default=0)
        scale = len(str(peak))
        column = max(1, min(3, (self.size.width - scale - 1) // len(counts)))
        chart = Text(t("stats_chart.title", days=CHART_DAYS, total=sum(counts), peak=peak),
                     style="bold")
        for i, bars in enumerate(bar_rows(counts, BAR_ROWS, column)):
            label = str(peak) if i == 0 else ("0" if i == BAR_ROWS - 1 else "")
            chart.append(f"\n{label.rjust(scale)}│")
            chart.append(bars, style="bold")
        chart.append("\n" + " " * scale + "└" + "─" * (column * len(counts)))
        first, last = (date.fromisoformat(day).strftime(t("stats_chart.date_format"))
                       for day in (self._visits[0].date, self._visits[-1].date))
        gap = max(column * len(counts) - len(first) - len(last), 1)
        chart.append("\n" + " " * (scale + 1) + first + " " * gap + last)
        return chart
