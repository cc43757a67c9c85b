"""Type-ahead in forms over real SSH: a whole form sent in one write lands field by field, so a
password typed ahead never shows in clear in a visible field."""

from __future__ import annotations

import asyncio

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.e2e.test_registration import FORM, NOTICE, fill_form
from tests.sealed import past_the_recovery_code
from tests.sshclient import TerminalClient, connect

SECRET = "Vorausgetippt-7Qz"


def _seen(client: TerminalClient) -> str:
    """Everything the server ever drew, not only the last frame: a flash of the password in
    a visible field counts too."""
    return bytes(client.raw).decode("utf-8", "replace") + client.text()


async def _wait_without_secret(client: TerminalClient, needle: str) -> None:
    """Wait for `needle`, checking every frame on the way that the password never showed."""
    for _ in range(300):
        if SECRET in _seen(client):
            raise AssertionError(f"the password was shown in clear:\n{client.text()}")
        if needle in client.text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} not on screen:\n{client.text()}")


async def test_whole_registration_in_one_write(wardroom):
    visitor = await connect(wardroom.port, "register", "")
    try:
        await visitor.wait_for(FORM)
        visitor.send(f"eilig\r{SECRET}\r{SECRET}\rBitte bald.\r")
        await _wait_without_secret(visitor, NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        await _wait_without_secret(visitor, "Ihre offenen Anliegen")
    finally:
        await visitor.close()
    services = wardroom.services
    account = await account_named(services.accounts, "eilig")
    assert await services.accounts.check_password("eilig", SECRET)
    assert [r.body for r in await services.requests.own(account)] == ["Bitte bald."]


async def test_retry_after_a_mismatch_in_one_write(wardroom):
    """After a refusal the screen puts the cursor into the emptied password field; typing the
    rest ahead from there lands field by field too."""
    visitor = await connect(wardroom.port, "register", "")
    try:
        await fill_form(visitor, "eilig", password="ein-gutes-passwort", repeat="ein-anderes")
        await visitor.wait_for("stimmen nicht überein")
        visitor.send(f"{SECRET}\r{SECRET}\r\r")
        await _wait_without_secret(visitor, NOTICE)
        visitor.send("a")
        await past_the_recovery_code(visitor)
        await _wait_without_secret(visitor, "Sie haben noch keine Beratung")
    finally:
        await visitor.close()
    assert await wardroom.services.accounts.check_password("eilig", SECRET)


async def test_forced_password_change_in_one_write(wardroom):
    await wardroom.add_account("anna", Role.CLIENT, must_change_password=True)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("Einmal-Passwort")
        client.send(f"{SECRET}\r{SECRET}\r")
        await _wait_without_secret(client, "Ihr Anliegen")
    finally:
        await client.close()
    account = await wardroom.services.accounts.check_password("anna", SECRET)
    assert account is not None and not account.must_change_password
