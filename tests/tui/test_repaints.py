"""What a delivered message repaints: never a screen hidden under another, the room's
scrollbar only when its thumb moves (while it always shows where the reader is, as Textual
itself would draw it), and the history by a terminal scroll only where nothing else is drawn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import shown_as_sent
from tests.sshclient import connect
from tests.tui.test_idle_timers import settled_timers
from tests.tui.test_message_log import Harness, message
from tui.compositor import CroppingCompositor, ScrolledUpdate, scroll_sequence
from tui.i18n import Translator
from tui.screens.base import WardroomScreen
from tui.widgets.room.message_log import MessageLog


class Below(WardroomScreen):
    def compose(self) -> ComposeResult:
        yield Static("unten", id="below")


class Above(WardroomScreen):
    def compose(self) -> ComposeResult:
        yield Static("oben")


class Screens(App[None]):
    CSS = "Screen { background: black; }"

    def __init__(self) -> None:
        super().__init__()
        self.t = Translator("de")
        self.frames: list[str] = []
        # What a WardroomScreen asks of its app besides the translator: views are not counted.
        self.context = SimpleNamespace(visit_id="visit")
        self.services = SimpleNamespace(
            statistics=SimpleNamespace(record_view=lambda visit, screen: None))

    def on_mount(self) -> None:
        self.push_screen(Below())

    def _display(self, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None:
            self.frames.append(type(renderable).__name__)
        super()._display(screen, renderable)


@asynccontextmanager
async def covered() -> AsyncIterator[tuple[Screens, Pilot[None], Screen[Any]]]:
    """An app whose first screen is covered by an opaque one."""
    app = Screens()
    async with app.run_test(size=(80, 24)) as pilot:
        below = app.screen
        await app.push_screen(Above())
        await pilot.pause()
        yield app, pilot, below


async def test_a_covered_screen_that_changes_repaints_nothing_until_it_is_on_top():
    async with covered() as (app, pilot, below):
        app.frames.clear()
        for n in range(3):  # what a home screen does with a hub event under the room
            below.query_one("#below", Static).update(f"unten {n}")
            await pilot.pause()
        assert app.frames == []
        app.pop_screen()
        await pilot.pause()
        assert "LayoutUpdate" in app.frames  # back on top, it is painted whole
        assert below.query_one("#below", Static).render_line(0).text.startswith("unten 2")


async def test_a_covered_screen_is_laid_out_only_once_it_is_back_on_top():
    async with covered() as (app, pilot, below):
        layouts: list[object] = []
        lay_out = below._refresh_layout
        below._refresh_layout = lambda *args, **kwargs: (  # type: ignore[method-assign]
            layouts.append(args), lay_out(*args, **kwargs))
        line = below.query_one("#below", Static)
        line.styles.height = 3  # what a home screen's new rows do under the room
        line.update("unten, jetzt länger")
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert layouts == []
        app.pop_screen()
        await pilot.pause()
        assert layouts
        assert line.region.width == 100 and line.region.height == 3
        assert line.render_line(0).text.startswith("unten, jetzt länger")


def as_textual_paints(bar: ScrollBar) -> list[Strip]:
    """The scrollbar as Textual itself renders it, from scratch."""
    bar.refresh()
    return Widget.render_lines(bar, bar.size.region)


async def test_the_scrollbar_shows_the_reader_where_they_are_after_every_message():
    app = Harness()
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(MessageLog)
        for n in range(1, 60):
            log.append(message(n))
            await pilot.pause()
            if log.show_vertical_scrollbar:
                bar = log.vertical_scrollbar
                assert bar.window_virtual_size == log.virtual_size.height
                assert bar.position == bar.validate_position(log.scroll_y)
                shown = bar.render_lines(bar.size.region)
                assert as_textual_paints(bar) == shown, f"stale scrollbar after message {n}"
                if n % 10 == 0:  # under the pointer it changes colour, and back
                    for hovered in (True, False):
                        bar.mouse_over = hovered
                        await pilot.pause()
                        assert bar.render_lines(bar.size.region) == as_textual_paints(bar)
        log.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert log.vertical_scrollbar.position == 0
        assert log.vertical_scrollbar.render_lines(bar.size.region) == as_textual_paints(bar)


class History(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self._compositor = CroppingCompositor()  # as the room has it

    def compose(self) -> ComposeResult:
        yield MessageLog(lambda m: f"{m.sender_role} {m.sender_username}", "reader")


class Updates(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.updates: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(History())

    def _display(self, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None:
            self.updates.append(renderable)
        super()._display(screen, renderable)


async def test_the_terminal_scrolls_the_history_only_when_nothing_is_drawn_over_it():
    app = Updates()
    async with app.run_test(size=(40, 12), notifications=True) as pilot:
        log = app.screen.query_one(MessageLog)
        for n in range(1, 10):
            log.append(message(n))
        await pilot.pause()
        app.updates.clear()
        log.append(message(10))  # three rows: header, text, gap
        await pilot.pause()
        update = app.updates[0]
        assert isinstance(update, ScrolledUpdate)
        assert update.scrolls == scroll_sequence(0, 12, 3)
        # Drawn after the scroll: the three new rows whole, the rest only in the scrollbar.
        assert [y for y, x1, x2 in update.spans if (x1, x2) == (0, 40)] == [9, 10, 11]
        app.notify("Hinweis")  # a toast drawn over the history's last rows
        await pilot.pause(0.3)
        app.updates.clear()
        log.append(message(11))
        await pilot.pause()
        assert app.updates and not any(isinstance(u, ScrolledUpdate) for u in app.updates)


async def test_typing_and_sending_a_message_lays_out_nothing(wardroom):
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    await wardroom.services.bookings.create(office, "klara", "bernd", weeks=2)
    terminal = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await terminal.wait_for("Stationszimmer mit bernd")
        # The first repaints after start-up still run what start-up left for them (the footer
        # shows the box's keys once focus is settled; on a busy machine that can take until
        # the second message): two messages before counting.
        for warm_up in ("Guten Morgen", "Hallo"):
            await terminal.type(warm_up)
            terminal.send("\r")
            await shown_as_sent(terminal, warm_up)
        assert await settled_timers(wardroom) == []
        (session,) = wardroom.server.sessions
        assert session.app is not None
        room = session.app.screen
        layouts = []
        original = room._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> None:
            layouts.append(args)
            original(*args, **kwargs)

        room._refresh_layout = counted  # type: ignore[method-assign]
        for text in ("Wie geht es?", "Schon besser."):
            await terminal.type(text)
            terminal.send("\r")
            await shown_as_sent(terminal, text)
        # Each key, the sent message and the emptied box repaint their own lines only; the
        # hint lines under the history stay as they are and need no new layout.
        assert layouts == []
    finally:
        await terminal.close()
