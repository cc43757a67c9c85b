"""The room's history on Textual's line API: each message is wrapped once into cached strips.

Appending never re-lays out the screen: the virtual size is set without a layout pass and only
the rows that changed are refreshed (Log/RichLog re-layout the whole screen per append). Each
row is styled once and kept, whichever screen row shows it; when the history scrolls, the
room's compositor may have the terminal move the rows it shows (tui/compositor.py), so that
only the rows scrolled into view and the scrollbar are drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from rich.segment import Segment
from rich.text import Text
from textual import messages
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from store.rooms.rooms import Message as RoomMessage
from store.text import sanitize
from tui.compositor import ScrolledByTerminal, paints_scrolls
from tui.textual_compat import forget_rendered_lines, refresh_scrollbars

HeaderFormatter = Callable[[RoomMessage], str]
# Before every line of one's own messages: they look different from the other person's without
# colour too (NO_COLOR, monochrome terminals); in the Linux console's font as well.
OWN_MARK = "│ "
Cells = tuple[tuple[Segment, ...], ...]  # a scrollbar's segments, row by row


class HistoryScrollBar(ScrollBar):
    """The history's scrollbar, styling each distinct row once.

    Textual renders the whole bar again, as a Rich renderable and then row by row through the
    styles, whenever its thumb moves, which is with nearly every message. A bar has only a few
    distinct rows (track above and below the thumb, the thumb, its partial ends), each styled
    the same wherever it is, so a row already styled once is taken as it was.
    """

    def __init__(self, thickness: int) -> None:
        super().__init__(vertical=True, name="vertical", thickness=thickness)
        self._styled: dict[tuple[Segment, ...], Strip] = {}
        self._styled_filters: tuple[LineFilter, ...] = ()

    def cells(self) -> Cells:
        """Each row's segments as Textual renders the bar now, before styling."""
        width, height = self.size
        console = self.app.console
        rendered = console.render(self.render(), console.options.update_dimensions(width, height))
        return tuple(tuple(line) for line in Segment.split_lines(rendered))

    def render_lines(self, crop: Region) -> list[Strip]:
        filters = tuple(self.get_line_filters())
        if filters != self._styled_filters:
            self._styled.clear()
            self._styled_filters = filters
        rows = self.cells()
        width = self.region.width
        strips = []
        for y in crop.line_range:
            styled = self._styled.get(rows[y])
            if styled is None:
                (styled,) = super().render_lines(Region(0, y, width, 1))
                self._styled[rows[y]] = styled
            strips.append(styled)
        if crop.column_span != (0, width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styled.clear()


class MessageLog(ScrollView, ScrolledByTerminal, can_focus=False):
    # Lines are wrapped to the width, so there is nothing to scroll sideways; the gutter is
    # kept even without a scrollbar, so its appearing never changes the width (no re-wrap).
    DEFAULT_CSS = """
    MessageLog { overflow-x: hidden; scrollbar-gutter: stable; }
    """
    COMPONENT_CLASSES = {"message-log--client", "message-log--counsellor", "message-log--own"}

    class NeedOlder(Message):
        """The reader scrolled to the top and older messages exist: load the page before."""

        def __init__(self, before_id: int) -> None:
            super().__init__()
            self.before_id = before_id

    def __init__(self, header: HeaderFormatter, me: str, *, id: str | None = None) -> None:
        """`me`: the reader's username; their own messages are marked with OWN_MARK."""
        super().__init__(id=id)
        self._header = header
        self._me = me
        self._messages: list[RoomMessage] = []
        self._rendered: dict[int, list[Strip]] = {}  # message id -> its strips at _width
        self._lines: list[Strip] = []
        self._painted: dict[int, Strip] = {}  # line index -> its row, styled as shown
        self._painted_filters: tuple[LineFilter, ...] = ()
        self._width = 0
        self.has_older = True
        self._waiting_for_older = False
        self._following = True  # at the bottom: new messages scroll into view
        self._thumb: Cells = ()  # the scrollbar as last painted

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
        # The view was full to its last row: what scrolls into view is only the new lines.
        filled = first_new - round(self.scroll_y) >= self.scrollable_content_region.height
        strips = self._strips(message)
        self._lines.extend(strips)
        self._set_virtual_height(place_thumb=False)
        if self._following and self.max_scroll_y > self.scroll_y:
            # Everything moves up (the scroll places the thumb), and only the widget's own rows
            # are repainted, never the screen.
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            if not filled:
                self.refresh_lines(first_new, len(strips))
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
        own = message.sender_username == self._me
        mark = Text(OWN_MARK if own else "",
                    style=self.get_component_rich_style("message-log--own", partial=True))
        width = self._width - mark.cell_len
        style = self.get_component_rich_style(f"message-log--{message.sender_role}",
                                              partial=True)
        # Sanitised again here: the store did it before saving, and display never trusts that.
        header = Text(sanitize(self._header(message)).replace("\n", " "), style=style,
                      overflow="fold", no_wrap=False)
        body = Text(sanitize(message.body), overflow="fold")
        console = self.app.console
        strips = [
            Strip(list((mark + line).render(console)), mark.cell_len + line.cell_len)
            for part in (header, body)
            for line in part.wrap(console, max(width, 1), overflow="fold")
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
        refresh_scrollbars(self)  # shown once there is more than a screenful
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
        thumb = bar.cells()
        if thumb != self._thumb:
            self._thumb = thumb
            bar.refresh()

    # -- Textual hooks ----------------------------------------------------------------------
    @property
    def vertical_scrollbar(self) -> HistoryScrollBar:
        # Created as Textual creates its own, with the cheaper bar.
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = HistoryScrollBar(self.scrollbar_size_vertical)
            self._vertical_scrollbar.display = False
            self.app._start_widget(self, self._vertical_scrollbar)
        return self._vertical_scrollbar

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
        strip = self._lines[index] if 0 <= index < len(self._lines) else Strip.blank(0)
        return strip.crop_extend(0, self._width, None).apply_style(self.rich_style)

    def render_lines(self, crop: Region) -> list[Strip]:
        # A row is the same strips whichever screen row shows it (it never changes until a
        # re-wrap or restyle clears this), so a scroll repaints from here instead of styling
        # every row again; and the same strip objects keep what the compositor cached on them
        # (their pieces at the scrollbar's cut, their escape codes).
        filters = tuple(self.get_line_filters())
        if filters != self._painted_filters:
            self._painted.clear()
            self._painted_filters = filters
        width, height = self.region.size  # as the styles cache renders it: scrollbar included
        gutter = self.styles.gutter
        top = round(self.scroll_y) - gutter.top
        cached = {y: self._painted.get(top + y) for y in crop.line_range}
        missing = [y for y, strip in cached.items() if strip is None]
        fresh: dict[int, Strip] = {}
        if missing:
            # Styled in one call from the first row missing to the last: the styles cost far
            # more per call than per row, and the rows missing are those scrolled into view.
            first, last = missing[0], missing[-1] + 1
            fresh = dict(zip(range(first, last),
                             super().render_lines(Region(0, first, width, last - first)),
                             strict=True))
            for y in missing:
                # Rows of a border or vertical padding are not lines of the history.
                if gutter.top <= y < height - gutter.bottom and top + y < len(self._lines):
                    self._painted[top + y] = fresh[y]
        strips = [strip if (strip := cached[y]) is not None else fresh[y]
                  for y in crop.line_range]
        if crop.column_span != (0, width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        # A refresh of the whole widget is how Textual says its looks may have changed (theme,
        # a parent's background): rows styled before may be stale.
        if repaint and not regions:
            self._painted.clear()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._painted.clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's own watcher, except that the scrollbar is repainted only if it changes,
        # and that on the screen in front the terminal may move the rows it already shows.
        moved = round(new_value) - round(old_value)
        if moved and paints_scrolls(self.screen):
            self.terminal_shift += moved
            forget_rendered_lines(self)  # its rows are by position on screen: all moved
            self.screen.post_message(messages.Update(self))
        elif moved:
            self.refresh(self.size.region)
        self._place_thumb()
        self._following = round(new_value) >= self.max_scroll_y
        if new_value <= 0 and self.has_older and self._messages and not self._waiting_for_older:
            self._waiting_for_older = True
            self.post_message(self.NeedOlder(self._messages[0].id))

