"""The message box: Enter sends, ctrl+j (or alt+enter) starts a new line, pastes are checked."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from store.text import sanitize
from tui.textual_compat import text_area_theme


class MessageBox(TextArea):
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

    def __init__(self, max_length: int, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus", show_line_numbers=False,
                         compact=True)
        self.max_length = max_length
        # A blinking cursor redraws twice a second in every idle session.
        self.cursor_blink = False
        self._styled_theme: TextAreaTheme | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # TextArea fills its theme in from the CSS before every render, which costs more than
        # drawing the box's few lines, and the box renders with each key and each message
        # sent. So it is filled in once per theme object (TextArea makes a new one when the
        # box turns read-only or gets another theme) and again after a style update (a class,
        # the app's theme), which also clears TextArea's own cache of rendered lines.
        theme = text_area_theme(self)
        if theme is not None and theme is self._styled_theme:
            return super(TextArea, self).render_lines(crop)
        self._styled_theme = theme
        return super().render_lines(crop)

    def notify_style_update(self) -> None:
        self._styled_theme = None
        super().notify_style_update()

    async def on_key(self, event: events.Key) -> None:
        # Handled here, not when the key has bubbled to the bindings: by then the next keys
        # typed may already be in the box and would end up in this message or above the break.
        actions = {"enter": self.action_send, "ctrl+j": self.action_newline,
                   "alt+enter": self.action_newline}
        if event.key in actions:
            event.stop()
            event.prevent_default()
            actions[event.key]()

    def action_send(self) -> None:
        if not self.read_only:
            self.post_message(self.Send(self.text))

    async def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        start, end = self.selection
        kept = len(self.text) - len(self.get_text_range(start, end))
        if kept + len(event.text) > self.max_length:
            self.post_message(self.PasteRefused(len(event.text)))
            return
        # Controls never enter the draft, so the writer's own terminal stays safe too.
        result = self.replace(sanitize(event.text), start, end)
        self.move_cursor(result.end_location)

    def action_newline(self) -> None:
        if not self.read_only:
            start, end = self.selection
            result = self.replace("\n", start, end)
            self.move_cursor(result.end_location)
