"""The footer of every screen: Textual's, with its keys continued on a second line (and a
third) when they do not fit the width, instead of being cut off at the right edge."""

from __future__ import annotations

from textual.geometry import NULL_OFFSET, Region, Size
from textual.layout import ArrangeResult, Layout, WidgetPlacement
from textual.widget import Widget
from textual.widgets import Footer


class KeyRowsLayout(Layout):
    """Left to right, one row high each, starting a new row where the next key would not fit;
    a key is never split."""

    name = "key_rows"

    def arrange(self, parent: Widget, children: list[Widget], size: Size,
                greedy: bool = True) -> ArrangeResult:
        parent.pre_layout(self)
        viewport = parent.app.viewport_size
        placements: list[WidgetPlacement] = []
        x = y = 0
        for child in children:
            margin = child.styles.margin
            width = child.get_content_width(size, viewport) + child.styles.gutter.width
            if x and x + width > size.width:
                x, y = 0, y + 1
            placements.append(WidgetPlacement(Region(x, y, width, 1), NULL_OFFSET, margin,
                                              child))
            x += width + margin.right
        return placements


class KeyFooter(Footer):
    _rows = KeyRowsLayout()

    @property
    def layout(self) -> Layout:
        return self._rows
