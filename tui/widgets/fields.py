"""Text inputs with wardroom's defaults."""

from __future__ import annotations

from typing import Any

from textual import events

from tui.textual_compat import ForwardHookInput


class Field(ForwardHookInput):
    """An Input whose cursor does not blink: a blinking cursor redraws twice a second per
    idle session, which adds up on a server with hundreds of them.

    `advances`: Enter moves the cursor on to the next field of the form instead of
    submitting; the form's last field leaves it off and submits."""

    def __init__(self, *args: Any, advances: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_blink = False
        self.advances = advances

    def forwarded(self, event: events.Event) -> bool:
        # The app hands every key of a burst (type-ahead, a slow link, a paste without
        # bracketing) to the focused widget before that widget handles any of them. Moving
        # the focus only when this field handles its Enter would send the keys after it into
        # this field, where a password typed ahead shows in clear. So the focus moves here,
        # as the app forwards the Enter, and every later key of the burst goes to the next
        # field.
        if self.advances and isinstance(event, events.Key) and event.key == "enter":
            self.screen.focus_next(Field)
            return False
        return True
