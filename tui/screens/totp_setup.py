"""Enrolment of the second factor: secret as QR code and text, confirmed by a first code."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from store.accounts.second_factor import AlreadyEnrolled, new_secret, provisioning_uri
from store.errors import Invalid, NotPermitted
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.qr_code import qr_text
from tui.widgets.top_bar import TopBar

# Wrong password or current code when replacing a factor: then the session ends, as at the lock.
MAX_WRONG_PROOFS = 3


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
        self.replacing = False
        self._wrong_proofs = 0

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
                    with Vertical(id="totp-reauth"):  # shown when a factor is being replaced
                        yield Static(self.t("totp.reauth"), classes="paragraph", markup=False)
                        yield Label(self.t("totp.password_label"))
                        yield Field(id="totp-password", password=True, advances=True)
                        yield Label(self.t("totp.current_label"))
                        yield Field(id="totp-current", max_length=24, advances=True)
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

    async def on_mount(self) -> None:
        self.query_one("#totp-done").display = False
        account = self.wardroom.context.account
        assert account is not None
        # Replacing a factor from the profile asks for the password and a current code.
        factors = self.wardroom.services.second_factors
        self.replacing = not self.forced and await factors.is_enrolled(account.id)
        self.query_one("#totp-reauth").display = self.replacing
        self.query_one("#totp-password" if self.replacing else "#totp-code", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        # Only the code field submits (the others advance); once enrolled, Enter continues.
        if self.recovery_codes or event.input.id != "totp-code":
            return
        account = self.wardroom.context.account
        assert account is not None
        factors = self.wardroom.services.second_factors
        try:
            if self.replacing:
                keys = self.wardroom.context.keys
                assert keys is not None
                self.recovery_codes = await factors.re_enrol(
                    account, keys, self._take("#totp-password"), self._take("#totp-current"),
                    self.secret, event.value)
            else:
                self.recovery_codes = await factors.enrol(account, self.secret, event.value)
        except NotPermitted:
            self._wrong_proof()
            return
        except AlreadyEnrolled:
            # Set up meanwhile in another session: that one's codes stand.
            self.query_one("#status", Static).update(self.t("totp.already"))
            return
        except Invalid:
            event.input.value = ""
            self.query_one("#status", Static).update(self.t("totp.wrong_code"))
            return
        self.query_one("#totp-recovery", Static).update("\n".join(self.recovery_codes))
        self.query_one("#totp-enrol").display = False
        self.query_one("#totp-done").display = True
        self.refresh_bindings()

    def _take(self, selector: str) -> str:
        field = self.query_one(selector, Input)
        value, field.value = field.value, ""
        return value

    def _wrong_proof(self) -> None:
        self._wrong_proofs += 1
        if self._wrong_proofs >= MAX_WRONG_PROOFS:
            self.wardroom.end_session("session.ended")
            return
        self.query_one("#totp-code", Input).value = ""
        self.query_one("#status", Static).update(self.t("totp.reauth_wrong"))
        self.query_one("#totp-password", Input).focus()

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
