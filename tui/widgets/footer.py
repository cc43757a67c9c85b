"""The footer of every screen: the screen's keys, continued on a second line (and a third) when
they do not fit the width, instead of being cut off at the right edge.

One widget drawn with Textual's line API, where Textual's Footer is a container of one widget
per key: every session holds a footer, and each of those widgets carried its own message
queue, task and styles (a tenth of an idle session's memory) and was composed, styled and laid
out again whenever the keys changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class _Key:
    key: str
    shown: str  # the key as printed on the keyboard, in the session's language
    description: str
    enabled: bool

    @property
    def width(self) -> int:
        return cell_len(self.shown) + (1 + cell_len(self.description) if self.description
                                       else 0)


class KeyFooter(Widget):
    ALLOW_SELECT = False
    # As Textual's compact footer: one space inside a key, one between keys, so that every
    # screen's keys, and always F1 and ctrl+q, fit in 80 columns; its colours.
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        max-height: 4;
        padding-left: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--disabled {
            text-style: dim;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key", "key-footer--description", "key-footer--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[_Key, ...] = ()

    def on_mount(self) -> None:
        # Empty until the screen's bindings are settled (the focused widget's among them):
        # keys drawn before would show a footer that changes under the reader's eyes.
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Textual signals whenever the screen's bindings are refreshed (a focus change, a key,
        # a field turning read-only while a message is sent), even when the keys shown stay
        # the same: only a change of keys is drawn again.
        if screen is not self.screen:
            return
        keys = tuple(_Key(binding.key, self.app.get_key_display(binding), binding.description,
                          enabled)
                     for _node, binding, enabled, _tooltip in screen.active_bindings.values()
                     if binding.show)
        if keys != self._keys:
            rows = len(self._rows(self.size.width))
            self._keys = keys
            self.refresh(layout=len(self._rows(self.size.width)) != rows)

    def _rows(self, width: int) -> list[list[_Key]]:
        """The keys row by row: a key that would not fit starts a new row, never split."""
        rows: list[list[_Key]] = [[]]
        x = 0
        for key in self._keys:
            if x and x + key.width > width:
                rows.append([])
                x = 0
            rows[-1].append(key)
            x += key.width + 1
        return rows

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows(width))

    def render_line(self, y: int) -> Strip:
        rows = self._rows(self.size.width)
        base = self.rich_style
        segments: list[Segment] = []
        if y < len(rows):
            key_style = base + self.get_component_rich_style("key-footer--key")
            description_style = base + self.get_component_rich_style("key-footer--description")
            dim = self.get_component_rich_style("key-footer--disabled")
            for key in rows[y]:
                shown, described = key_style, description_style
                if not key.enabled:
                    shown, described = shown + dim, described + dim
                segments.append(Segment(key.shown, shown))
                if key.description:
                    segments.append(Segment(" " + key.description, described))
                segments.append(Segment(" ", base))
        return Strip(segments).crop_extend(0, self.size.width, base)

    def _key_at(self, x: int, y: int) -> _Key | None:
        rows = self._rows(self.size.width)
        if not 0 <= y < len(rows):
            return None
        left = 0
        for key in rows[y]:
            if left <= x < left + key.width:
                return key
            left += key.width + 1
        return None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        # A click on a key presses it, as on Textual's footer.
        offset = event.get_content_offset(self)
        key = None if offset is None else self._key_at(offset.x, offset.y)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
