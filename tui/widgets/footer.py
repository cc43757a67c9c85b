"""The footer of every screen: Textual's, with its keys continued on a second line (and a
third) when they do not fit the width, instead of being cut off at the right edge."""

from __future__ import annotations

from typing import Any

from textual.geometry import NULL_OFFSET, Region, Size
from textual.layout import ArrangeResult, Layout, WidgetPlacement
from textual.screen import Screen
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
    _composed_keys: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Textual recomposes the footer, which lays out the whole screen, whenever the screen's
        # bindings are refreshed (a focus change, a key, a field turning read-only while a
        # message is sent), even when the keys shown stay the same. How many refreshes fall
        # together depends on how busy the server is; only a change of keys is composed here.
        keys = tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                     for _node, binding, enabled, tooltip in screen.active_bindings.values()
                     if binding.show)
        composes = screen.app.app_focus and self.is_attached and screen is self.screen
        if composes and keys == self._composed_keys:
            return
        if composes:
            self._composed_keys = keys
        super().bindings_changed(screen)

    @property
    def layout(self) -> Layout:
        return self._rows
