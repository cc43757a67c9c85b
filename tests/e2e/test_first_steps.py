"""A new client's first minutes (issue 16): registering with a name like "Jürgen", being told how
to come back with the real address, waiting for a match, choosing a password after a one-time
one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.test_registration import NOTICE, fill_form, retry
from tests.sealed import past_the_recovery_code
from tests.sshclient import connect

ADDRESS = "beratung.example:2222"


@pytest.mark.settings(public_address=ADDRESS)
async def test_registering_juergen_ends_with_how_to_log_in_next_time(wardroom):
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "Jürgen")
        await visitor.wait_for("Vorschlag: juergen")
        (session,) = wardroom.server.sessions
        assert session.app.screen.query_one("#username", Input).value == "juergen"
        await retry(visitor, "", "", "", "")  # Enter takes the suggestion, the rest is kept
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        screen = await visitor.wait_for("Nächstes Mal melden Sie sich so an")
        # the command on a line of its own, to copy or write down whole
        assert "ssh -p 2222 juergen@beratung.example" in [line.strip() for line in
                                                          screen.splitlines()]
        assert "…@…" not in screen
    finally:
        await visitor.close()
    assert await wardroom.services.accounts.by_username("juergen") is not None


async def test_the_waiting_clients_overview_is_about_the_request(wardroom):
    office = await wardroom.add_account("office", Role.ADMIN)
    klara = await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    long_request = ("Nach drei Wochen Klinik bin ich wieder zu Hause und merke, dass mir der "
                    "Alltag schwerer fällt als gedacht, vor allem am Abend.")
    await wardroom.services.requests.file(klara, long_request)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        screen = await client.wait_for("Ihre offenen Anliegen")
        assert screen.splitlines()[0].startswith("wardroom · Ihr Anliegen")
        assert "Zimmer öffnen" not in screen
        assert "vor allem am Abend." in " ".join(screen.split())  # wrapped, not cut
        client.send("\r")  # no room: Enter does nothing
        await wardroom.services.bookings.create(office, "klara", "bernd", weeks=2,
                                                start=wardroom.clock.now() + timedelta(days=1))
        screen = await client.wait_for("Zimmer öffnen")
        assert screen.splitlines()[0].startswith("wardroom · Ihr Stationszimmer")
    finally:
        await client.close()


async def test_a_refused_new_password_empties_both_fields(wardroom):
    await wardroom.add_account("anna", Role.CLIENT, must_change_password=True)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("Einmal-Passwort")
        client.send("ein-langes-passwort\rein-anderes-passwort\r")
        await client.wait_for("stimmen nicht überein")
        (session,) = wardroom.server.sessions
        fields = session.app.screen.query(Input)
        assert [f.value for f in fields] == ["", ""]
        assert session.app.focused is session.app.screen.query_one("#new")
        client.send("kurz\rkurz\r")
        await client.wait_for("zu kurz")
        assert [f.value for f in fields] == ["", ""]
    finally:
        await client.close()


@pytest.mark.settings(public_address=ADDRESS)
async def test_staff_commands_name_the_real_address(wardroom):
    await wardroom.add_account("ada", Role.ADMIN)
    admin = await connect(wardroom.port, "ada", PASSWORD, size=(100, 40))
    try:
        screen = await admin.wait_for("Befehle (")
        assert "ssh -p 2222 ada@beratung.example admin" in screen
    finally:
        await admin.close()
