"""Parsed CSS is shared by the apps of one process, and never across different CSS variables."""

from __future__ import annotations

import textual.css.stylesheet
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static


class Themed(App[None]):
    CSS = "#tinted { background: $primary; }"

    def __init__(self, theme: str) -> None:
        super().__init__()
        self._wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield Static("Hallo", id="tinted")

    def on_mount(self) -> None:
        self.theme = self._wanted_theme


async def tint(theme: str) -> Color:
    app = Themed(theme)
    async with app.run_test() as pilot:
        await pilot.pause()
        return app.query_one("#tinted").styles.background


def counting_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    parse = textual.css.stylesheet.parse

    def counted(scope, css, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(css)
        return parse(scope, css, *args, **kwargs)

    monkeypatch.setattr(textual.css.stylesheet, "parse", counted)
    return parsed


async def test_a_second_app_with_the_same_css_parses_none_of_it(monkeypatch):
    await tint("textual-dark")
    parsed = counting_parses(monkeypatch)
    await tint("textual-dark")
    assert parsed == []


async def test_each_theme_gets_its_own_colours(monkeypatch):
    parsed = counting_parses(monkeypatch)
    dark, light = await tint("nord"), await tint("textual-light")
    assert (dark, light) == (Color.parse("#88C0D0"), Color.parse("#004578"))
    assert Themed.CSS in parsed  # parsed once more for the other theme's variables
