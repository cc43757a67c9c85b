"""Language: German by default; a client's LANG chooses the first default, and registration
keeps it as the account's language; afterwards the account's setting wins."""

from __future__ import annotations

import asyncio

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.sshclient import connect


async def _register(wardroom, name: str, env: dict[str, str], form: str, notice: str) -> None:
    visitor = await connect(wardroom.port, "register", "", env=env)
    try:
        await visitor.wait_for(form)
        for value in (name, "ein-gutes-passwort", "ein-gutes-passwort", ""):
            await visitor.type(value)
            visitor.send("\r")
            await asyncio.sleep(0.25)
        await visitor.wait_for(notice)
        visitor.send("a")
        await visitor.wait_gone(notice)
        # The notice goes as the account is created; leaving before it is stored would
        # cancel the registration.
        for _ in range(200):
            if await wardroom.services.accounts.by_username(name) is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        await visitor.close()


async def test_lang_sets_the_language_a_new_account_keeps(wardroom):
    await _register(wardroom, "erin", {"LANG": "en_GB.UTF-8"}, "Registration",
                    "Read and accept the privacy notice")
    await _register(wardroom, "greta", {}, "Registrierung",
                    "Datenschutzhinweise lesen und annehmen")
    accounts = wardroom.services.accounts
    assert (await account_named(accounts, "erin")).language == "en"
    assert (await account_named(accounts, "greta")).language == "de"


async def test_account_language_wins_over_lang(wardroom):
    await wardroom.add_account("carla", Role.CLIENT)  # German, the default
    client = await connect(wardroom.port, "carla", PASSWORD, env={"LC_ALL": "en_US.UTF-8"})
    try:
        await client.wait_for("Abmelden")
    finally:
        await client.close()
    await wardroom.add_account("erin", Role.CLIENT, language="en")
    client = await connect(wardroom.port, "erin", PASSWORD, env={"LANG": "de_DE.UTF-8"})
    try:
        await client.wait_for("Log out")
    finally:
        await client.close()
