"""A read-only table of plain text for the staff screens: user text is never parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from store.text import sanitize_line


class Listing(Static):
    """Rows of cells as plain text; the last column ends in "…" (or wraps, if asked) so the
    table fits the screen's width."""

    def show(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
             empty: str = "", *, wrap_last: bool = False) -> None:
        if not rows:
            self.update(Text(empty, style="italic"))
            return
        table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, expand=False,
                      header_style="bold", show_header=any(headers))
        last = len(headers) - 1
        for i, header in enumerate(headers):
            # Ids, names and dates never wrap; only the last column gives way to the width.
            table.add_column(Text(header), no_wrap=i < last)
        for row in rows:
            *fixed, flexible = (sanitize_line(str(cell)) for cell in row)
            table.add_row(*map(Text, fixed),
                          Text(flexible, overflow="fold") if wrap_last
                          else Text(flexible, no_wrap=True, overflow="ellipsis"))
        self.update(table)
