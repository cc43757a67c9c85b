"""Access & security: the account's own password, recovery code and SSH keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Label, Static

from store.accounts.roles import Role
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class SecurityScreen(WardroomScreen):
    SCREEN_NAME = "security"
    BINDINGS = [Binding("escape", "back", "key.back")]

    def compose(self) -> ComposeResult:
        account = self.wardroom.context.account
        assert account is not None
        yield TopBar(self.t("security.title"), account.username)
        with VerticalScroll(id="form"):
            yield Static(self.t("security.intro"), classes="paragraph", markup=False)
            yield Button(Text(self.t("security.password")), id="password")
            if account.role is Role.CLIENT:
                yield Button(Text(self.t("security.show_code")), id="show-code")
                yield Button(Text(self.t("security.recover")), id="recover")
            yield Button(Text(self.t("security.keys")), id="keys")
            # Showing the recovery code asks for the password again, here.
            yield Label(self.t("security.confirm_label"), id="confirm-label")
            yield Field(password=True, id="confirm")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-label").display = False
        self.query_one("#confirm").display = False
        self.query_one("#password", Button).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        from tui.screens.password_change import PasswordChangeScreen
        from tui.screens.public_keys import PublicKeysScreen
        from tui.screens.recovery import RecoveryScreen

        if event.button.id == "password":
            self.app.push_screen(PasswordChangeScreen(forced=False))
        elif event.button.id == "show-code":
            self.query_one("#confirm-label").display = True
            confirm = self.query_one("#confirm", Input)
            confirm.display = True
            confirm.focus()
        elif event.button.id == "recover":
            self.app.push_screen(RecoveryScreen(gate=False))
        elif event.button.id == "keys":
            self.app.push_screen(PublicKeysScreen())

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        from tui.screens.recovery_code import RecoveryCodeScreen

        context = self.wardroom.context
        assert context.account is not None and context.keys is not None
        password, event.input.value = event.value, ""
        services = self.wardroom.services
        if await services.accounts.check_password(context.account.username, password) is None:
            self.query_one("#status", Static).update(self.t("security.wrong_password"))
            return
        self.query_one("#status", Static).update("")
        self.query_one("#confirm-label").display = False
        event.input.display = False
        code = await services.account_keys.recovery_code(context.keys)
        if code is not None:
            self.app.push_screen(RecoveryCodeScreen(code, gate=False))

    def action_back(self) -> None:
        self.dismiss()
