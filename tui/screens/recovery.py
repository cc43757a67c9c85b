"""Reopening rooms sealed to an earlier key pair with the recovery code (after a staff reset)."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from store.errors import Invalid
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class RecoveryScreen(WardroomScreen):
    """As a gate right after the reset's password change, or opened from "Access & security"."""

    SCREEN_NAME = "recovery"
    BINDINGS = [Binding("escape", "later", "recovery.later")]

    def __init__(self, *, gate: bool, reset_on: date | None = None) -> None:
        super().__init__()
        self._gate = gate
        self._reset_on = reset_on

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("recovery.title"))
        with VerticalScroll(id="form"):
            intro = (self.t("recovery.reset_intro",
                            date=self._reset_on.strftime(self.t("room.date_format")))
                     if self._reset_on else self.t("recovery.intro"))
            yield Static(intro, classes="paragraph", markup=False)
            yield Static(self.t("recovery.ways"), classes="paragraph", markup=False)
            yield Label(self.t("recovery.label"))
            yield Field(id="code", max_length=64)
            with Horizontal(classes="buttons"):
                yield Button(Text(self.t("recovery.open")), id="open", variant="primary")
                yield Button(Text(self.t("recovery.later")), id="later")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        await self._open(event.value)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "open":
            await self._open(self.query_one("#code", Input).value)
        else:
            await self.action_later()

    async def _open(self, code: str) -> None:
        keys = self.wardroom.context.keys
        assert keys is not None
        status = self.query_one("#status", Static)
        try:
            count = await self.wardroom.services.account_keys.recover(keys, code)
        except Invalid:
            self.query_one("#code", Input).clear()
            status.update(self.t("recovery.wrong"))
            return
        self.notify(self.t("recovery.done", count=count) if count
                    else self.t("recovery.done_none"))
        await self._leave()

    async def action_later(self) -> None:
        await self._leave()

    async def _leave(self) -> None:
        if self._gate:
            self.wardroom.context.recovery_offered = True
            self.app.switch_screen(await self.wardroom.first_screen())
        else:
            self.dismiss()
