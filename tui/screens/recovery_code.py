"""The recovery code, shown once after registration (or the first login of an account staff
made), and again from "Access & security" after the password."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class RecoveryCodeScreen(WardroomScreen):
    SCREEN_NAME = "recovery_code"
    BINDINGS = [Binding("escape", "done", "key.back", show=False)]

    def __init__(self, code: str, *, gate: bool) -> None:
        super().__init__()
        self._code = code
        self._gate = gate

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("recovery_code.title"))
        with VerticalScroll(id="form"):
            yield Static(self.t("recovery_code.intro"), classes="paragraph", markup=False)
            yield Static(Text(self._code, style="bold"), id="recovery-code")
            yield Static(self.t("recovery_code.why"), classes="paragraph", markup=False)
            yield Button(Text(self.t("recovery_code.noted")), id="noted", variant="primary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#noted", Button).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        await self.action_done()

    async def action_done(self) -> None:
        self._code = ""
        if not self._gate:
            self.dismiss()
            return
        keys = self.wardroom.context.keys
        assert keys is not None
        await self.wardroom.services.account_keys.recovery_code_shown(keys)
        self.app.switch_screen(await self.wardroom.first_screen())
