"""What a tired reader needs in the room (issue 16): whose message is whose without colour, what
to do in an empty room, and keys and presence still readable in a narrow window."""

from __future__ import annotations

from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import history, make_booking, open_as_client, say, shown_as_sent
from tests.sealed import post_as
from tests.sshclient import connect
from tui.widgets.room.message_log import OWN_MARK


async def test_an_empty_room_says_what_to_do_and_the_box_has_a_placeholder(wardroom):
    await make_booking(wardroom)
    client = await open_as_client(wardroom)
    try:
        screen = await client.wait_for("Noch keine Nachrichten – schreiben Sie unten")
        assert "Ihre Nachricht … (Eingabetaste sendet)" in screen
        await say(client, "Hallo")
        await shown_as_sent(client, "Hallo")
        await client.wait_gone("Noch keine Nachrichten")
        assert "Ihre Nachricht …" in client.text()  # the draft went: the box is empty again
    finally:
        await client.close()


async def test_own_messages_are_marked_without_colour(wardroom):
    _office, booking = await make_booking(wardroom)
    bernd = await account_named(wardroom.services.accounts, "bernd")
    await post_as(wardroom.services, bernd, booking.id, "Wie war Ihr Tag?")
    client = await connect(wardroom.port, "klara", PASSWORD, env={"NO_COLOR": "1"})
    try:
        await client.wait_for("Wie war Ihr Tag?")
        await say(client, "Ruhig, danke.")
        await shown_as_sent(client, "Ruhig, danke.")
        lines = history(client).splitlines()
        theirs = next(i for i, line in enumerate(lines) if "Wie war Ihr Tag?" in line)
        mine = next(i for i, line in enumerate(lines) if "Ruhig, danke." in line)
        assert "Genesungsberater/in bernd" in lines[theirs - 1]
        assert not lines[theirs].lstrip().startswith(OWN_MARK.strip())
        assert lines[mine - 1].strip().startswith(f"{OWN_MARK}28.11.2026 10:00 · Sie")
        assert lines[mine].strip().startswith(f"{OWN_MARK}Ruhig")
        assert b"\x1b[38;" not in client.raw and b"\x1b[48;" not in client.raw  # no colour
    finally:
        await client.close()


async def test_in_a_narrow_window_keys_and_presence_wrap_instead_of_being_cut(wardroom):
    await make_booking(wardroom)
    client = await connect(wardroom.port, "klara", PASSWORD, size=(50, 24))
    try:
        await client.wait_for("Stationszimmer mit bernd")
        await client.wait_for("Zimmer.")
        screen = await client.wait_for("F2 Datenschutz")  # on the footer's last row
        words = " ".join(screen.split())
        assert "bernd (Genesungsberater/in) ist gerade nicht im Zimmer." in words
        footer = " ".join(" ".join(screen.splitlines()[-3:]).split())
        for shown in ("Eingabe Senden", "Strg+J Neue Zeile", "Esc Zurück", "Strg+Q Abmelden",
                      "F1 Hilfe", "F2 Datenschutz"):
            assert shown in footer, screen
    finally:
        await client.close()


async def test_a_dashboard_too_narrow_for_its_table_asks_for_a_wider_window(wardroom):
    await make_booking(wardroom)
    counsellor = await connect(wardroom.port, "bernd", PASSWORD, size=(50, 24))
    try:
        screen = await counsellor.wait_for("zu schmal")
        words = " ".join(screen.split())
        assert "Bitte machen Sie es breiter: mindestens" in words
        counsellor.resize(80, 24)
        await counsellor.wait_gone("zu schmal")
        assert "Ungelesen" in counsellor.text()
    finally:
        await counsellor.close()
