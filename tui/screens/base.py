"""What every wardroom screen shares: translated key bindings, the top bar and the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.geometry import Size
from textual.screen import Screen

from tui.i18n import Translator, translate_bindings

if TYPE_CHECKING:
    from tui.app import WardroomApp


_NOT_FOR_AN_ENDED_SESSION = (events.Compose, events.Mount, events.ScreenResume)


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

    async def on_event(self, event: events.Event) -> None:
        # A screen pushed as its session ends (the client left straight after login, or while
        # a gate chose the next screen) is never seen: Textual refuses to mount its widgets
        # into an app that is exiting, yet still sends Compose, Mount and ScreenResume, whose
        # handlers would look for those widgets and count a view nobody had.
        if isinstance(event, _NOT_FOR_AN_ENDED_SESSION) and not self.is_attached:
            return
        await super().on_event(event)

    def _compositor_refresh(self) -> None:
        # Textual repaints the screen below the top one into the top one (in case that is
        # see-through), and once a covered screen has handled any message (a home screen gets
        # a hub event for every message in the room opened over it), that repaint repeats with
        # each message and redraws the whole top screen. Under an opaque screen nothing of
        # this one shows; it is repainted whole when it comes back to the top.
        if self._covered():
            self._compositor._dirty_regions.clear()
            self._dirty_widgets.clear()
            return
        super()._compositor_refresh()

    def _screen_resized(self, size: Size) -> None:
        # Textual lays the screen below the top one out with every Resize the top one gets
        # (in case the top one is see-through): a login laid the home out six times under
        # the room. Under an opaque screen that waits until this one is on top again.
        if self._covered():
            self._layout_required = True
            return
        super()._screen_resized(size)

    def _on_timer_update(self) -> None:
        # Likewise the layouts and repaints its own widgets ask for while covered; they are
        # all done, at once, when it comes back to the top.
        if self._covered():
            self._update_timer.pause()
            return
        super()._on_timer_update()

    def _covered(self) -> bool:
        top = self.app.screen
        return top is not self and top.styles.background.a == 1

    def on_screen_resume(self) -> None:
        # Every time a screen comes to the front is one view; recorded without waiting.
        self.wardroom.services.statistics.record_view(self.wardroom.context.visit_id,
                                                      self.SCREEN_NAME)
