"""The client's home screen."""

from __future__ import annotations

from tui.screens.home import HomeScreen


class ClientHomeScreen(HomeScreen):
    SCREEN_NAME = "client_home"
    ROLE_KEY = "client_home"

    def body_lines(self) -> list[str]:
        return [self.t("client_home.next")]
