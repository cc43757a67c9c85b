"""Sealed rooms over real SSH: the recovery code shown once, a staff reset that reveals nothing,
and the two ways back (the recovery code, the other participant's explicit yes)."""

from __future__ import annotations

import json
import re

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import (
    ROOM_OF_CLIENT,
    ROOM_OF_COUNSELLOR,
    make_booking,
)
from tests.sealed import keys_of, post_as
from tests.sshclient import connect, run_command

SECRET = "Mein Geheimnis aus der ersten Woche"
NEW_PASSWORD = "mein-neues-passwort"
CODE = re.compile(r"\b([a-z2-9]{4}(?:-[a-z2-9]{4}){5})\b")


async def _chatted_and_reset(wardroom) -> tuple[object, str, str]:
    """klara wrote in her room; then staff reset her password. Returns the booking, the
    one-time password staff now know, and the recovery code klara was shown at the start."""
    office, booking = await make_booking(wardroom)
    klara = await wardroom.services.accounts.by_username("klara")
    code = await wardroom.services.account_keys.recovery_code(
        await keys_of(wardroom.services, klara))
    await post_as(wardroom.services, klara, booking.id, SECRET)
    one_time = await wardroom.services.account_admin.reset_password(office, "klara")
    assert code is not None and one_time is not None
    return booking, one_time, code


async def _past_the_forced_change(wardroom, one_time: str, name: str = "klara"):
    client = await connect(wardroom.port, name, one_time)
    await client.wait_for("Einmal-Passwort")
    await client.type(NEW_PASSWORD)
    client.send("\r")
    await client.type(NEW_PASSWORD)
    client.send("\r")
    return client


async def test_a_new_client_is_shown_the_recovery_code_once(wardroom):
    office = await wardroom.add_account("office", Role.ADMIN)
    account, one_time = await wardroom.services.account_admin.add(office, "neu", Role.CLIENT)
    assert one_time is not None
    await wardroom.services.policy.accept(account, await wardroom.services.policy.current())
    client = await _past_the_forced_change(wardroom, one_time, "neu")
    try:
        screen = await client.wait_for("Ihr Wiederherstellungscode")
        shown = CODE.search(screen)
        assert shown is not None, screen
        client.send("\r")  # "Ich habe den Code notiert"
        await client.wait_gone("Ihr Wiederherstellungscode")
    finally:
        await client.close()
    neu = await wardroom.services.accounts.by_username("neu")
    keys = await keys_of(wardroom.services, neu, NEW_PASSWORD)
    assert await wardroom.services.account_keys.recovery_code(keys) == shown.group(1)
    again = await connect(wardroom.port, "neu", NEW_PASSWORD)
    try:
        await again.wait_for("Abmelden")  # a home screen's footer
        assert "Wiederherstellungscode" not in again.text()
    finally:
        await again.close()


async def test_after_a_staff_reset_nothing_earlier_shows_until_the_recovery_code(wardroom):
    booking, one_time, code = await _chatted_and_reset(wardroom)
    klara = await wardroom.services.accounts.by_username("klara")

    # The export with the one-time password: nothing of the room, listed as sealed.
    exported = await run_command(wardroom.port, "klara", "export", password=one_time)
    assert SECRET not in exported.stdout

    client = await _past_the_forced_change(wardroom, one_time)
    try:
        screen = await client.wait_for("zurückgesetzt")
        assert SECRET not in screen
        client.send("\x1b")  # later: the new pair's recovery code comes next, once
        await client.wait_for("Ihr Wiederherstellungscode")
        client.send("\r")
        await client.wait_for(ROOM_OF_CLIENT)
        await client.wait_for("verschlossen")
        assert SECRET not in client.text()
    finally:
        await client.close()
    data = json.loads((await run_command(wardroom.port, "klara", "export",
                                         password=NEW_PASSWORD)).stdout)
    assert data["messages"] == [] and data["sealed_rooms"][0]["booking"] == booking.id

    keys = await keys_of(wardroom.services, klara, NEW_PASSWORD)
    assert await wardroom.services.account_keys.recover(keys, code) == 1
    client = await connect(wardroom.port, "klara", NEW_PASSWORD)
    try:
        await client.wait_for(SECRET)
    finally:
        await client.close()


async def test_the_recovery_gate_reopens_the_room_with_the_code(wardroom):
    _booking, one_time, code = await _chatted_and_reset(wardroom)
    client = await _past_the_forced_change(wardroom, one_time)
    try:
        await client.wait_for("zurückgesetzt")
        await client.type(code.upper().replace("-", " "))
        client.send("\r")
        await client.wait_for(ROOM_OF_CLIENT)
        await client.wait_for(SECRET)
    finally:
        await client.close()


async def test_the_counsellor_gives_access_back_only_with_an_explicit_yes(wardroom):
    booking, one_time, _code = await _chatted_and_reset(wardroom)
    klara = await wardroom.services.accounts.by_username("klara")
    client = await _past_the_forced_change(wardroom, one_time)
    await client.wait_for("zurückgesetzt")
    client.send("\x1b")
    await client.wait_for("Ihr Wiederherstellungscode")
    client.send("\r")
    await client.wait_for("verschlossen")
    await client.close()

    counsellor = await _open_over_the_question(wardroom)
    try:
        assert "klara" in counsellor.text()
        counsellor.send("\r")  # Enter lands on "Nein": nothing changes
        await counsellor.wait_gone("Zugang wieder erlauben?")
    finally:
        await counsellor.close()
    keys = await keys_of(wardroom.services, klara, NEW_PASSWORD)
    assert await wardroom.services.room_keys.open(keys, booking.id) is None

    # klara waits in her locked room; the counsellor's yes opens it there at once.
    client = await connect(wardroom.port, "klara", NEW_PASSWORD)
    await client.wait_for("zurückgesetzt")  # the offer comes at every login while locked
    client.send("\x1b")
    await client.wait_for(ROOM_OF_CLIENT)
    counsellor = await _open_over_the_question(wardroom)
    try:
        counsellor.send("\t")  # to "Ja, erlauben"
        counsellor.send("\r")
        await counsellor.wait_for("kann dieses Zimmer jetzt wieder lesen")
        await counsellor.wait_for(ROOM_OF_COUNSELLOR)
        await client.wait_for(SECRET)
        await client.wait_gone("verschlossen")  # the explanation goes with it
    finally:
        await counsellor.close()
        await client.close()


async def _open_over_the_question(wardroom):
    """The counsellor opens the room, which asks about klara's access at once."""
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    await counsellor.wait_for("klara")
    counsellor.send("\r")
    await counsellor.wait_for("Zugang wieder erlauben?")
    return counsellor


async def test_a_reset_ends_the_accounts_live_sessions(wardroom):
    office, _booking = await make_booking(wardroom)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await client.wait_for(ROOM_OF_CLIENT)
        await wardroom.services.account_admin.reset_password(office, "klara")
        await client.wait_closed()
    finally:
        await client.close()
