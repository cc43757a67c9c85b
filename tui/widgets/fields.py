"""Text inputs with wardroom's defaults."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input


class Field(Input):
    """An Input whose cursor does not blink: a blinking cursor redraws twice a second per
    idle session, which adds up on a server with hundreds of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_blink = False
