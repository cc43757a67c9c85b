"""Choose a new password: forced after a one-time password, or from "Access & security".

Either way the account's key pair is resealed under the new password, so no history is lost,
and nothing stays sealed under the old one (a one-time password is known to staff).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from store.accounts.passwords import MIN_PASSWORD_LENGTH, WeakPassword
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
            else:
                yield Label(self.t("password_change.current"))
                yield Field(password=True, id="current", advances=True)
            yield Label(self.t("password.new", min=MIN_PASSWORD_LENGTH))
            yield Field(password=True, id="new", advances=True)
            yield Label(self.t("password.repeat"))
            yield Field(password=True, id="repeat")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#new" if self.forced else "#current", Input).focus()

    def _refuse(self, key: str, *fields: str, **values: object) -> None:
        """Say why, empty the fields to type again, and put the cursor into the first."""
        self.query_one("#status", Static).update(self.t(key, **values))
        for name in fields:
            self.query_one(f"#{name}", Input).clear()
        self.query_one(f"#{fields[0]}", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        # Only the repeat field submits; Enter in the others moves on (Field.advances).
        new = self.query_one("#new", Input).value
        repeat = self.query_one("#repeat", Input).value
        if new != repeat:
            self._refuse("password.mismatch", "new", "repeat")
            return
        context = self.wardroom.context
        services = self.wardroom.services
        assert context.account is not None and context.keys is not None
        if not self.forced:
            current = self.query_one("#current", Input).value
            if await services.accounts.check_password(context.account.username,
                                                      current) is None:
                self._refuse("password_change.wrong_current", "current")
                return
        try:
            context.account = await services.accounts.change_password(context.keys, new)
        except WeakPassword:
            self._refuse("password.too_short", "new", "repeat", min=MIN_PASSWORD_LENGTH)
            return
        self.notify(self.t("password.changed"))
        if self.forced:
            self.app.switch_screen(await self.wardroom.first_screen())
        else:
            self.dismiss()
