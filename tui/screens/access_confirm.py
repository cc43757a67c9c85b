"""Asks one participant whether the other, whose access staff reset, may read the room again."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from store.sealing.room_keys import PendingAccess
from store.text import sanitize_line
from tui.i18n import translate_bindings


class AccessConfirmScreen(ModalScreen[bool]):
    """Dismissed with True only for an explicit yes; nothing is resealed otherwise."""

    SCREEN_NAME = "access_confirm"
    BINDINGS = [Binding("escape", "deny", "access.deny")]

    def __init__(self, pending: PendingAccess) -> None:
        super().__init__()
        self._pending = pending
        translate_bindings(self, self.app.t)  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        t = self.app.t  # type: ignore[attr-defined]
        name = sanitize_line(self._pending.username)
        assert self._pending.reset_on is not None
        when = self._pending.reset_on.strftime(t("room.date_format"))
        with Vertical(id="access-dialog"):
            yield Static(t("access.title"), classes="profile-heading", markup=False)
            yield Static(t("access.question", name=name, date=when), classes="paragraph",
                         markup=False)
            yield Static(t("access.hint", name=name), classes="paragraph", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(Text(t("access.deny")), id="deny")
                yield Button(Text(t("access.allow")), id="allow", variant="warning")

    def on_mount(self) -> None:
        # The safe answer has the focus: Enter pressed out of habit changes nothing.
        self.query_one("#deny", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "allow")

    def action_deny(self) -> None:
        self.dismiss(False)
