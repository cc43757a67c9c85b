"""The message box: Enter sends, ctrl+j (or alt+enter) starts a new line, pastes are checked.

Drawn with Textual's line API: a draft is a few lines of plain text, and Textual's TextArea
(a document model, undo, selections, syntax highlighting) cost more per key and per message
sent than the rest of the room together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

from store.text import sanitize

# Columns at the right of the box: one blank (as padding), before which a scrollbar of two
# takes its place beside the text when the draft is taller than the box, as with TextArea.
GUTTER = 1
SCROLLBAR = 2

Row = tuple[int, int]
"""One row of the box on screen: the draft's text from the first offset to the second."""


def _cells(character: str) -> int:
    # A tab shows as one space: drawn as itself it would move the terminal's cursor.
    return 1 if character == "\t" else get_character_cell_size(character)


def wrap(text: str, width: int) -> list[Row]:
    """The rows `text` takes in `width` cells: each line of it broken after the last space
    that fits, or inside a word longer than a row. Always at least one row."""
    rows: list[Row] = []
    start = 0
    for line in text.split("\n"):
        end_of_line = start + len(line)
        row_start, used, last_space = start, 0, -1
        for offset in range(start, end_of_line):
            size = _cells(text[offset])
            if used + size > width and offset > row_start:
                cut = last_space + 1 if last_space >= row_start else offset
                rows.append((row_start, cut))
                used = sum(_cells(c) for c in text[cut:offset])
                row_start, last_space = cut, -1
            used += size
            if text[offset] == " ":
                last_space = offset
        rows.append((row_start, end_of_line))
        start = end_of_line + 1
    return rows


