"""The room's history on Textual's line API: each message is wrapped once into cached strips.

Appending never re-lays out the screen: the virtual size is set without a layout pass and only
the rows that changed are refreshed (Log/RichLog re-layout the whole screen per append).
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from store.rooms import Message as RoomMessage
from store.text import sanitize

HeaderFormatter = Callable[[RoomMessage], str]


class MessageLog(ScrollView, can_focus=False):
    # Lines are wrapped to the width, so there is nothing to scroll sideways; the gutter is
    # kept even without a scrollbar, so its appearing never changes the width (no re-wrap).
    DEFAULT_CSS = """
    MessageLog { overflow-x: hidden; scrollbar-gutter: stable; }
    """
    COMPONENT_CLASSES = {"message-log--client", "message-log--counsellor"}

    class NeedOlder(Message):
        """The reader scrolled to the top and older messages exist: load the page before."""

        def __init__(self, before_id: int) -> None:
            super().__init__()
            self.before_id = before_id

    def __init__(self, header: HeaderFormatter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._header = header
        self._messages: list[RoomMessage] = []
        self._rendered: dict[int, list[Strip]] = {}  # message id -> its strips at _width
        self._lines: list[Strip] = []
        self._painted: dict[int, Strip] = {}  # line index -> the strip as shown
        self._width = 0
        self.has_older = True
        self._waiting_for_older = False
        self._following = True  # at the bottom: new messages scroll into view
        self._thumb: tuple[Segment, ...] = ()  # the scrollbar as last painted

    @property
    def last_id(self) -> int | None:
        return self._messages[-1].id if self._messages else None

    @property
    def message_count(self) -> int:
        return len(self._messages)

    # -- content --------------------------------------------------------------------------
    def append(self, message: RoomMessage) -> None:
        """Add a new message at the bottom, following it if the reader was at the bottom."""
        if self._messages and message.id <= self._messages[-1].id:
            return
        self._messages.append(message)
        if not self._width:
            return  # not laid out yet: on_resize wraps everything once the width is known
        first_new = len(self._lines)
        strips = self._strips(message)
        self._lines.extend(strips)
        self._set_virtual_height(place_thumb=False)
        if self._following and self.max_scroll_y > self.scroll_y:
            # Everything moves up: the widget's own region is repainted, never the screen;
            # the scroll places the thumb.
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        else:
            self._place_thumb()
            self.refresh_lines(first_new, len(strips))

    def prepend(self, older: list[RoomMessage], has_more: bool) -> None:
        """Add an older page at the top, keeping the lines the reader looks at in place."""
        self._waiting_for_older = False
        self.has_older = has_more
        known = self._messages[0].id if self._messages else None
        page = [m for m in older if known is None or m.id < known]
        self._messages[:0] = page
        if not self._width:
            return
        added = [strip for message in page for strip in self._strips(message)]
        self._lines[:0] = added
        self._painted.clear()  # every line index moved down
        self._set_virtual_height()
        self.scroll_to(y=self.scroll_y + len(added), animate=False, immediate=True)
        self.refresh()

    def _strips(self, message: RoomMessage) -> list[Strip]:
        cached = self._rendered.get(message.id)
        if cached is not None:
            return cached
        width = self._width
        style = self.get_component_rich_style(f"message-log--{message.sender_role}",
                                              partial=True)
        # Sanitised again here: the store did it before saving, and display never trusts that.
        header = Text(sanitize(self._header(message)).replace("\n", " "), style=style,
                      overflow="fold", no_wrap=False)
        body = Text(sanitize(message.body), overflow="fold")
        console = self.app.console
        strips = [
            Strip(list(line.render(console)), line.cell_len)
            for part in (header, body)
            for line in part.wrap(console, width, overflow="fold")
        ]
        strips.append(Strip.blank(0))
        self._rendered[message.id] = strips
        return strips

    def _rewrap(self) -> None:
        self._rendered.clear()
        self._painted.clear()
        self._lines = [strip for message in self._messages for strip in self._strips(message)]
        self._set_virtual_height()

    def _set_virtual_height(self, place_thumb: bool = True) -> None:
        # Assigning virtual_size would schedule a layout of the whole screen; the widget's
        # own size never changes, so only its scroll range is updated.
        size = Size(self._width, len(self._lines))
        self.set_reactive(ScrollView.virtual_size, size)
        self._refresh_scrollbars()  # shown once there is more than a screenful
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        if place_thumb:
            self._place_thumb()

    def _place_thumb(self) -> None:
        """Give the scrollbar the current sizes and position, but repaint it only when its
        thumb looks different: every message changes them, and a repainted scrollbar costs
        about as much as the rest of the room's update."""
        if not self.show_vertical_scrollbar:
            return
        bar = self.vertical_scrollbar
        window = self.container_size.height - self.scrollbar_size_horizontal
        bar.set_reactive(ScrollBar.window_virtual_size, self.virtual_size.height)
        bar.set_reactive(ScrollBar.window_size, window)
        bar.set_reactive(ScrollBar.position, bar.validate_position(self.scroll_y))
        # Drawn the way the scrollbar draws itself (its colours aside): the same thumb gives
        # the same segments.
        thumb = tuple(ScrollBarRender.render_bar(
            size=bar.size.height, virtual_size=ceil(bar.window_virtual_size),
            window_size=ceil(window) if window < bar.window_virtual_size else 0,
            position=bar.position).segments)
        if thumb != self._thumb:
            self._thumb = thumb
            bar.refresh()

    # -- Textual hooks ----------------------------------------------------------------------
    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self._rewrap()
        if self._following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        painted = self._painted.get(index)
        if painted is None:
            # A line once painted never changes (until a re-wrap or restyle clears this), so a
            # scroll repaints from here instead of cropping and styling every line again.
            strip = self._lines[index] if 0 <= index < len(self._lines) else Strip.blank(0)
            painted = strip.crop_extend(0, self._width, None).apply_style(self.rich_style)
            if index < len(self._lines):
                self._painted[index] = painted
        return painted

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._painted.clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's own watcher, except that the scrollbar is repainted only if it changes.
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)
        self._place_thumb()
        self._following = round(new_value) >= self.max_scroll_y
        if new_value <= 0 and self.has_older and self._messages and not self._waiting_for_older:
            self._waiting_for_older = True
            self.post_message(self.NeedOlder(self._messages[0].id))

