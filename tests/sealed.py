"""Tests act in rooms as their participants do: with the keys the participant's password opens."""

from __future__ import annotations

from store.accounts import Account
from store.rooms import Message
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
