"""A client that disconnects while its session is busy: the session ends without a traceback.

Each test holds one database call of the session until the server has seen the client go, so
the session's next step runs in an app that is already exiting: the interleavings that logged
"No nodes match DataTable" on a busy server when a counsellor left straight after login.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import make_booking
from tests.sshclient import TerminalClient, connect

ROLES = [Role.CLIENT, Role.COUNSELLOR, Role.ADMIN]


class Held:
    """`owner.name` waits, once called, until `release()`; `called` is set when it is."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.called, self._answer = asyncio.Event(), asyncio.Event()
        real = getattr(owner, name)

        async def held(*args: Any) -> Any:
            self.called.set()
            await self._answer.wait()
            return await real(*args)

        monkeypatch.setattr(owner, name, held)

    def release(self) -> None:
        self._answer.set()


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def _leave_while_held(wardroom, client: TerminalClient, held: Held) -> None:
    """The client goes while `held` waits; once the app was told to exit, the call returns."""
    await asyncio.wait_for(held.called.wait(), 15)
    (session,) = wardroom.server.sessions
    await client.close()
    await _until(lambda: session.app.return_code is not None, "the app told to exit")
    held.release()
    await asyncio.wait_for(session.task, 15)
    assert not session.app.crashed


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("role", ROLES)
async def test_leaving_while_the_first_screen_is_chosen(wardroom, caplog, monkeypatch, role):
    await wardroom.add_account("berta", role)
    held = Held(monkeypatch, wardroom.services.policy, "pending_for")
    await _leave_while_held(wardroom, await connect(wardroom.port, "berta", PASSWORD), held)
    assert _errors(caplog) == []
    # Nobody saw the home screen: it is not counted as a view.
    await wardroom.services.statistics.settle()
    assert await wardroom.services.db.fetchall("SELECT screen FROM screen_view") == []


@pytest.mark.parametrize("role", ROLES)
async def test_leaving_while_the_home_screen_loads(wardroom, caplog, monkeypatch, role):
    await wardroom.add_account("berta", role)
    held = Held(monkeypatch, wardroom.services.bookings, "for_actor")
    await _leave_while_held(wardroom, await connect(wardroom.port, "berta", PASSWORD), held)
    assert _errors(caplog) == []


async def test_leaving_while_the_client_lands_in_her_room(wardroom, caplog, monkeypatch):
    _office, booking = await make_booking(wardroom)
    klara = await account_named(wardroom.services.accounts, "klara")
    held = Held(monkeypatch, wardroom.services.bookings, "for_actor")
    await _leave_while_held(wardroom, await connect(wardroom.port, "klara", PASSWORD), held)
    assert _errors(caplog) == []
    # The room never opened: she is not shown as present in it.
    assert not wardroom.services.presence.is_here(booking.id, klara.id)


async def test_leaving_while_the_privacy_notice_loads(wardroom, caplog, monkeypatch):
    await wardroom.add_account("berta", Role.CLIENT)
    client = await connect(wardroom.port, "berta", PASSWORD)
    await client.wait_for("berta")
    held = Held(monkeypatch, wardroom.services.policy, "current")
    client.send("\x1bOQ")  # F2
    await _leave_while_held(wardroom, client, held)
    assert _errors(caplog) == []


async def test_leaving_while_the_consent_is_stored(wardroom, caplog, monkeypatch):
    await wardroom.add_account("berta", Role.COUNSELLOR, accepted_policy=False)
    client = await connect(wardroom.port, "berta", PASSWORD)
    await client.wait_for("Annehmen")
    held = Held(monkeypatch, wardroom.services.policy, "accept")
    client.send("a")
    await _leave_while_held(wardroom, client, held)
    assert _errors(caplog) == []
