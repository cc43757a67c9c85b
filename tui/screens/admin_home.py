"""The admin's home screen."""

from __future__ import annotations

from tui.screens.home import HomeScreen


class AdminHomeScreen(HomeScreen):
    SCREEN_NAME = "admin_home"
    ROLE_KEY = "admin_home"

    def body_lines(self) -> list[str]:
        return [self.t("admin_home.next")]
