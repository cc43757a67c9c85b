"""A client withdraws one of her open requests: it is deleted at once, irrecoverably."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store.clock import berlin, from_iso
from store.errors import Invalid, NotFound
from store.rooms.requests import Request
from store.text import sanitize_line
from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar

PREVIEW = 60


class WithdrawRequestScreen(WardroomScreen):
    """Enter on a request asks once more; Enter again on the same one deletes it. Dismissed
    with the id withdrawn, or None."""

    SCREEN_NAME = "withdraw_request"
    BINDINGS = [
        Binding("enter", "withdraw", "withdraw_request.key_withdraw", priority=True),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._open: list[Request] = []
        self._asked: int | None = None  # the request Enter was pressed on once

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("withdraw_request.title"))
        with VerticalScroll(id="form"):
            yield Static(self.t("withdraw_request.intro"), classes="paragraph", markup=False)
            yield OptionList(id="open-requests")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    async def on_mount(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        self._open = [r for r in await self.wardroom.services.requests.own(account)
                      if r.status == "open"]
        options = self.query_one(OptionList)
        for request in self._open:
            text = sanitize_line(request.body)
            if len(text) > PREVIEW:
                text = text[:PREVIEW - 1] + "…"
            day = berlin(from_iso(request.created_at)).strftime(self.t("room.date_format"))
            options.add_option(Option(Text(self.t("client_home.request_row", id=request.id,
                                                  date=day, text=text))))
        if self._open:
            options.highlighted = 0
            options.focus()
        else:
            self.query_one("#status", Static).update(self.t("withdraw_request.none"))

    async def action_withdraw(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or not self._open:
            return
        request = self._open[highlighted]
        if self._asked != request.id:
            self._asked = request.id
            self.query_one("#status", Static).update(
                self.t("withdraw_request.confirm", id=request.id))
            return
        account = self.wardroom.context.account
        assert account is not None
        try:
            await self.wardroom.services.requests.withdraw(account, request.id)
        except (Invalid, NotFound):
            # Matched (or gone) meanwhile: nothing to withdraw any more.
            self.query_one("#status", Static).update(
                self.t("withdraw_request.gone", id=request.id))
            return
        self.dismiss(request.id)

    def action_back(self) -> None:
        self.dismiss(None)
