"""The room's history widget: literal text only, and older pages asked for at the top."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from store.rooms.rooms import Message
from tui.widgets.room.message_log import MessageLog

SENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
RAW = "A\x1b]0;x\x07B \x1b[2J C\u202eD [@click=app.quit] [/] [bold]x[/bold]"


class Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def compose(self) -> ComposeResult:
        yield MessageLog(lambda m: f"{m.sender_role} {m.sender_username}\x1b[31m", "reader")

    def on_message_log_need_older(self, event: MessageLog.NeedOlder) -> None:
        self.asked.append(event.before_id)


def message(n: int, body: str = "") -> Message:
    return Message(n, 1, "client", "klara", SENT, body or f"Nachricht {n}")


async def test_raw_controls_never_reach_the_screen_even_if_the_store_missed_them():
    app = Harness()
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(MessageLog)
        log.append(message(1, RAW))
        await pilot.pause()
        shown = "".join(log.render_line(y).text for y in range(log.size.height))
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert "[@click=app.quit] [/] [bold]x[/bold]" in shown
        assert app.is_running


async def test_scrolling_to_the_top_asks_for_the_page_before_the_oldest():
    app = Harness()
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(MessageLog)
        for n in range(100, 130):
            log.append(message(n))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0  # newest at the bottom, in view
        assert app.asked == []
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert app.asked == [100]
        log.prepend([message(n) for n in range(50, 100)], has_more=False)
        await pilot.pause()
        assert log.message_count == 80 and log.scroll_y > 0  # the view stayed where it was
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert app.asked == [100]  # nothing older exists: no further request
