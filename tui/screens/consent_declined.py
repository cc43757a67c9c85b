"""After declining a new notice: nothing changed, and the person's rights are offered at once
(see her data, erase her account) without accepting what she declined."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.accounts.roles import Role
from tui.screens.base import WardroomScreen
from tui.screens.erasure import ErasureScreen
from tui.screens.export_view import ExportViewScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class ConsentDeclinedScreen(WardroomScreen):
    SCREEN_NAME = "consent_declined"
    BINDINGS = [
        Binding("e", "export", "consent_declined.export_key"),
        Binding("o", "erase", "consent_declined.erase_key"),
        # Ctrl+Q logs out too; the footer is full at 80 columns, and the text names L.
        Binding("l", "log_out", "consent_declined.logout_key", show=False),
        Binding("escape", "back", "key.back"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("consent_declined.title"))
        with VerticalScroll(id="form"):
            yield Static(self.t("consent_declined.what"), classes="paragraph", markup=False)
            yield Static(self.t("consent_declined.export", command=self._export_command()),
                         classes="paragraph", markup=False)
            yield Static(self.t("consent_declined.erase" if self._may_erase()
                                else "consent_declined.erase_elsewhere"),
                         classes="paragraph", markup=False)
        yield KeyFooter()

    def _export_command(self) -> str:
        account = self.wardroom.context.account
        assert account is not None
        return self.wardroom.context.ssh_command(account.username, "export")

    def _may_erase(self) -> bool:
        """Clients erase themselves; not on a one-time password, which staff set and know."""
        account = self.wardroom.context.account
        return (account is not None and account.role is Role.CLIENT
                and not account.must_change_password)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._may_erase() if action == "erase" else True

    def action_export(self) -> None:
        self.app.push_screen(ExportViewScreen())

    def action_erase(self) -> None:
        if self._may_erase():
            self.app.push_screen(ErasureScreen())

    def action_log_out(self) -> None:
        # Nothing is written: the account keeps the version it accepted before.
        self.wardroom.end_session("consent.declined")

    def action_back(self) -> None:
        self.dismiss()
