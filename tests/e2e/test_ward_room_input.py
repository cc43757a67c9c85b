"""Bad input and faults in the ward room over real SSH: hostile text, oversized, empty, drops."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from argon2 import PasswordHasher

from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import SystemClock
from store.rooms.rooms import WardRooms
from store.services import Services
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import (
    ROOM_OF_CLIENT,
    make_booking,
    open_as_client,
    open_as_counsellor,
    say,
    shown_as_sent,
)
from tests.sealed import codes_noted, post_as, stored_texts
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient, connect

HOSTILE = "A\x1b]0;x\x07B \x1b[2J C\u202eD [@click=app.quit] [/] [bold]x[/bold] E"
VISIBLE = ("]0;x", "[2J", "[@click=app.quit] [/] [bold]x[/bold] E")
RAW_FORBIDDEN = (b"\x1b]0;x", b"\x07B", b"\x1b[2J", "\u202e".encode())


def paste(terminal: TerminalClient, text: str) -> None:
    terminal.send("\x1b[200~" + text + "\x1b[201~")


async def stored_bodies(wardroom) -> list[str]:
    return await stored_texts(wardroom.services)


def assert_harmless(terminal: TerminalClient, since: int) -> None:
    output = bytes(terminal.raw[since:])
    for forbidden in RAW_FORBIDDEN:
        assert forbidden not in output, forbidden


async def test_hostile_text_arrives_as_literal_text_both_ways(wardroom):
    _office, booking = await make_booking(wardroom)
    client = await open_as_client(wardroom)
    counsellor = await open_as_counsellor(wardroom)
    try:
        # Through the service, as any caller would: the store and the display both sanitise.
        bernd = await account_named(wardroom.services.accounts, "bernd")
        mark = len(client.raw)
        await post_as(wardroom.services, bernd, booking.id, HOSTILE)
        screen = await client.wait_for(VISIBLE[-1])
        for needle in VISIBLE:
            assert needle in screen
        assert_harmless(client, mark)
        # Through the client's own terminal, pasted like a careless copy from elsewhere.
        mark = len(counsellor.raw)
        paste(client, HOSTILE.replace(" E", " F"))
        client.send("\r")
        screen = await counsellor.wait_for("[bold]x[/bold] F")
        assert "[@click=app.quit] [/]" in screen
        assert_harmless(counsellor, mark)
        # Neither app quit on the click markup nor crashed on "[/]": both still chat.
        await say(counsellor, "noch da")
        await client.wait_for("noch da")
        assert not client.closed.is_set() and not counsellor.closed.is_set()
    finally:
        await client.close()
        await counsellor.close()


async def test_huge_paste_is_refused_and_the_draft_kept(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    try:
        await client.type("Mein Entwurf")
        paste(client, "x" * 100_000)
        await client.wait_for("eingefügte Text ist zu lang")
        assert "Mein Entwurf" in client.text()
        assert await stored_bodies(wardroom) == []
        client.send("\r")
        screen = await client.wait_for("10:00 · Sie")  # sent, as her own
        assert "Mein Entwurf" in screen
        assert await stored_bodies(wardroom) == ["Mein Entwurf"]
    finally:
        await client.close()


async def test_over_the_limit_shows_the_counter_and_keeps_the_draft(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    try:
        paste(client, "y" * 3_990)
        await client.wait_for("3990 / 4000")
        await client.type("z" * 15)
        await client.wait_for("4005 / 4000")
        client.send("\r")
        await client.wait_for("Die Nachricht ist zu lang")
        assert await stored_bodies(wardroom) == []
        client.send("\x7f" * 5)  # backspace to exactly the limit, then it goes
        await client.wait_for("4000 / 4000")
        client.send("\r")
        await client.wait_gone("4000 / 4000")
        assert [len(b) for b in await stored_bodies(wardroom)] == [4000]
    finally:
        await client.close()


async def test_empty_message_is_refused(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    try:
        client.send("\r")
        await client.wait_for("Leere Nachrichten werden nicht gesendet")
        await client.type("   ")
        client.send("\r")
        await asyncio.sleep(0.2)
        assert await stored_bodies(wardroom) == []
        assert ROOM_OF_CLIENT in client.text()
    finally:
        await client.close()


async def test_a_sender_dropping_mid_send_leaves_a_delivered_message(wardroom, monkeypatch):
    """The commit is held until the sender's session is gone: it still lands and is delivered."""
    await make_booking(wardroom)
    release = asyncio.Event()
    entered = asyncio.Event()
    original = WardRooms._store_and_publish

    async def held(self, *args, **kwargs):
        entered.set()
        await release.wait()
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(WardRooms, "_store_and_publish", held)
    counsellor = await open_as_counsellor(wardroom)
    client = await open_as_client(wardroom)
    sessions_before = len(wardroom.server.sessions)
    try:
        await say(client, "Ich muss los")
        await asyncio.wait_for(entered.wait(), 10)
        await client.close()
        for _ in range(100):
            if len(wardroom.server.sessions) < sessions_before:
                break
            await asyncio.sleep(0.05)
        assert len(wardroom.server.sessions) < sessions_before
        release.set()
        await counsellor.wait_for("Ich muss los")
        assert await stored_bodies(wardroom) == ["Ich muss los"]
    finally:
        release.set()
        await counsellor.close()


async def test_sigkill_keeps_every_message_shown_as_sent(tmp_path: Path, host_keys_dir, fast_vault):
    db = tmp_path / "killed.db"
    services = await Services.open(db, clock=SystemClock(), vault=fast_vault)
    office = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    klara = await services.accounts.create("klara", Role.CLIENT, PASSWORD)
    await services.policy.accept(klara, await services.policy.current())
    await services.accounts.create("bernd", Role.COUNSELLOR, PASSWORD)
    await services.bookings.create(office, "klara", "bernd", weeks=1)
    await codes_noted(services)
    await services.close()
    server = ServerProcess(db, host_keys_dir)
    await server.start()
    sent = [f"Nachricht Nummer {n}" for n in range(5)]
    try:
        client = await connect(server.port, "klara", PASSWORD)
        await client.wait_for(ROOM_OF_CLIENT, timeout=30)
        for text in sent:
            await say(client, text)
            await shown_as_sent(client, text)  # in the history only once post() returned
        server.signal(signal.SIGKILL)
        await server.wait()
        await client.close()
    finally:
        await server.stop()
    # A vault of its own: the one the setup used closed with its services.
    reopened = await Services.open(db, clock=SystemClock(), vault=PasswordVault(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)))
    try:
        assert await stored_texts(reopened) == sent
    finally:
        await reopened.close()


async def test_a_message_sent_just_before_the_terminal_closed_is_stored(wardroom):
    # The message and the end of the connection reach the server together (a closed laptop
    # lid, a closed terminal window): what was sent before must still be processed.
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    client.send("Bis morgen, ich gehe schlafen.\r")
    await client.close()
    for _ in range(100):
        if await stored_bodies(wardroom):
            break
        await asyncio.sleep(0.05)
    assert await stored_bodies(wardroom) == ["Bis morgen, ich gehe schlafen."]
