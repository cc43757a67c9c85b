"""The client's profile over real SSH: the retention window with its consequence shown before
saving, and the language choice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import TerminalClient, connect

UP, TAB, ENTER, ESC = "\x1b[A", "\t", "\r", "\x1b"


async def _client_with_ended_booking(wardroom, ended_days_ago: int):
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    booking = await wardroom.services.bookings.create(office, "klara", "bernd", weeks=1)
    wardroom.clock.set(booking.ends_at + timedelta(days=ended_days_ago))
    return booking


async def _open_profile(wardroom, size=(80, 24)) -> TerminalClient:
    client = await connect(wardroom.port, "klara", PASSWORD, size=size)
    await client.wait_for("Profil")  # the key in the home screen's footer
    await client.type("p")
    await client.wait_for("Wie lange Ihre beendeten")
    return client


async def _press(client: TerminalClient, *keys: str) -> None:
    for key in keys:
        await client.type(key)


async def test_consequence_is_shown_before_saving(wardroom):
    booking = await _client_with_ended_booking(wardroom, ended_days_ago=15)
    client = await _open_profile(wardroom, size=(100, 40))
    try:
        # 8 weeks is selected: the room stays until end + 56 days (Berlin dates)
        await client.wait_for("wird am 30.01.2027 gelöscht")
        await client.wait_for("Das ist Ihre aktuelle Einstellung.")
        await _press(client, UP, ENTER)  # 3 weeks
        await client.wait_for("wird am 26.12.2026 gelöscht")
        await _press(client, UP, ENTER)  # 14 days: already past for this room
        screen = await client.wait_for("wird sofort beim Speichern gelöscht")
        assert "Speichern und 1 Zimmer sofort löschen" in screen
        # shown, not done: nothing has changed yet
        assert await wardroom.services.bookings.get(booking.id) is not None
        row = await wardroom.services.db.fetchone(
            "SELECT retention_days FROM account WHERE username = 'klara'")
        assert row[0] is None

        await _press(client, TAB, ENTER)
        await client.wait_for("Gespeichert: Beendete Stationszimmer werden jetzt nach 14 Tagen")
        assert await wardroom.services.bookings.get(booking.id) is None
        row = await wardroom.services.db.fetchone(
            "SELECT retention_days FROM account WHERE username = 'klara'")
        assert row[0] == 14
    finally:
        await client.close()


async def test_language_choice_applies_from_the_next_screen(wardroom):
    await _client_with_ended_booking(wardroom, ended_days_ago=1)
    client = await _open_profile(wardroom, size=(100, 40))
    try:
        # retention radio set, its save button, language radio set: always the same order
        await _press(client, TAB, TAB, "\x1b[B", ENTER, TAB, ENTER)
        await client.wait_for("Language saved.")
        row = await wardroom.services.db.fetchone(
            "SELECT language FROM account WHERE username = 'klara'")
        assert row[0] == "en"
        await _press(client, ESC)
        await client.wait_gone("Sprache speichern")  # back home, which kept its language
        await _press(client, "p")
        await client.wait_for("Your profile")
        await client.wait_for("How long your ended ward rooms are kept")
    finally:
        await client.close()


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_profile_fits_small_and_large_terminals(wardroom, size):
    await _client_with_ended_booking(wardroom, ended_days_ago=3)
    client = await _open_profile(wardroom, size=size)
    try:
        screen = await client.wait_for("Zurück")  # the footer is on screen
        lines = screen.splitlines()
        assert "Ihr Profil" in lines[0] and "klara" in lines[0]
        assert "14 Tage" in screen
        assert all(len(line.rstrip()) <= size[0] for line in lines)
    finally:
        await client.close()


async def test_saving_answers_beside_the_button_in_view_at_80x24(wardroom):
    await _client_with_ended_booking(wardroom, ended_days_ago=1)
    client = await connect(wardroom.port, "klara", PASSWORD, env={"NO_COLOR": "1"})
    try:
        await client.wait_for("Profil")
        await client.type("p")
        screen = await client.wait_for("▐●▌ 8 Wochen")  # the choice, without colour
        assert "▐ ▌ 14 Tage" in screen
        await _press(client, UP, ENTER)
        await client.wait_for("▐●▌ 3 Wochen")
        await _press(client, TAB, ENTER)
        lines = (await client.wait_for("Gespeichert:")).splitlines()
        said = next(i for i, line in enumerate(lines) if "Gespeichert:" in line)
        button = next(i for i, line in enumerate(lines) if "Speicherdauer speichern" in line)
        assert button - 1 <= said <= button  # beside the button (3 rows high), on screen
    finally:
        await client.close()


async def test_tab_order_stays_and_enter_on_save_never_reaches_the_erasure(wardroom):
    await _client_with_ended_booking(wardroom, ended_days_ago=1)
    client = await _open_profile(wardroom)
    try:
        (session,) = wardroom.server.sessions
        screen = session.app.screen
        assert [w.id for w in screen.focus_chain] == ["profile-body",
            "retention", "save-retention", "language", "save-language", "erasure"]
        await _press(client, TAB, ENTER)  # nothing changed: said so, focus stays
        await client.wait_for("Das ist Ihre aktuelle Einstellung.", timeout=5)
        await _press(client, ENTER)
        await client.wait_for("Das ist Ihre aktuelle Einstellung.")
        assert session.app.screen is screen
        assert session.app.focused is not None and session.app.focused.id == "save-retention"
    finally:
        await client.close()
