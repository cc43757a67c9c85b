"""A booking: one client, one counsellor, a start and an end; one ward room each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.clock import from_iso
from store.deletion.windows import deletion_date


class BookingState(StrEnum):
    BEFORE_START = "before_start"
    ACTIVE = "active"
    ENDED = "ended"  # read-only for the client until the deletion date
    DUE = "due"  # past the deletion date: treated as gone even before the purge ran


@dataclass(frozen=True)
class Booking:
    id: int
    client_id: int
    counsellor_id: int
    client_username: str
    counsellor_username: str
    starts_at: datetime
    ends_at: datetime
    ended_early: bool
    retention_days: int | None  # the client's choice; None = default
    # Its deletion has begun (store/deletion/room_deletion.py): gone for every reader from then on.
    deleting: bool

    @property
    def deletes_at(self) -> datetime:
        return deletion_date(self.ends_at, self.retention_days)

    def state(self, now: datetime) -> BookingState:
        if self.deleting:
            return BookingState.DUE
        if now < self.starts_at:
            return BookingState.BEFORE_START
        if now < self.ends_at:
            return BookingState.ACTIVE
        if now < self.deletes_at:
            return BookingState.ENDED
        return BookingState.DUE


BOOKING_SELECT = """
SELECT b.id, b.client_id, b.counsellor_id, c.username AS client_username,
       s.username AS counsellor_username, b.starts_at, b.ends_at, b.ended_early,
       c.retention_days, b.deleting
FROM booking b JOIN account c ON c.id = b.client_id JOIN account s ON s.id = b.counsellor_id
"""


def booking_from_row(row) -> Booking:
    return Booking(
        id=row["id"],
        client_id=row["client_id"],
        counsellor_id=row["counsellor_id"],
        client_username=row["client_username"],
        counsellor_username=row["counsellor_username"],
        starts_at=from_iso(row["starts_at"]),
        ends_at=from_iso(row["ends_at"]),
        ended_early=bool(row["ended_early"]),
        retention_days=row["retention_days"],
        deleting=bool(row["deleting"]),
    )

