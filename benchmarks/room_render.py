"""CPU per appended message at 80x24: the room's MessageLog against Textual's Log (by hand).

    /work/venv/bin/python -m benchmarks.room_render --messages 200

Runs each widget in a headless app with the room's layout around it and measures the process
CPU time of appending one message and letting the screen repaint.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Footer, Log, Static, TextArea

from store.rooms.rooms import Message
from tui.widgets.room.message_log import MessageLog

SENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Room(App[None]):
    def __init__(self, history: Widget) -> None:
        super().__init__()
        self.history = history

    def compose(self) -> ComposeResult:
        yield Static("wardroom · Stationszimmer")
        yield Static("bernd (Genesungsberater/in) ist jetzt im Zimmer.")
        yield self.history
        yield Static("")
        yield TextArea(id="box")
        yield Footer()


def message(n: int) -> Message:
    return Message(n, 1, "client", "klara", SENT, f"Nachricht {n}: " + "heute besser " * (n % 9))


async def measure(kind: str, count: int) -> float:
    history: Widget = MessageLog(lambda m: f"28.11.2026 10:00 · Klient/in {m.sender_username}",
                                 "reader")
    if kind == "log":
        history = Log()
    app = Room(history)
    async with app.run_test(size=(80, 24)) as pilot:
        history.styles.height = "1fr"
        await pilot.pause()
        for n in range(20):  # warm-up: fill the view so every append scrolls
            add(kind, history, n)
        await pilot.pause()
        started = time.process_time()
        for n in range(20, 20 + count):
            add(kind, history, n)
            await pilot.pause()
        return (time.process_time() - started) / count


def add(kind: str, history: Widget, n: int) -> None:
    if kind == "idle":
        return
    if isinstance(history, MessageLog):
        history.append(message(n))
    else:
        assert isinstance(history, Log)
        history.write_line("28.11.2026 10:00 · Klient/in klara")
        history.write_line(message(n).body)
        history.write_line("")


async def run(count: int) -> None:
    # "idle": a MessageLog that gets nothing, i.e. the cost of the measuring loop itself.
    for kind in ("idle", "log", "message_log"):
        per = await measure(kind, count)
        print(f"{kind:12s} {1000 * per:.2f} ms CPU per appended message (80x24, {count} appends)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    asyncio.run(run(parser.parse_args().messages))


if __name__ == "__main__":
    main()
