"""What every wardroom screen shares: translated key bindings, the top bar and the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from tui.i18n import Translator, translate_bindings

if TYPE_CHECKING:
    from tui.app import WardroomApp


class WardroomScreen(Screen[Any]):
    """Base screen; `SCREEN_NAME` names it in the access statistics and in help."""

    SCREEN_NAME = "screen"

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.t)

    @property
    def wardroom(self) -> WardroomApp:
        return self.app  # type: ignore[return-value]

    @property
    def t(self) -> Translator:
        return self.wardroom.t

    def on_screen_resume(self) -> None:
        # Every time a screen comes to the front is one view; recorded without waiting.
        self.wardroom.services.statistics.record_view(self.wardroom.context.visit_id,
                                                      self.SCREEN_NAME)
