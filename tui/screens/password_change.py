"""Choose a new password: forced after a one-time password, or from the profile."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from store.passwords import MIN_PASSWORD_LENGTH, WeakPassword
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class PasswordChangeScreen(WardroomScreen):
    SCREEN_NAME = "password_change"

    def __init__(self, forced: bool = False) -> None:
        super().__init__()
        self.forced = forced

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("password.title"))
        with Vertical(id="form"):
            if self.forced:
                yield Static(self.t("password.forced"), classes="paragraph", markup=False)
            yield Label(self.t("password.new", min=MIN_PASSWORD_LENGTH))
            yield Field(password=True, id="new", advances=True)
            yield Label(self.t("password.repeat"))
            yield Field(password=True, id="repeat")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#new", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        # Only the repeat field submits; Enter in the first moves on (Field.advances).
        new = self.query_one("#new", Input).value
        repeat = self.query_one("#repeat", Input).value
        if new != repeat:
            self._retry("password.mismatch")
            return
        account = self.wardroom.context.account
        assert account is not None
        try:
            await self.wardroom.services.accounts.set_password(account.id, new)
        except WeakPassword:
            self._retry("password.too_short", min=MIN_PASSWORD_LENGTH)
            return
        refreshed = await self.wardroom.services.accounts.get(account.id)
        self.wardroom.context.account = refreshed
        self.notify(self.t("password.changed"))
        if self.forced:
            self.app.switch_screen(self.wardroom.home_screen())
        else:
            self.dismiss()

    def _retry(self, key: str, **values: object) -> None:
        """Say why, and start again with both fields empty: the typed passwords are hidden,
        so nobody can tell which one to fix."""
        self.query_one("#status", Static).update(self.t(key, **values))
        for field in ("#repeat", "#new"):
            self.query_one(field, Input).clear()
        self.query_one("#new", Input).focus()
