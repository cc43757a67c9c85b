"""The consent gate: a new version of the privacy notice must be accepted before anything else."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.policy.versions import PolicyVersion
from tui.screens.base import WardroomScreen
from tui.screens.consent_declined import ConsentDeclinedScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.policy.notice_text import NoticeText
from tui.widgets.top_bar import TopBar


class ConsentScreen(WardroomScreen):
    SCREEN_NAME = "consent"
    BINDINGS = [
        Binding("a", "accept", "consent.accept_key"),
        Binding("x", "decline", "consent.decline_key"),
    ]

    def __init__(self, version: PolicyVersion) -> None:
        super().__init__()
        self.version = version

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("consent.title"))
        yield Static(self.t("consent.intro", version=self.version.label), id="consent-intro",
                     markup=False)
        with VerticalScroll(id="consent-body"):
            yield NoticeText(self.version, self.t, self.wardroom.context.public_address)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#consent-body").focus()

    async def action_accept(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        await self.wardroom.services.policy.accept(account, self.version)
        self.app.switch_screen(await self.wardroom.first_screen())

    def action_decline(self) -> None:
        # Nothing is written: the account keeps the version it accepted before. Declining
        # must not cost the person her rights: export and erasure are offered on the spot.
        self.app.push_screen(ConsentDeclinedScreen())
