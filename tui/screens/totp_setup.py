"""Enrolment of the second factor: secret as QR code and text, confirmed by a first code."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from store.errors import Invalid
from store.second_factor import new_secret, provisioning_uri
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.qr_code import qr_text
from tui.widgets.top_bar import TopBar


def _grouped(secret: str) -> str:
    """Groups of four, as authenticator apps show a secret typed in by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


class TotpSetupScreen(WardroomScreen):
    """`forced`: right after login for a counsellor or staff account that has no factor yet."""

    SCREEN_NAME = "totp_setup"
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("enter", "finish", "totp.finish_key"),
    ]

    def __init__(self, forced: bool = False) -> None:
        super().__init__()
        self.forced = forced
        self.secret = new_secret()
        self.recovery_codes: list[str] = []

    def compose(self) -> ComposeResult:
        account = self.wardroom.context.account
        assert account is not None
        yield TopBar(self.t("totp.title"))
        with VerticalScroll(id="totp-body"):
            with Horizontal(id="totp-enrol"):
                yield Static(qr_text(provisioning_uri(account.username, self.secret)),
                             id="totp-qr")
                with Vertical(id="totp-side"):
                    yield Static(self.t("totp.forced" if self.forced else "totp.intro"),
                                 classes="paragraph", markup=False)
                    yield Static(self.t("totp.secret_label"), markup=False)
                    yield Static(_grouped(self.secret), id="totp-secret", markup=False)
                    yield Label(self.t("totp.code_label"))
                    yield Field(id="totp-code", max_length=12)
                    yield Static("", id="status", markup=False)
            with Vertical(id="totp-done"):
                yield Static(self.t("totp.done"), classes="paragraph", markup=False)
                yield Static("", id="totp-recovery", markup=False)
                yield Static(self.t("totp.continue"), classes="paragraph", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#totp-done").display = False
        self.query_one("#totp-code", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        account = self.wardroom.context.account
        assert account is not None
        try:
            self.recovery_codes = await self.wardroom.services.second_factors.enrol(
                account, self.secret, event.value)
        except Invalid:
            event.input.value = ""
            self.query_one("#status", Static).update(self.t("totp.wrong_code"))
            return
        self.query_one("#totp-recovery", Static).update("\n".join(self.recovery_codes))
        self.query_one("#totp-enrol").display = False
        self.query_one("#totp-done").display = True
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Before enrolment only a voluntary visit may be left; after it, only "continue".
        if action == "finish":
            return bool(self.recovery_codes)
        if action == "back":
            return not self.forced and not self.recovery_codes
        return True

    async def action_finish(self) -> None:
        await self._leave()

    async def action_back(self) -> None:
        await self._leave()

    async def _leave(self) -> None:
        if self.forced:
            self.wardroom.context.must_enrol_second_factor = False
            self.app.switch_screen(await self.wardroom.first_screen())
        else:
            self.dismiss()
