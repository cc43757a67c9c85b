"""The counsellor's home screen."""

from __future__ import annotations

from tui.screens.home import HomeScreen


class CounsellorHomeScreen(HomeScreen):
    SCREEN_NAME = "counsellor_home"
    ROLE_KEY = "counsellor_home"

    def body_lines(self) -> list[str]:
        return [self.t("counsellor_home.next")]
