"""The privacy notice, readable from every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Markdown

from store.policy import shipped_notice
from tui.screens.base import WardroomScreen
from tui.widgets.top_bar import TopBar


class NoticeScreen(WardroomScreen):
    SCREEN_NAME = "notice"
    BINDINGS = [Binding("escape", "close", "key.back")]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("notice.title"))
        with VerticalScroll(id="notice-body"):
            yield Markdown(shipped_notice(self.t.language))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#notice-body").focus()

    def action_close(self) -> None:
        self.dismiss()
