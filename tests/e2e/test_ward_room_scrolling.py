"""The room's history scrolled by the terminal itself (a scroll region) shows exactly what a
full repaint shows: after many messages both ways, scrolled back and forth, under the help
screen, after a resize, in every terminal the matrix knows."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import (
    ROOM_OF_CLIENT,
    make_booking,
    open_as_client,
    open_as_counsellor,
)
from tests.sshclient import TerminalClient, connect

SCROLL_REGION = b"\x1b[3;"  # the history's rows start on the third line at 80x24
PAGE_UP, PAGE_DOWN, F1 = "\x1b[5~", "\x1b[6~", "\x1bOP"

Cells = list[list[tuple[str, str, str, bool, bool, bool]]]


def cells(terminal: TerminalClient) -> Cells:
    screen = terminal.screen
    return [[(c.data, c.fg, c.bg, c.bold, c.reverse, c.underscore)
             for c in (screen.buffer[y][x] for x in range(screen.columns))]
            for y in range(screen.lines)]


async def settled(terminal: TerminalClient) -> Cells:
    """The screen once the server has stopped writing to it."""
    seen = -1
    while seen != len(terminal.raw):
        seen = len(terminal.raw)
        await asyncio.sleep(0.2)
    return cells(terminal)


async def assert_as_repainted(terminal: TerminalClient) -> None:
    """What the terminal shows equals what a full repaint (ctrl+l) draws on a blank screen."""
    shown = await settled(terminal)
    terminal.screen.reset()
    terminal.send("\x0c")
    repainted = await settled(terminal)
    differing = [y for y, (a, b) in enumerate(zip(shown, repainted, strict=True)) if a != b]
    assert not differing, (f"rows {differing} differ from a full repaint:\n"
                           + "\n".join("".join(c[0] for c in shown[y]) for y in differing))


async def send(terminal: TerminalClient, text: str) -> None:
    terminal.send("\x1b[200~" + text + "\x1b[201~")
    await asyncio.sleep(0.02)
    terminal.send("\r")


def text_of(n: int) -> str:
    # Messages of one to five rows, some with their own line breaks.
    return (f"Nachricht {n:02d} " + "wie geht es dir heute " * (n % 5)
            + "\nzweite Zeile" * (n % 3 == 0))


async def chat(sender: TerminalClient, receiver: TerminalClient, first: int, count: int) -> None:
    for n in range(first, first + count):
        a, b = (sender, receiver) if n % 2 == 0 else (receiver, sender)
        await send(a, text_of(n))
        await b.wait_for(f"Nachricht {n:02d}")


@pytest.mark.parametrize("term", ["xterm-256color", "linux", "screen"])
async def test_a_long_chat_looks_as_if_every_row_was_repainted(wardroom, term):
    await make_booking(wardroom)
    client = await connect(wardroom.port, "klara", PASSWORD, term=term)
    await client.wait_for(ROOM_OF_CLIENT)
    counsellor = await open_as_counsellor(wardroom)
    try:
        await chat(client, counsellor, 0, 12)
        await assert_as_repainted(client)
        await assert_as_repainted(counsellor)
        mark = len(client.raw)
        await chat(client, counsellor, 12, 12)
        assert SCROLL_REGION in client.raw[mark:]  # the terminal did scroll the history
        await assert_as_repainted(client)
        await assert_as_repainted(counsellor)
    finally:
        await client.close()
        await counsellor.close()


async def test_scrolled_back_covered_and_resized_it_still_looks_repainted(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    counsellor = await open_as_counsellor(wardroom)

    async def from_counsellor(*numbers: int) -> None:
        # Waited for on the sender's screen: the reader may be looking elsewhere.
        for n in numbers:
            await send(counsellor, text_of(n))
            await counsellor.wait_for(f"Nachricht {n:02d}")

    try:
        await chat(client, counsellor, 0, 14)
        client.send(PAGE_UP)
        await from_counsellor(14, 15)  # arriving while the reader reads further up
        await assert_as_repainted(client)
        client.send(PAGE_UP + PAGE_DOWN)
        await assert_as_repainted(client)
        client.send(PAGE_DOWN + PAGE_DOWN)
        await client.wait_for("Nachricht 15")
        await chat(client, counsellor, 16, 3)
        await assert_as_repainted(client)
        await assert_as_repainted(counsellor)
        client.send(F1)  # help covers the room while messages arrive under it
        await client.wait_for("Tasten auf diesem Bildschirm")
        await from_counsellor(19, 20)
        client.send(F1)  # pressed again on the help, it closes
        await client.wait_for("Nachricht 20")
        await assert_as_repainted(client)
        client.resize(100, 30)
        await client.wait_for("Nachricht 20")
        await chat(client, counsellor, 21, 4)
        await assert_as_repainted(client)
    finally:
        await client.close()
        await counsellor.close()
