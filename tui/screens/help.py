"""Help for the screen underneath (F1, or ? outside text fields): its own text, keys, basics."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui.i18n import Translator
from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


def keys_of(screen: Screen) -> list[tuple[str, str]]:
    """The keys the footer shows for `screen` right now, as (key, description)."""
    shown: list[tuple[str, str]] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.show and binding.description and active.enabled:
            shown.append((screen.app.get_key_display(binding), binding.description))
    return shown


def help_text(t: Translator, topic: str, **commands: str) -> str:
    """The catalog's help for screen `topic`, or the general fallback if it has none;
    `commands` fill in the ssh commands some help texts name ({export}, {admin})."""
    key = f"help.screen.{topic}"
    return t(key, **commands) if t.has(key) else t("help.fallback")


class HelpScreen(WardroomScreen):
    SCREEN_NAME = "help"
    BINDINGS = [Binding("escape", "close", "help.close_key")]

    def __init__(self, topic: str, keys: list[tuple[str, str]]) -> None:
        """`topic` is the SCREEN_NAME of the screen the help is about."""
        super().__init__()
        self.topic = topic
        self.keys = keys

    @classmethod
    def about(cls, screen: Screen) -> HelpScreen:
        return cls(getattr(screen, "SCREEN_NAME", ""), keys_of(screen))

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("help.title"))
        with VerticalScroll(id="help-body"):
            yield Static(help_text(self.t, self.topic, **self._commands()), classes="paragraph",
                         markup=False)
            yield Static(self.t("help.keys_heading"), classes="help-heading", markup=False)
            width = max((len(key) for key, _ in self.keys), default=0)
            listing = Text()
            for key, description in self.keys:
                listing.append(f"  {key:<{width}}  ", style="bold")
                listing.append(description + "\n")
            yield Static(listing, id="help-keys", classes="paragraph")
            yield Static(self.t("help.general_heading"), classes="help-heading", markup=False)
            yield Static(self.t("help.general"), classes="paragraph", markup=False)
        yield KeyFooter()

    def _commands(self) -> dict[str, str]:
        context = self.wardroom.context
        name = context.account.username if context.account is not None else "NAME"
        return {"export": context.ssh_command(name, "export"),
                "admin": context.ssh_command(name, "admin")}

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss()
