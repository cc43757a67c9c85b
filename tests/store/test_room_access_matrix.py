"""Who may read a room, post, list the booking and read its request, in every booking state.

The table is the rule; each cell is one test that acts through the real services.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.errors import Invalid, NotFound, NotPermitted
from store.services import Services
from tests.conftest import PASSWORD, START
from tests.sealed import history_as, post_as

ACTORS = ("client", "other_client", "counsellor", "other_counsellor", "admin")
STATES = ("before_start", "active", "ended", "deleted")
Y, N = True, False

# actor -> action -> outcome per state (before_start, active, ended, deleted)
EXPECTED: dict[str, dict[str, tuple[bool, bool, bool, bool]]] = {
    "client": {
        "read_room":    (N, Y, Y, N),
        "post":         (N, Y, N, N),
        "list_booking": (Y, Y, Y, N),
        "request_text": (Y, Y, Y, N),
    },
    "other_client": {
        "read_room":    (N, N, N, N),
        "post":         (N, N, N, N),
        "list_booking": (N, N, N, N),
        "request_text": (N, N, N, N),
    },
    "counsellor": {
        "read_room":    (N, Y, N, N),
        "post":         (N, Y, N, N),
        "list_booking": (N, Y, N, N),
        "request_text": (N, N, N, N),
    },
    "other_counsellor": {
        "read_room":    (N, N, N, N),
        "post":         (N, N, N, N),
        "list_booking": (N, N, N, N),
        "request_text": (N, N, N, N),
    },
    "admin": {
        "read_room":    (N, N, N, N),
        "post":         (N, N, N, N),
        "list_booking": (Y, Y, Y, N),
        "request_text": (Y, Y, Y, N),
    },
}

BOOKING_START = START + timedelta(days=1)
MOMENT = {
    "before_start": START,
    "active": BOOKING_START + timedelta(hours=1),
    "ended": BOOKING_START + timedelta(weeks=1, days=1),
    # default retention: 56 days after the end
    "deleted": BOOKING_START + timedelta(weeks=1, days=57),
}

CASES = [
    pytest.param(actor, action, state, EXPECTED[actor][action][i],
                 id=f"{actor}-{action}-{state}")
    for actor in ACTORS for action in EXPECTED[actor] for i, state in enumerate(STATES)
]


async def _world(services: Services):
    accounts = {
        "client": Role.CLIENT, "other_client": Role.CLIENT, "counsellor": Role.COUNSELLOR,
        "other_counsellor": Role.COUNSELLOR, "admin": Role.ADMIN,
    }
    made = {key: await services.accounts.create(key.replace("_", "-"), role, PASSWORD)
            for key, role in accounts.items()}
    request = await services.requests.file(made["client"], "Nach der Reha brauche ich Halt.")
    booking = await services.bookings.create(made["admin"], "client", "counsellor", weeks=1,
                                             start=BOOKING_START, request_id=request.id)
    return made, booking, request


async def _attempt(services: Services, actor, action: str, booking, request) -> bool:
    try:
        if action == "read_room":
            await history_as(services, actor, booking.id)
        elif action == "post":
            await post_as(services, actor, booking.id, "Guten Morgen")
        elif action == "list_booking":
            return booking.id in [b.id for b in await services.bookings.for_actor(actor)]
        elif action == "request_text":
            return (await services.requests.read(actor, request.id)).body.startswith("Nach")
    except (NotFound, NotPermitted, Invalid):
        return False
    return True


@pytest.mark.parametrize(("actor", "action", "state", "allowed"), CASES)
async def test_access_matrix(services, clock, actor, action, state, allowed):
    accounts, booking, request = await _world(services)
    clock.set(MOMENT[state])
    assert booking.state(clock.now()).value == {"deleted": "due"}.get(state, state)
    assert await _attempt(services, accounts[actor], action, booking, request) is allowed


async def test_denied_post_stores_nothing(services, clock):
    accounts, booking, _request = await _world(services)
    clock.set(MOMENT["active"])
    for name in ("other_client", "other_counsellor", "admin"):
        with pytest.raises((NotFound, NotPermitted)):
            await post_as(services, accounts[name], booking.id, "hineingeschmuggelt")
    row = await services.db.fetchone("SELECT count(*) FROM message")
    assert row[0] == 0


async def test_mark_read_checks_access(services, clock):
    accounts, booking, _request = await _world(services)
    clock.set(MOMENT["active"])
    message = await post_as(services, accounts["client"], booking.id, "Hallo")
    with pytest.raises(NotFound):
        await services.rooms.mark_read(accounts["other_counsellor"], booking.id, message.id)