class MessageBox(Widget, can_focus=True):
    DEFAULT_CSS = """
    MessageBox {
        height: auto;
        background: $surface;
        color: $foreground;
        padding-left: 1;  /* and on the right the gutter, drawn with the rows */
        pointer: text;
        & > .message-box--cursor {
            background: $input-cursor-background;
            color: $input-cursor-foreground;
            text-style: $input-cursor-text-style;
        }
        & > .message-box--cursor-line {
            background: $boost;
        }
        & > .message-box--placeholder {
            color: $text 40%;
        }
        &:ansi > .message-box--cursor {
            text-style: reverse;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-box--cursor", "message-box--cursor-line", "message-box--placeholder"}
    BINDINGS = [
        Binding("enter", "send", "room.key_send"),
        Binding("ctrl+j", "newline", "room.key_newline"),
        Binding("alt+enter", "newline", "room.key_newline", show=False),
    ]

    class Send(Message):
        """The writer pressed Enter: the screen sends `text` and clears the box once stored."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class PasteRefused(Message):
        """A paste would make the draft longer than allowed; nothing was inserted."""

        def __init__(self, pasted: int) -> None:
            super().__init__()
            self.pasted = pasted

    class LengthChanged(Message):
        """The draft's length changed while at or above `counted_from`, or fell below it."""

        def __init__(self, length: int) -> None:
            super().__init__()
            self.length = length

    def __init__(self, max_length: int, *, counted_from: int,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_length = max_length
        self.counted_from = counted_from
        self.read_only = False
        self._placeholder = ""
        self._text = ""
        self._cursor = 0  # an offset into the text, 0 to len(text)
        self._goal_column: int | None = None  # where up and down aim, kept across rows
        self._top = 0  # the first row shown, once the draft is taller than the box
        self._rows_by_width: dict[int, list[Row]] = {}  # the draft's rows, until it changes
        # Handled as they arrive, not when the key has bubbled to the bindings: by then the
        # next keys typed may already be in the box and would end up in the wrong place.
        self._keys: dict[str, Callable[[], None]] = {
            "enter": self.action_send, "ctrl+j": self.action_newline,
            "alt+enter": self.action_newline,
            "left": lambda: self._move(self._cursor - 1),
            "right": lambda: self._move(self._cursor + 1),
            "up": lambda: self._move_rows(-1), "down": lambda: self._move_rows(1),
            "ctrl+left": lambda: self._move(self._word_start()),
            "ctrl+right": lambda: self._move(self._word_end()),
            "home": lambda: self._move(self._line_start()),
            "ctrl+a": lambda: self._move(self._line_start()),
            "end": lambda: self._move(self._line_end()),
            "ctrl+e": lambda: self._move(self._line_end()),
            "ctrl+home": lambda: self._move(0),
            "ctrl+end": lambda: self._move(len(self._text)),
            "backspace": lambda: self._delete(self._cursor - 1, self._cursor),
            "delete": lambda: self._delete(self._cursor, self._cursor + 1),
            "ctrl+d": lambda: self._delete(self._cursor, self._cursor + 1),
            "ctrl+w": lambda: self._delete(self._word_start(), self._cursor),
            "ctrl+backspace": lambda: self._delete(self._word_start(), self._cursor),
            "alt+backspace": lambda: self._delete(self._word_start(), self._cursor),
            "alt+delete": lambda: self._delete(self._cursor, self._word_end()),
            "ctrl+u": lambda: self._delete(self._line_start(), self._cursor),
            "ctrl+k": self._delete_to_line_end,
        }

    # -- the draft, for the screen ------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    def load_text(self, text: str) -> None:
        """Replace the draft, with the cursor at its end."""
        self._edit(text, len(text))

    @property
    def placeholder(self) -> str:
        return self._placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        if text != self._placeholder:
            self._placeholder = text
            self.refresh()

    def _edit(self, text: str, cursor: int) -> None:
        before = len(self._text)
        rows = len(self._wrapped(self.size.width - GUTTER))
        self._text = text
        self._rows_by_width.clear()
        self._move(cursor)
        # Only a change in height lays the screen out again; a key inside a row repaints the
        # box alone.
        self.refresh(layout=len(self._wrapped(self.size.width - GUTTER)) != rows)
        if max(before, len(text)) >= self.counted_from:
            self.post_message(self.LengthChanged(len(text)))

    # -- keys ---------------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        act = self._keys.get(event.key)
        if act is None and not (event.is_printable and event.character):
            return  # not the box's: focus keys, the screen's and the app's bindings
        event.stop()
        event.prevent_default()
        if act is not None:
            act()
        elif not self.read_only:
            self._insert(sanitize(event.character or ""))

    def action_send(self) -> None:
        if not self.read_only:
            self.post_message(self.Send(self._text))

    def action_newline(self) -> None:
        self._insert("\n")

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        if len(self._text) + len(event.text) > self.max_length:
            self.post_message(self.PasteRefused(len(event.text)))
            return
        # Controls never enter the draft, so the writer's own terminal stays safe too.
        self._insert(sanitize(event.text))

    def _insert(self, text: str) -> None:
        if text and not self.read_only:
            at = self._cursor
            self._edit(self._text[:at] + text + self._text[at:], at + len(text))

    def _delete(self, start: int, end: int) -> None:
        start, end = max(0, start), min(len(self._text), end)
        if start < end and not self.read_only:
            self._edit(self._text[:start] + self._text[end:], start)

    def _delete_to_line_end(self) -> None:
        end = self._line_end()
        # At the end of a line already, ctrl+k joins the next line to it.
        self._delete(self._cursor, end if end > self._cursor else end + 1)

    # -- the cursor -----------------------------------------------------------------------------
    def _move(self, offset: int) -> None:
        offset = max(0, min(len(self._text), offset))
        self._goal_column = None
        if offset != self._cursor:
            self._cursor = offset
            self.refresh()

    def _move_rows(self, step: int) -> None:
        rows, _columns = self._layout()
        row = self._cursor_row(rows)
        start, _end = rows[row]
        if self._goal_column is None:
            self._goal_column = self._width_of(start, self._cursor)
        target = row + step
        if not 0 <= target < len(rows):
            return
        start, end = rows[target]
        offset, used = start, 0
        while offset < end and used + _cells(self._text[offset]) <= self._goal_column:
            used += _cells(self._text[offset])
            offset += 1
        goal = self._goal_column
        self._move(offset)
        self._goal_column = goal

    def _line_start(self) -> int:
        return self._text.rfind("\n", 0, self._cursor) + 1

    def _line_end(self) -> int:
        end = self._text.find("\n", self._cursor)
        return len(self._text) if end < 0 else end

    def _word_start(self) -> int:
        offset = self._cursor
        while offset > 0 and self._text[offset - 1].isspace():
            offset -= 1
        while offset > 0 and not self._text[offset - 1].isspace():
            offset -= 1
        return offset

    def _word_end(self) -> int:
        offset = self._cursor
        while offset < len(self._text) and self._text[offset].isspace():
            offset += 1
        while offset < len(self._text) and not self._text[offset].isspace():
            offset += 1
        return offset

    # -- drawing ------------------------------------------------------------------------------
    def _wrapped(self, columns: int) -> list[Row]:
        """The rows of the draft in `columns` cells, less one kept free at the end of each row
        for the cursor behind the last character."""
        rows = self._rows_by_width.get(columns)
        if rows is None:
            rows = self._rows_by_width[columns] = wrap(self._text, max(1, columns - 1))
        return rows

    def _layout(self) -> tuple[list[Row], int]:
        """The rows at the box's size and the columns left to the text."""
        width = self.size.width
        rows = self._wrapped(width - GUTTER)
        if len(rows) <= self.size.height:
            return rows, width - GUTTER
        return self._wrapped(width - GUTTER - SCROLLBAR), width - GUTTER - SCROLLBAR

    def _cursor_row(self, rows: list[Row]) -> int:
        for number in range(len(rows) - 1, 0, -1):
            if rows[number][0] <= self._cursor:
                return number
        return 0

    def _width_of(self, start: int, end: int) -> int:
        return sum(_cells(c) for c in self._text[start:end])

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._wrapped(width - GUTTER))

    def render_line(self, y: int) -> Strip:
        rows, columns = self._layout()
        cursor_row = self._cursor_row(rows)
        height = max(1, self.size.height)
        # The row with the cursor stays in sight; the box keeps its place otherwise.
        self._top = max(min(self._top, cursor_row), cursor_row - height + 1,
                        0) if len(rows) > height else 0
        base = self.rich_style
        if not self._text:
            line = self._placeholder_line(y, base, self.has_focus and not self.read_only)
        else:
            line = self._row(self._top + y, rows, cursor_row, base)
        line = line.crop_extend(0, columns, base)
        if columns == self.size.width - GUTTER:
            return line.extend_cell_length(self.size.width, base)
        bar = self._scrollbar(len(rows), height)[y]
        return Strip([*line, Segment(bar.text, base + bar.style), Segment(" " * GUTTER, base)])

    def _row(self, number: int, rows: list[Row], cursor_row: int, base: Style) -> Strip:
        if number >= len(rows):
            return Strip([])
        show_cursor = self.has_focus and not self.read_only
        line_style = base
        if show_cursor and self._same_line(rows[number], rows[cursor_row]):
            line_style = base + self.get_component_rich_style("message-box--cursor-line")
        start, end = rows[number]
        shown = self._text[start:end].replace("\t", " ")
        segments = [Segment(shown, line_style)]
        if show_cursor and number == cursor_row:
            at = self._cursor - start
            cursor = line_style + self.get_component_rich_style("message-box--cursor")
            segments = [Segment(shown[:at], line_style), Segment(shown[at:at + 1] or " ", cursor),
                        Segment(shown[at + 1:], line_style)]
        # The rest of the row in the line's style too (the cursor's line is highlighted).
        return Strip(segments).extend_cell_length(self.size.width, line_style)

    def _scrollbar(self, rows: int, height: int) -> list[Segment]:
        """One segment per row of the box, coloured as Textual colours its scrollbars."""
        background = self.styles.scrollbar_background
        if background.a < 1:
            background = self.background_colors[0] + background
        color = background + self.styles.scrollbar_color
        bar = ScrollBarRender.render_bar(
            size=height, virtual_size=rows, window_size=height, position=self._top,
            thickness=SCROLLBAR, back_color=background.rich_color, bar_color=color.rich_color)
        # Without the mouse actions Textual's own scrollbar would carry out.
        return [Segment(part.text, Style(color=part.style.color, bgcolor=part.style.bgcolor,
                                         reverse=part.style.reverse) if part.style else Style())
                for part in bar.segments]

    def _same_line(self, row: Row, other: Row) -> bool:
        """Whether two rows belong to one line of the draft (a long line wraps)."""
        first, second = sorted((row, other))
        return "\n" not in self._text[first[0]:second[0]]

    def _placeholder_line(self, y: int, base: Style, show_cursor: bool) -> Strip:
        text = self._placeholder if y == 0 else ""
        style = base + self.get_component_rich_style("message-box--placeholder")
        segments = [Segment(text, style)]
        if y == 0 and show_cursor:
            cursor = base + self.get_component_rich_style("message-box--cursor")
            segments = [Segment(text[:1] or " ", cursor), Segment(text[1:], style)]
        return Strip(segments).crop_extend(0, self.size.width, base)
