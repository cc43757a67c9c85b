"""The idle lock: covers the session and shows nothing personal until the password is typed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar

MAX_WRONG_PASSWORDS = 3


def shows_over_lock(screen: Screen[object]) -> bool:
    """Help and the privacy notice show nothing personal: they may be opened over the lock."""
    from tui.screens.help import HelpScreen
    from tui.screens.notice import NoticeScreen

    return isinstance(screen, HelpScreen | NoticeScreen)


class LockScreen(WardroomScreen):
    """The app keeps it in front while locked (WardroomApp._keep_lock_on_top); should the
    screens beneath change, a new one may be pushed above, and the one it supersedes goes
    away when it comes to the front after the unlock."""

    SCREEN_NAME = "lock"

    def __init__(self) -> None:
        super().__init__()
        self.superseded = False  # a newer lock was pushed above the screens over this one

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("lock.title"))  # no name: whoever passes by learns nothing
        with Vertical(id="form"):
            yield Static(self.t("lock.locked"), classes="paragraph", markup=False)
            yield Label(self.t("lock.prompt"))
            yield Field(password=True, id="unlock")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#unlock", Input).focus()

    def on_screen_resume(self) -> None:
        if self.superseded and self.wardroom.locked_at is None:
            self.dismiss()  # left below a newer lock that has been unlocked

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        account = self.wardroom.context.account
        assert account is not None
        password, event.input.value = event.value, ""
        # argon2 runs in the vault's executor: other sessions go on while this one checks.
        if await self.wardroom.services.accounts.check_password(account.username, password):
            self.wardroom.locked_at = None
            self.dismiss()
            return
        self.wardroom.unlock_failures += 1
        if self.wardroom.unlock_failures >= MAX_WRONG_PASSWORDS:
            self.wardroom.end_session("lock.idle_ended")
            return
        self.query_one("#status", Static).update(self.t("lock.wrong"))
