"""Erasure of the client's own account after typing its username: what the client sees as
her objection (Widerspruch, Art. 21 GDPR)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Static

from store.errors import Invalid, NotPermitted
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class ErasureScreen(WardroomScreen):
    # The name recorded in the access statistics and keyed in help: kept from before the
    # rename, so the counts of this screen stay under one name across an upgrade.
    SCREEN_NAME = "objection"
    BINDINGS = [Binding("escape", "back", "key.back")]

    def compose(self) -> ComposeResult:
        account = self.wardroom.context.account
        assert account is not None
        yield TopBar(self.t("erasure.title"), account.username)
        with VerticalScroll(id="form"):
            yield Static(self.t("erasure.what"), classes="paragraph", markup=False)
            yield Static(self.t("erasure.final"), classes="paragraph erasure-warning",
                         markup=False)
            export = self.wardroom.context.ssh_command(account.username, "export")
            yield Static(self.t("erasure.copy_first", command=export),
                         classes="paragraph", markup=False)
            yield Label(self.t("erasure.type_name"))
            yield Field(id="confirm-name")
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-name", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        account = self.wardroom.context.account
        assert account is not None
        status = self.query_one("#status", Static)
        try:
            # The service compares the typed name itself; on success it closes the account,
            # which ends this session (and every other one of the client) with a farewell.
            await self.wardroom.services.erasure.erase_client(account, account.username,
                                                              event.value)
        except Invalid:
            status.update(self.t("erasure.mismatch"))
        except NotPermitted:
            status.update(self.t("erasure.refused"))

    def action_back(self) -> None:
        self.dismiss()
