"""The person's own export, shown on screen: the same JSON as `ssh NAME@HOST export`."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class ExportViewScreen(WardroomScreen):
    SCREEN_NAME = "export_view"
    BINDINGS = [Binding("escape", "close", "key.back")]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("export_view.title"))
        account = self.wardroom.context.account
        assert account is not None
        command = self.wardroom.context.ssh_command(account.username, "export")
        yield Static(self.t("export_view.intro", command=command), classes="paragraph",
                     markup=False)
        with VerticalScroll(id="export-body"):
            yield Static(self.t("export_view.loading"), id="export-text", markup=False)
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.query_one("#export-body").focus()
        account = self.wardroom.context.account
        assert account is not None
        # As `export` does: a one-time password's keys open no room (its setter knows it).
        keys = None if account.must_change_password else self.wardroom.context.keys
        chunks = [chunk async for chunk in self.wardroom.services.export.chunks(account, keys)]
        if self.is_attached:
            # Indented to be read on screen; shown as text, never as markup.
            document = json.dumps(json.loads("".join(chunks)), ensure_ascii=False, indent=2)
            self.query_one("#export-text", Static).update(document)

    def action_close(self) -> None:
        self.dismiss()
