"""Tests act in rooms as their participants do: with the keys the participant's password opens."""

from __future__ import annotations

from store.accounts.accounts import Account
from store.rooms.rooms import Message
from store.sealing.keyring import Keyring
from store.services import Services
from tests.conftest import PASSWORD


async def keys_of(services: Services, account: Account, password: str = PASSWORD) -> Keyring:
    login = await services.accounts.authenticate(account.username, password)
    assert login is not None, f"{account.username} could not log in"
    return login.keys


async def post_as(services: Services, account: Account, booking_id: int, text: str,
                  password: str = PASSWORD) -> Message:
    return await services.rooms.post(account, booking_id, text,
                                     await keys_of(services, account, password))


async def history_as(services: Services, account: Account, booking_id: int,
                     **options: int) -> list[Message]:
    return await services.rooms.history(account, booking_id,
                                        await keys_of(services, account), **options)


async def stored_texts(services: Services, client: str = "klara",
                       password: str = PASSWORD) -> list[str]:
    """Every message of the client's rooms as stored, oldest first, opened as the client opens
    them (the database itself holds only ciphertext)."""
    login = await services.accounts.authenticate(client, password)
    assert login is not None, f"{client} could not log in"
    texts: list[tuple[int, str]] = []
    for booking in await services.bookings.for_actor(login.account):
        async for page in services.rooms.pages(login.account, booking.id, login.keys, 500):
            texts.extend((m.id, m.body) for m in page)
    return [text for _id, text in sorted(texts)]


async def codes_noted(services: Services) -> None:
    """Every account has seen its recovery code already: for tests about what comes after
    (tests/e2e/test_sealed_rooms.py shows the code at a first login)."""
    await services.db.execute("UPDATE account_key SET recovery_code_shown = 1")


async def past_the_recovery_code(terminal) -> str:
    """A new client's next screen shows the recovery code once: note it (Enter). Returns it."""
    screen = await terminal.wait_for("Ihr Wiederherstellungscode")
    terminal.send("\r")
    await terminal.wait_gone("Ihr Wiederherstellungscode")
    return screen
