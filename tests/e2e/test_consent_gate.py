"""The consent gate over real SSH: publish, next login shows the new text, decline, accept."""

from __future__ import annotations

import asyncio

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sealed import post_as
from tests.sshclient import connect, run_command

NEW_NOTICE = "# Datenschutzhinweise, Fassung 2\n\nDieser Satz steht nur in Fassung zwei.\n"
CONSENT_TITLE = "Neue Datenschutzhinweise"
CLIENT_HOME = "Ihr Anliegen"
# Keys that must not lead anywhere from the gate (F1 help and F2 notice show no personal data;
# the notice is tested apart).
PROBE_KEYS = ["\x1b", "\t", "\r", "q", "h", " ", "\x1b[Z", "\x1bOR", "\x1b[15~",
              "\x1b[17~", "\x1b[24~", "\x1b[A", "\x1b[B"]


async def _publish(wardroom, text: str = NEW_NOTICE, version: str = "2") -> None:
    await wardroom.add_account("office", Role.ADMIN)
    result = await run_command(wardroom.port, "office",
                               f"admin policy publish - --version {version}",
                               password=PASSWORD, stdin=text)
    assert result.exit_status == 0, result.stderr


async def _consent_state(services, account) -> tuple[list[tuple], list[tuple]]:
    acceptances = await services.db.fetchall(
        "SELECT version_id, accepted_at FROM policy_acceptance WHERE account_id = ?",
        (account.id,))
    audit = await services.db.fetchall("SELECT actor, action, target_ids FROM audit")
    return [tuple(r) for r in acceptances], [tuple(r) for r in audit]


async def test_publish_decline_then_accept(wardroom):
    carla = await wardroom.add_account("carla", Role.CLIENT)
    await _publish(wardroom)
    services = wardroom.services
    before = await _consent_state(services, carla)

    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        screen = await client.wait_for("Fassung zwei")
        assert CONSENT_TITLE in screen
        # Both keys in the footer, which may arrive in a later write than the notice.
        await client.wait_for("Annehmen")
        await client.wait_for("Ablehnen")
        for key in PROBE_KEYS:
            client.send(key)
        await asyncio.sleep(0.3)
        screen = client.text()
        assert CONSENT_TITLE in screen and CLIENT_HOME not in screen
        client.send("x")
        await client.wait_for("Hinweise abgelehnt")
        client.send("l")
        await client.wait_closed()
        farewell = client.raw.decode("utf-8", errors="replace")
        assert "nicht angenommen" in farewell
    finally:
        await client.close()
    assert await _consent_state(services, carla) == before
    assert (await services.policy.pending_for(carla)).label == "2"

    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        await client.wait_for("Fassung zwei")
        client.send("a")
        screen = await client.wait_for(CLIENT_HOME)
        assert CONSENT_TITLE not in screen
    finally:
        await client.close()
    assert await services.policy.pending_for(carla) is None
    accepted = await services.policy.accepted(carla)
    assert accepted is not None
    assert accepted.version == "2"
    assert accepted.accepted_at == "2026-11-28T09:00:00+00:00"

    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        screen = await client.wait_for(CLIENT_HOME)
        assert CONSENT_TITLE not in screen
    finally:
        await client.close()


async def test_notice_from_the_gate_returns_to_the_gate(wardroom):
    await wardroom.add_account("carla", Role.CLIENT)
    await _publish(wardroom)
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        await client.wait_for(CONSENT_TITLE)
        client.send("\x1bOQ")  # F2
        screen = await client.wait_gone(CONSENT_TITLE)
        assert "Fassung 2 vom 28.11.2026" in screen
        assert CLIENT_HOME not in screen
        client.send("\x1b")
        await client.wait_for(CONSENT_TITLE)
        # Any of the gate's other keys still leads nowhere but the gate.
        client.send("\t")
        await asyncio.sleep(0.2)
        assert CONSENT_TITLE in client.text()
    finally:
        await client.close()


async def test_every_role_meets_the_gate_first(wardroom):
    for name, role in (("carla", Role.CLIENT), ("conrad", Role.COUNSELLOR),
                       ("ada", Role.ADMIN)):
        await wardroom.add_account(name, role, accepted_policy=False)
        client = await connect(wardroom.port, name, PASSWORD)
        try:
            screen = await client.wait_for(CONSENT_TITLE)
            # Never accepted anything: the shipped notice, version 1, comes first.
            assert "Fassung 1" in screen
        finally:
            await client.close()


async def test_gate_comes_before_the_forced_password_change(wardroom):
    account = await wardroom.add_account("carla", Role.CLIENT, accepted_policy=False,
                                         must_change_password=True)
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        screen = await client.wait_for(CONSENT_TITLE)
        assert "Neues Passwort" not in screen
        client.send("a")
        await client.wait_for("Neues Passwort")
    finally:
        await client.close()
    assert (await wardroom.services.policy.accepted(account)).version == "1"


async def test_english_account_reads_the_english_notice(wardroom):
    await wardroom.add_account("erin", Role.CLIENT, accepted_policy=False, language="en")
    client = await connect(wardroom.port, "erin", PASSWORD, env={"LANG": "de_DE.UTF-8"})
    try:
        # Each waited for: the screen may be painted in more than one write.
        await client.wait_for("New privacy notice")
        await client.wait_for("Privacy notice for wardroom")
        await client.wait_for("Accept")
    finally:
        await client.close()


async def test_gate_hides_a_live_ward_room_until_accepted(wardroom):
    office = await wardroom.add_account("staff", Role.ADMIN)
    carla = await wardroom.add_account("carla", Role.CLIENT)
    await wardroom.add_account("conrad", Role.COUNSELLOR)
    booking = await wardroom.services.bookings.create(office, "carla", "conrad", weeks=4)
    await post_as(wardroom.services, carla, booking.id, "Nur im Stationszimmer zu lesen")
    await _publish(wardroom)
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        await client.wait_for(CONSENT_TITLE)
        for key in PROBE_KEYS:
            client.send(key)
        await asyncio.sleep(0.3)
        assert "Nur im Stationszimmer" not in client.text()
        assert "conrad" not in client.text()
        client.send("a")
        # With one active booking the client lands straight in its ward room.
        await client.wait_for("Nur im Stationszimmer zu lesen")
    finally:
        await client.close()


async def test_published_text_is_never_markup(wardroom):
    hostile = ("# Fassung 2\n\nKlick [@click=app.quit]hier[/] und [/] und \x1b[2J weiter.\n\n"
               "[Verweis](https://example.org) bleibt Text.\n")
    await wardroom.add_account("carla", Role.CLIENT)
    await _publish(wardroom, text=hostile)
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        screen = await client.wait_for("Fassung 2 vom")
        assert "[@click=app.quit]hier[/] und [/]" in screen
        assert "\ufffd[2J weiter." in screen
        assert not client.closed.is_set()
    finally:
        await client.close()


async def test_the_whole_notice_can_be_read_at_the_gate(wardroom):
    await wardroom.add_account("carla", Role.CLIENT, accepted_policy=False)
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        screen = await client.wait_for(CONSENT_TITLE)
        assert "12. Fragen" not in screen
        client.send("\x1b[F")  # End: the last section comes into view
        screen = await client.wait_for("12. Fragen")
        assert CONSENT_TITLE in screen and "Annehmen" in screen
    finally:
        await client.close()
