"""Registration's last step: the current privacy notice to read, then accept or go back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.policy.versions import PolicyVersion
from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.policy.notice_text import NoticeText
from tui.widgets.top_bar import TopBar


class RegisterNoticeScreen(WardroomScreen):
    """Dismissed with True (accepted: create the account) or False (back to the form)."""

    SCREEN_NAME = "register_notice"
    BINDINGS = [
        Binding("a", "accept", "register.key_accept"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, version: PolicyVersion) -> None:
        super().__init__()
        self.version = version

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("register.notice_title"))
        yield Static(self.t("register.notice_hint"), id="notice-hint", markup=False)
        with VerticalScroll(id="notice-body"):
            yield NoticeText(self.version, self.t, self.wardroom.context.public_address)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#notice-body").focus()

    def action_accept(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
