"""The one-line bar at the top of every screen: product, screen title, who is logged in."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TopBar(Widget):
    """Static on purpose: no clock, no timer, nothing that redraws while a session is idle."""

    DEFAULT_CSS = """
    TopBar { height: 1; width: 100%; background: $primary; color: $text; }
    """

    def __init__(self, title: str, who: str = "") -> None:
        super().__init__()
        self._title = title
        self._who = who

    def retitle(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self.refresh()

    def render(self) -> Text:
        left = Text.assemble(("wardroom", "bold"), " · ", self._title)
        width = self.size.width
        if self._who and width >= left.cell_len + len(self._who) + 3:
            gap = width - left.cell_len - len(self._who) - 1
            left.append(" " * gap)
            left.append(self._who)
        left.truncate(max(width, 1), overflow="ellipsis")
        return left
