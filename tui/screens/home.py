"""The landing screen shared by the three roles; each role's module fills in the body."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class HomeScreen(WardroomScreen):
    ROLE_KEY = ""

    def who(self) -> str:
        account = self.wardroom.context.account
        assert account is not None
        return self.t("home.logged_in_as", name=account.username,
                      role=self.t(f"role.{account.role.value}"))

    def body_lines(self) -> list[str]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield TopBar(self.t(f"{self.ROLE_KEY}.title"), self.who())
        with VerticalScroll(id="home-body"):
            yield Static(self.t(f"{self.ROLE_KEY}.greeting"), classes="greeting", markup=False)
            for line in self.body_lines():
                yield Static(line, classes="paragraph", markup=False)
        yield KeyFooter()
