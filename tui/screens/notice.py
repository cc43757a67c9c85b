"""The privacy notice as currently published, readable from every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.policy.notice_text import NoticeText
from tui.widgets.top_bar import TopBar


class NoticeScreen(WardroomScreen):
    SCREEN_NAME = "notice"
    BINDINGS = [Binding("escape", "close", "key.back")]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("notice.title"))
        yield VerticalScroll(id="notice-body")
        yield KeyFooter()

    async def on_mount(self) -> None:
        body = self.query_one("#notice-body", VerticalScroll)
        body.focus()
        # Read at every opening: a version published meanwhile is what the reader gets.
        version = await self.wardroom.services.policy.current()
        # Textual refuses a mount once the session is ending: the client may have left while
        # the database answered.
        if self.is_attached:
            await body.mount(NoticeText(version, self.t, self.wardroom.context.public_address))

    def action_close(self) -> None:
        self.dismiss()
