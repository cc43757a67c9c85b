"""`ssh register@HOST`: a new client account with the notice accepted; names and rate limited."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncssh

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.sealed import past_the_recovery_code
from tests.sshclient import TerminalClient, connect

FORM = "Registrierung"
NOTICE = "Datenschutzhinweise lesen und annehmen"
NEW_PASSWORD = "ein-gutes-passwort"


async def fill_form(visitor: TerminalClient, name: str, password: str = NEW_PASSWORD,
                    repeat: str | None = None, request: str = "") -> None:
    await visitor.wait_for(FORM)
    for value in (name, password, password if repeat is None else repeat, request):
        await visitor.type(value)
        visitor.send("\r")
        await asyncio.sleep(0.25)  # Enter moves the focus on; a person never types faster


async def test_register_accept_and_continue_as_the_new_client(wardroom):
    visitor = await connect(wardroom.port, "register", "")
    try:
        screen = await visitor.wait_for(FORM)
        for asked_for_too_much in ("E-Mail-Adresse:", "Anschrift:", "Vorname", "Nachname"):
            assert asked_for_too_much not in screen
        await fill_form(visitor, "neu.klientin", request="Ich suche Begleitung nach der Reha.")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        screen = await visitor.wait_for("Ihre offenen Anliegen")
        assert "Ich suche Begleitung nach der Reha." in screen
        assert "neu.klientin" in screen
    finally:
        await visitor.close()
    services = wardroom.services
    account = await account_named(services.accounts, "neu.klientin")
    assert account.role is Role.CLIENT
    assert await services.policy.pending_for(account) is None  # acceptance recorded
    assert await services.accounts.check_password("neu.klientin", NEW_PASSWORD)
    assert [r.body for r in await services.requests.own(account)] == [
        "Ich suche Begleitung nach der Reha."]


async def test_declining_the_notice_creates_nothing(wardroom):
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "zoegernd")
        await visitor.wait_for(NOTICE)
        visitor.send("\x1b")
        await visitor.wait_for(FORM)
    finally:
        await visitor.close()
    assert await wardroom.services.accounts.by_username("zoegernd") is None


async def retry(visitor: TerminalClient, *values: str) -> None:
    """After a refusal the emptied field has the cursor: type into it and the ones after."""
    for value in values:
        await visitor.type(value)
        visitor.send("\r")
        await asyncio.sleep(0.25)


async def test_taken_reserved_and_bad_names_and_passwords(wardroom):
    await wardroom.add_account("klara", Role.CLIENT)
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "klara")
        await visitor.wait_for(NOTICE)  # whether a name is taken shows only after the notice
        visitor.send("a")
        await visitor.wait_for("nicht verfügbar")
        await retry(visitor, "root", "", "", "")  # reserved: "not available", like taken
        await visitor.wait_for("nicht verfügbar")
        await retry(visitor, "Klara Müller", "", "", "")
        await visitor.wait_for("Vorschlag: klara.mueller")
        await retry(visitor, "frei.name", "", "", "")  # typed over the suggestion
        await visitor.wait_for(NOTICE)  # the remaining fields were kept and are fine
        (session,) = wardroom.server.sessions
        form = session.app.screen_stack[-2]
        assert form.query_one("#username").value == "frei.name"
        visitor.send("\x1b")
        await visitor.wait_for(FORM)
    finally:
        await visitor.close()
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "frei.name", password="kurz", repeat="kurz")
        await visitor.wait_for("zu kurz")
        await retry(visitor, NEW_PASSWORD, "etwas-anderes!", "")
        await visitor.wait_for("stimmen nicht überein")
    finally:
        await visitor.close()
    assert [a.username for a in await wardroom.services.accounts.list()] == ["klara"]


async def test_registrations_are_limited_per_address(wardroom):
    for _ in range(3):
        assert wardroom.server.registrations.claim("127.0.0.1")
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "vierte")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await visitor.wait_for("in der letzten Stunde")
        assert await wardroom.services.accounts.by_username("vierte") is None
        wardroom.clock.advance(timedelta(hours=1))
        visitor.send("\r")  # the request field still has focus: submitting again goes on
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        await visitor.wait_for("Sie haben noch keine Beratung")
    finally:
        await visitor.close()
    assert await wardroom.services.accounts.by_username("vierte") is not None
    assert wardroom.server.registrations.claim("10.0.0.7")  # other addresses are unaffected


async def _name_refused(wardroom) -> None:
    """Until the form is back with its name field emptied (the screen said "not available"
    before already, so the screen alone cannot tell)."""
    (session,) = wardroom.server.sessions
    for _ in range(200):
        screen = session.app.screen
        if screen.SCREEN_NAME == "register" and not screen.query_one("#username").value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the name was not refused")


async def test_staff_and_counsellor_names_cost_a_registration_to_probe(wardroom):
    """Regression (audit): the form said at once that a staff or counsellor name exists. Now
    the answer comes only for the whole form and takes one of the address's registrations,
    the same for a taken name as for a free one, so probing is as rare as registering."""
    await wardroom.add_account("boss", Role.ADMIN)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    assert wardroom.server.registrations.claim("127.0.0.1")  # one of the hour's three is used
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "boss")
        screen = await visitor.wait_for(NOTICE)  # no answer about the name yet
        assert "nicht verfügbar" not in screen
        visitor.send("a")
        await visitor.wait_for("nicht verfügbar")
        await retry(visitor, "bernd", "", "", "")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await _name_refused(wardroom)
        await retry(visitor, "niemand.da", "", "", "")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await visitor.wait_for("in der letzten Stunde")  # three answers were the hour's
    finally:
        await visitor.close()
    assert await wardroom.services.accounts.by_username("niemand.da") is None
    assert not wardroom.server.registrations.claim("127.0.0.1")


async def test_register_is_refused_when_registration_is_off(wardroom):
    wardroom.settings.registration = False
    try:
        await connect(wardroom.port, "register", "")
    except (OSError, asyncssh.Error):  # any refusal of the login is the point
        return
    raise AssertionError("register logged in although registration is off")


async def test_a_session_that_registered_ends_when_its_account_is_disabled(wardroom):
    """The new account's session follows the account like any login does."""
    admin = await wardroom.add_account("staff", Role.ADMIN)
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "neu.klient")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        await visitor.wait_for("neu.klient")
        await wardroom.services.account_admin.disable(admin, "neu.klient")
        await visitor.wait_closed(timeout=10)
    finally:
        await visitor.close()
