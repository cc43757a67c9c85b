"""Helpers for the retention, erasure and export tests: a small world and a byte scanner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.rooms.booking import Booking
from store.services import Services
from tests.conftest import PASSWORD
from tests.sealed import post_as

BOOKING_WEEKS = 1


@dataclass
class World:
    client: Account
    counsellor: Account
    admin: Account
    booking: Booking

    @property
    def ends(self) -> datetime:
        return self.booking.ends_at


async def make_world(services: Services, clock: FrozenClock, client: str = "klara",
                     counsellor: str = "berta", admin: str = "admin",
                     accepted_policy: bool = True) -> World:
    """A client and a counsellor with a one-week booking that starts now; the clock stays."""
    made = {}
    for name, role in ((client, Role.CLIENT), (counsellor, Role.COUNSELLOR), (admin, Role.ADMIN)):
        made[name] = (await services.accounts.by_username(name)
                      or await services.accounts.create(name, role, PASSWORD))
        # Each has seen its recovery code (a client's first login would show it).
        await services.db.execute("UPDATE account_key SET recovery_code_shown = 1"
                                  " WHERE account_id = ?", (made[name].id,))
        if accepted_policy:
            await services.policy.accept(made[name], await services.policy.current())
    booking = await services.bookings.create(made[admin], client, counsellor,
                                             weeks=BOOKING_WEEKS, start=clock.now())
    return World(made[client], made[counsellor], made[admin], booking)


def marker_text(token: str) -> str:
    """A message of at most 4,000 characters but more than 4 KB of UTF-8, so SQLite stores it
    across overflow pages, with the token at its start and (differently) at its end."""
    filler = "Müdigkeit – Ängste – Übelkeit – äöü ÄÖÜ. " * 100
    text = f"{token}-START {filler[:3900]} {token}-END"
    assert len(text) <= 4000 and len(text.encode("utf-8")) > 4096 + 512
    return text


def new_token() -> str:
    return "MARKER" + uuid.uuid4().hex.upper()


def db_files(db_path: Path) -> list[Path]:
    return [db_path, *(db_path.with_name(db_path.name + suffix)
                       for suffix in ("-wal", "-shm", "-journal"))]


def files_holding(db_path: Path, token: str) -> list[str]:
    """Names of the database files in which either end of the token's message still lies,
    as UTF-8 or UTF-16 (either byte order)."""
    needles = [f"{token}-{end}".encode(encoding) for end in ("START", "END")
               for encoding in ("utf-8", "utf-16-le", "utf-16-be")]
    return files_holding_bytes(db_path, needles)


async def room_secrets(services: Services, booking_id: int) -> list[bytes]:
    """What opens a room or is its text: every sealed copy of its key and its ciphertexts."""
    rows = await services.db.fetchall(
        "SELECT sealed FROM room_key WHERE booking_id = ? UNION ALL"
        " SELECT sealed FROM message WHERE booking_id = ?", (booking_id, booking_id))
    return [bytes(r["sealed"]) for r in rows]


def files_holding_bytes(db_path: Path, needles: list[bytes]) -> list[str]:
    """Names of the database files holding any of these byte strings."""
    found = []
    for path in db_files(db_path):
        if path.exists():
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(path.name)
    return found


async def ended_room_with_marker(services: Services, clock: FrozenClock, world: World,
                                 token: str) -> None:
    """The marker and a few ordinary messages in the room, then the booking is over."""
    clock.advance(timedelta(hours=1))
    await post_as(services, world.client, world.booking.id, marker_text(token))
    for i in range(3):
        await post_as(services, world.counsellor, world.booking.id, f"Antwort {i}")
    clock.set(world.ends + timedelta(hours=1))
