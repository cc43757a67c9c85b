"""The staff home's statistics chart: bars from zero, and the real numbers over SSH."""

from __future__ import annotations

import re
from datetime import timedelta

from store.accounts.roles import Role
from store.statistics import new_visit_id
from tests.conftest import PASSWORD
from tests.sshclient import connect
from tui.widgets.admin.stats_chart import bar_rows


def test_bars_start_at_zero_and_show_every_visit():
    rows = bar_rows([0, 1, 8, 4], rows=2, column=2)
    assert rows == ["    ██  ", "  ▂▂████"]
    # With a smallest day of 5 a sparkline would draw that day as empty; here it stands.
    assert bar_rows([5, 6], rows=1, column=1) == ["▇█"]
    assert bar_rows([0, 0], rows=1, column=1) == ["  "]


async def test_admin_home_shows_the_last_30_days(wardroom):
    await wardroom.add_account("office", Role.ADMIN)
    statistics = wardroom.services.statistics
    wardroom.clock.advance(timedelta(days=-30))
    statistics.record_view(new_visit_id(), "client_home")  # 31 days ago: outside the chart
    wardroom.clock.advance(timedelta(days=29))
    for _ in range(6):
        statistics.record_view(new_visit_id(), "client_home")
    wardroom.clock.advance(timedelta(days=1))
    statistics.record_view(new_visit_id(), "client_home")
    await statistics.settle()

    client = await connect(wardroom.port, "office", PASSWORD, size=(200, 50))
    try:
        screen = await client.wait_for("Besuche pro Tag")
        # Today's one or two visits (the admin's own may be written before the chart loads)
        # are fewer than five: not shown, like any count below five.
        assert re.search(r"letzte 30 Tage: 6 insgesamt, höchstens 6 an einem Tag", screen)
        lines = screen.splitlines()
        top = next(i for i, line in enumerate(lines) if "Besuche pro Tag" in line) + 1
        assert lines[top].lstrip().startswith("6│")
        assert lines[top + 3].lstrip().startswith("0│")
        assert "30.10." in lines[top + 5] and "28.11." in lines[top + 5]
        # Yesterday, the peak, stands full height as the second-last bar.
        assert lines[top].rstrip().endswith("███")
        # Today's bar stands empty (its count is below five), so yesterday's ends every row.
        assert len(lines[top].rstrip()) == len(lines[top + 3].rstrip())
    finally:
        await client.close()
