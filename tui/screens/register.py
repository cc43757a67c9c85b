"""Self-registration (`ssh register@HOST`): username, password twice, notice, optional request.

Nothing else is asked: no real name, e-mail or address.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Static

from store.accounts.accounts import AccountExists
from store.accounts.passwords import MIN_PASSWORD_LENGTH, WeakPassword, check_password_rules
from store.accounts.usernames import RESERVED, InvalidUsername, is_valid_username, suggest_username
from store.errors import Invalid
from store.policy.versions import PolicyVersion
from store.rooms.requests import MAX_REQUEST_LENGTH, check_request
from tui.screens.base import WardroomScreen
from tui.screens.register_notice import RegisterNoticeScreen
from tui.screens.request_form import refusal
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class RegisterScreen(WardroomScreen):
    SCREEN_NAME = "register"

    def __init__(self) -> None:
        super().__init__()
        self._version: PolicyVersion | None = None

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("register.title"))
        with VerticalScroll(id="form"):
            yield Static(self.t("register.intro"), classes="paragraph", markup=False)
            yield Label(self.t("register.username"))
            yield Field(id="username", max_length=32, advances=True)
            yield Label(self.t("register.password", min=MIN_PASSWORD_LENGTH))
            yield Field(id="password", password=True, advances=True)
            yield Label(self.t("register.repeat"))
            yield Field(id="repeat", password=True, advances=True)
            yield Label(self.t("register.request"))
            yield Field(id="request", max_length=MAX_REQUEST_LENGTH)
        # Outside the scrolling form, so the reason is seen whichever field has the cursor.
        yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def _say(self, key: str, *fix: str, **values: object) -> None:
        """Show why, and put the cursor into the emptied field(s) that need fixing."""
        self.query_one("#status", Static).update(self.t(key, **values))
        for name in fix:
            self.query_one(f"#{name}", Input).clear()
        if fix:
            self.query_one(f"#{fix[0]}", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        # Only the request field submits; Enter in the others moves on (Field.advances).
        if await self._form_is_fine():
            self._version = await self.wardroom.services.policy.current()
            self.app.push_screen(RegisterNoticeScreen(self._version), self._notice_answered)

    async def _form_is_fine(self) -> bool:
        """Everything that can be checked before the notice, so accepting rarely fails; but
        not whether the name is taken: that answer comes only for the whole form, after the
        notice, and costs one of the address's registrations (so names of staff and
        counsellors cannot be probed more often than accounts can be made)."""
        name = self._value("username")
        if not is_valid_username(name):
            # A reserved name is a fine name that someone (the system) already has.
            suggestion = suggest_username(name)
            if name in RESERVED or suggestion is None:
                self._say("register.not_available" if name in RESERVED
                          else "register.invalid_username", "username")
            else:
                # In the field, selected: Enter takes it, typing replaces it.
                self._say("register.suggestion", "username", suggestion=suggestion)
                field = self.query_one("#username", Input)
                field.insert_text_at_cursor(suggestion)
                field.select_all()
            return False
        if self._value("password") != self._value("repeat"):
            self._say("register.mismatch", "password", "repeat")
            return False
        try:
            check_password_rules(self._value("password"))
        except WeakPassword:
            self._say("register.too_short", "password", "repeat", min=MIN_PASSWORD_LENGTH)
            return False
        if self._value("request").strip():
            try:
                check_request(self._value("request"))
            except Invalid as refused:
                self.query_one("#status", Static).update(refusal(self.t, refused))
                return False
        return True

    async def _notice_answered(self, accepted: bool | None) -> None:
        if not accepted or self._version is None:
            return
        context = self.wardroom.context
        if context.claim_registration is None or not context.claim_registration():
            self._say("register.too_many")
            return
        services = self.wardroom.services
        try:
            login = await services.registration.register(
                self._value("username"), self._value("password"), context.language,
                self._version)
        except (AccountExists, InvalidUsername):
            self._say("register.not_available", "username")
            return
        except WeakPassword:
            self._say("register.too_short", "password", "repeat", min=MIN_PASSWORD_LENGTH)
            return
        account, context.keys = login.account, login.keys
        if self._value("request").strip():
            await services.requests.file(account, self._value("request"))
        context.account = account
        if context.registered is not None:
            context.registered()
        self.wardroom.follow_account()
        self.notify(self.t("register.created", name=account.username))
        # Said on the overview, where it stays: how to come back, with the real address. The
        # recovery code comes first, shown once.
        context.arrival_note = self.t("register.next_time",
                                      command=context.ssh_command(account.username))
        self.app.switch_screen(await self.wardroom.first_screen())
