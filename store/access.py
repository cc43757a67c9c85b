"""Who may do what with a booking and its ward room: the one place these rules live.

Every service calls these before acting, so the TUI and the exec commands cannot forget them.
"""

from __future__ import annotations

from datetime import datetime

from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.errors import NotPermitted
from store.rooms.booking import Booking, BookingState


def is_party(actor: Account, booking: Booking) -> bool:
    return actor.id in (booking.client_id, booking.counsellor_id)


def can_see_booking(actor: Account, booking: Booking, now: datetime) -> bool:
    """Listing a booking (who, when) — not its room's contents. Past its deletion date, or
    once its deletion in steps began (`Booking.state` is DUE for both), a booking counts as
    deleted for everyone, staff included, even before the purge ran or finished."""
    state = booking.state(now)
    if state is BookingState.DUE:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.COUNSELLOR:
        return actor.id == booking.counsellor_id and state is BookingState.ACTIVE
    return actor.id == booking.client_id


def can_read_room(actor: Account, booking: Booking, now: datetime) -> bool:
    """Staff never read rooms; counsellors only while active; clients until deletion."""
    state = booking.state(now)
    if actor.disabled:
        return False
    if actor.role is Role.COUNSELLOR:
        return actor.id == booking.counsellor_id and state is BookingState.ACTIVE
    if actor.role is Role.CLIENT:
        return actor.id == booking.client_id and state in (BookingState.ACTIVE,
                                                            BookingState.ENDED)
    return False


def can_post(actor: Account, booking: Booking, now: datetime) -> bool:
    """Only the two parties, only while the booking is active."""
    return (not actor.disabled and actor.role in (Role.CLIENT, Role.COUNSELLOR)
            and is_party(actor, booking) and booking.state(now) is BookingState.ACTIVE)


def can_see_request_text(actor: Account, request_client_id: int, booking: Booking | None,
                         now: datetime) -> bool:
    """A request is read by the client who wrote it and by staff who match it (scope
    `matching`); once the room
    it led to is past its deletion date, the request counts as deleted with it."""
    if actor.disabled or (booking is not None and booking.state(now) is BookingState.DUE):
        return False
    if actor.role is Role.ADMIN:
        return Scope.MATCHING in actor.scopes
    return actor.id == request_client_id


def is_staff(actor: Account) -> bool:
    return actor.role is Role.ADMIN and not actor.disabled


def require_scope(actor: Account, scope: Scope, doing: str) -> None:
    """Staff act only within their scopes; the refusal names the scope that is missing."""
    if not is_staff(actor):
        raise NotPermitted(f"only staff {doing}")
    if scope not in actor.scopes:
        raise NotPermitted(f"missing scope {scope.value}: only staff with it {doing}")
