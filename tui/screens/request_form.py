"""A client files a new request (Anliegen); dismissed with its id, or None if left."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from store.errors import Invalid
from store.rooms.requests import MAX_OPEN_REQUESTS, MAX_REQUEST_LENGTH
from tui.i18n import Translator
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


def refusal(t: Translator, refused: Invalid) -> str:
    """Why Requests.file refused ("empty", "too_long", "too_many"), in the session's words."""
    limit = MAX_OPEN_REQUESTS if str(refused) == "too_many" else MAX_REQUEST_LENGTH
    return t(f"request_form.{refused}", max=limit)


class RequestFormScreen(WardroomScreen):
    SCREEN_NAME = "request_form"
    BINDINGS = [Binding("escape", "back", "key.back")]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("request_form.title"))
        with Vertical(id="form"):
            yield Static(self.t("request_form.intro"), classes="paragraph", markup=False)
            yield Label(self.t("request_form.label", max=MAX_REQUEST_LENGTH))
            yield Field(id="request", max_length=MAX_REQUEST_LENGTH)
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#request", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        account = self.wardroom.context.account
        assert account is not None
        try:
            request = await self.wardroom.services.requests.file(account, event.value)
        except Invalid as refused:
            self.query_one("#status", Static).update(refusal(self.t, refused))
            return
        self.dismiss(request.id)

    def action_back(self) -> None:
        self.dismiss(None)
