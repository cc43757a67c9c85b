"""The ward room over real SSH: both parties chat live, in every open session, until it ends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.sealed import post_as, stored_texts
from tests.sshclient import TerminalClient, connect
from tui.hub_events import HubEvent
from tui.widgets.room.message_log import OWN_MARK, MessageLog

ROOM_OF_CLIENT = "Stationszimmer mit bernd"
ROOM_OF_COUNSELLOR = "Stationszimmer mit klara"
DASHBOARD = "Ihre Beratungen"


async def make_booking(wardroom, weeks: int = 2):
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    booking = await wardroom.services.bookings.create(office, "klara", "bernd", weeks=weeks)
    return office, booking


async def open_as_client(wardroom) -> TerminalClient:
    client = await connect(wardroom.port, "klara", PASSWORD)
    await client.wait_for(ROOM_OF_CLIENT)
    return client


async def open_as_counsellor(wardroom) -> TerminalClient:
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    await counsellor.wait_for("klara")  # the dashboard row, first one selected
    counsellor.send("\r")
    await counsellor.wait_for(ROOM_OF_COUNSELLOR)
    return counsellor


async def say(terminal: TerminalClient, text: str) -> None:
    await terminal.type(text)
    terminal.send("\r")


def history(terminal: TerminalClient) -> str:
    """The screen above the message box's top border: the room's history, not the draft."""
    lines = terminal.text().splitlines()
    border = next(i for i, line in enumerate(lines) if line.startswith("────"))
    return "\n".join(lines[:border])


async def shown_as_sent(terminal: TerminalClient, text: str, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if text in history(terminal):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never showed as sent:\n{terminal.text()}")


async def test_chat_both_ways_and_in_a_second_session(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    counsellor = await open_as_counsellor(wardroom)
    second = await open_as_client(wardroom)
    try:
        await client.wait_for("ist jetzt im Zimmer")  # the counsellor's presence
        await say(client, "Guten Morgen, heute geht es mir besser.")
        for terminal in (counsellor, second, client):
            await shown_as_sent(terminal, "heute geht es mir besser")
        # klara's own sessions say "Sie" and mark her lines; the counsellor sees her name.
        assert "Klient/in klara" in history(counsellor)
        for terminal in (client, second):
            assert "10:00 · Sie" in history(terminal)
            assert f"{OWN_MARK}Guten Morgen" in history(terminal)
        await say(counsellor, "Das freut mich sehr!")
        for terminal in (client, second):
            await shown_as_sent(terminal, "Das freut mich sehr!")
            assert "Genesungsberater/in bernd" in history(terminal)
            assert f"{OWN_MARK}Das freut" not in history(terminal)
        # Europe/Berlin: the frozen clock says 09:00 UTC, which is 10:00 in Berlin in November.
        assert "28.11.2026 10:00" in client.text()
        assert await stored_texts(wardroom.services) == [
            "Guten Morgen, heute geht es mir besser.", "Das freut mich sehr!"]
        await counsellor.close()  # the counsellor's presence goes with the session
        await client.wait_for("ist gerade nicht im Zimmer")
    finally:
        for terminal in (client, counsellor, second):
            await terminal.close()


async def test_ending_a_booking_removes_the_counsellor_at_once(wardroom):
    office, booking = await make_booking(wardroom)
    client = await open_as_client(wardroom)
    counsellor = await open_as_counsellor(wardroom)
    try:
        await wardroom.services.bookings.end(office, booking.id)
        screen = await counsellor.wait_for("keinen Zugriff mehr", timeout=1.5)
        assert ROOM_OF_COUNSELLOR not in screen and DASHBOARD in screen
        await client.wait_for("nur noch lesbar")
        # The notice wraps, and its second line (with the date) may come in a later write.
        await client.wait_for("23.01.2027")  # deletion date: end + 56 days, shown in the room
    finally:
        await client.close()
        await counsellor.close()


async def test_the_booking_timer_ends_access_when_the_end_passes(wardroom):
    _office, booking = await make_booking(wardroom, weeks=1)
    counsellor = await open_as_counsellor(wardroom)
    try:
        wardroom.clock.set(booking.ends_at + timedelta(seconds=1))
        assert await wardroom.services.booking_timer.check_now() == 1
        await counsellor.wait_for("keinen Zugriff mehr", timeout=1.5)
    finally:
        await counsellor.close()


async def test_dashboard_counts_unread_and_rings_without_showing_text(wardroom):
    office, _booking = await make_booking(wardroom)
    await wardroom.add_account("paula", Role.CLIENT)
    other = await wardroom.services.bookings.create(office, "paula", "bernd", weeks=2)
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    try:
        await counsellor.wait_for("paula")
        paula = await account_named(wardroom.services.accounts, "paula")
        mark = len(counsellor.raw)
        await post_as(wardroom.services, paula, other.id, "Ein ganz privater Satz")
        await asyncio.sleep(0.3)
        assert b"\x07" in counsellor.raw[mark:]
        screen = counsellor.text()
        assert "privater Satz" not in screen
        paula_row = next(line for line in screen.splitlines() if "paula" in line)
        assert paula_row.rstrip().endswith("1")
    finally:
        await counsellor.close()


async def test_the_dashboard_under_an_open_room_is_handed_only_other_rooms_messages(wardroom):
    office, booking = await make_booking(wardroom)
    await wardroom.add_account("paula", Role.CLIENT)
    other = await wardroom.services.bookings.create(office, "paula", "bernd", weeks=2)
    counsellor = await open_as_counsellor(wardroom)
    try:
        (session,) = wardroom.server.sessions
        dashboard = session.app.screen_stack[-2]
        handed: list[object] = []
        post = dashboard.post_message
        dashboard.post_message = lambda message: handed.append(message) or post(message)
        klara = await account_named(wardroom.services.accounts, "klara")
        paula = await account_named(wardroom.services.accounts, "paula")
        await post_as(wardroom.services, klara, booking.id, "Im offenen Zimmer")
        await counsellor.wait_for("Im offenen Zimmer")
        await say(counsellor, "Antwort aus dem Zimmer")
        await shown_as_sent(counsellor, "Antwort aus dem Zimmer")
        assert [m for m in handed if isinstance(m, HubEvent)] == []
        mark = len(counsellor.raw)
        await post_as(wardroom.services, paula, other.id, "Aus dem anderen Zimmer")
        for _ in range(100):
            if b"\x07" in counsellor.raw[mark:]:
                break
            await asyncio.sleep(0.05)
        assert [m.event.booking_id for m in handed if isinstance(m, HubEvent)] == [other.id]
        counsellor.send("\x1b")
        await counsellor.wait_for(DASHBOARD)
        screen = counsellor.text()
        rows = {name: next(line for line in screen.splitlines() if name in line)
                for name in ("klara", "paula")}
        assert rows["paula"].rstrip().endswith("1")
        assert rows["klara"].rstrip().endswith("–")
    finally:
        await counsellor.close()


async def test_history_loads_older_pages_on_scroll_up_never_the_whole_room(wardroom):
    _office, booking = await make_booking(wardroom)
    klara = await account_named(wardroom.services.accounts, "klara")
    for n in range(120):
        await post_as(wardroom.services, klara, booking.id, f"Nachricht {n:03d}")
    client = await open_as_client(wardroom)
    try:
        await client.wait_for("Nachricht 119")
        (session,) = wardroom.server.sessions
        log = session.app.screen.query_one(MessageLog)
        assert log.message_count == 50  # one page, not the room
        for _ in range(200):
            if "Nachricht 000" in client.text():
                break
            client.send("\x1b[5~")  # page up
            await asyncio.sleep(0.05)
        await client.wait_for("Nachricht 000")
        assert log.message_count == 120
    finally:
        await client.close()


async def test_dashboard_counts_a_message_typed_in_a_session_of_the_same_process(wardroom):
    # Both sessions run in this one server process, as always under `--workers 1`: the hub calls
    # the dashboard's listener inside the client's send, where Textual's active app is the
    # client's. The dashboard must still count the message as someone else's.
    await make_booking(wardroom)
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    client = await open_as_client(wardroom)
    try:
        await counsellor.wait_for("klara")
        mark = len(counsellor.raw)
        await say(client, "Ich bin heute sehr müde.")
        await shown_as_sent(client, "sehr müde")
        # The bell rings as the count changes; the row is repainted once the count is read.
        for _ in range(200):
            screen = counsellor.text()
            klara_row = next(line for line in screen.splitlines() if "klara" in line)
            if b"\x07" in counsellor.raw[mark:] and klara_row.rstrip().endswith("1"):
                break
            await asyncio.sleep(0.05)
        assert b"\x07" in counsellor.raw[mark:]
        assert "müde" not in screen
        assert klara_row.rstrip().endswith("1"), screen
    finally:
        await client.close()
        await counsellor.close()
