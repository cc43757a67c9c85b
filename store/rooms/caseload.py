"""The caseload at a glance for staff: open requests, counsellors' active bookings, endings soon.

Who and when only; never anything from a ward room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.rooms.booking import Booking, BookingState
from store.rooms.requests import Request

if TYPE_CHECKING:
    from store.services import Services

ENDING_SOON = timedelta(days=7)


@dataclass(frozen=True)
class CounsellorLoad:
    username: str
    active_bookings: int
    disabled: bool


@dataclass(frozen=True)
class Caseload:
    open_requests: list[Request]
    counsellors: list[CounsellorLoad]
    ending_soon: list[Booking]  # active bookings that end within ENDING_SOON, soonest first


async def caseload(services: Services, actor: Account) -> Caseload:
    require_scope(actor, Scope.MATCHING, "see the caseload")
    now = services.clock.now()
    active = [b for b in await services.bookings.for_actor(actor)
              if b.state(now) is BookingState.ACTIVE]
    counsellors = [
        CounsellorLoad(c.username, sum(b.counsellor_id == c.id for b in active), c.disabled)
        for c in await services.accounts.list(Role.COUNSELLOR)
    ]
    ending = sorted((b for b in active if b.ends_at <= now + ENDING_SOON),
                    key=lambda b: (b.ends_at, b.id))
    return Caseload(await services.requests.open_requests(actor), counsellors, ending)
