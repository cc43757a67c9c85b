"""What every wardroom screen shares: translated key bindings, the top bar and the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from tui.i18n import Translator, translate_bindings
from tui.textual_compat import CoverableScreen

if TYPE_CHECKING:
    from tui.app import WardroomApp


_NOT_FOR_AN_ENDED_SESSION = (events.Compose, events.Mount, events.ScreenResume)


class WardroomScreen(CoverableScreen):
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

    async def on_event(self, event: events.Event) -> None:
        # A screen pushed as its session ends (the client left straight after login, or while
        # a gate chose the next screen) is never seen: Textual refuses to mount its widgets
        # into an app that is exiting, yet still sends Compose, Mount and ScreenResume, whose
        # handlers would look for those widgets and count a view nobody had.
        if isinstance(event, _NOT_FOR_AN_ENDED_SESSION) and not self.is_attached:
            return
        await super().on_event(event)

    def is_covered(self) -> bool:
        # Under an opaque screen nothing of this one shows: Textual's layouts and repaints of
        # it (after every hub event of the room opened over a home screen, a whole repaint of
        # the top screen; six layouts of the home at a login under the room) wait until it is
        # on top again.
        top = self.app.screen
        return top is not self and top.styles.background.a == 1

    def on_screen_resume(self) -> None:
        # Every time a screen comes to the front is one view; recorded without waiting.
        self.wardroom.services.statistics.record_view(self.wardroom.context.visit_id,
                                                      self.SCREEN_NAME)
