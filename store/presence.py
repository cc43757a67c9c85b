"""Who has a ward room open right now, counted per session, announced through the hub."""

from __future__ import annotations

from collections import Counter

from store.accounts import Account
from store.hub import Hub, PresenceChanged, room_topic


class RoomPresence:
    """In-process like the hub: a multi-process hub would carry these counts with it."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._open: Counter[tuple[int, int]] = Counter()

    def enter(self, booking_id: int, account: Account) -> None:
        self._open[(booking_id, account.id)] += 1
        if self._open[(booking_id, account.id)] == 1:
            self._hub.publish(room_topic(booking_id), PresenceChanged(booking_id))

    def leave(self, booking_id: int, account: Account) -> None:
        key = (booking_id, account.id)
        if self._open[key] <= 1:
            # A second session of the same person keeps them present until it leaves too.
            self._open.pop(key, None)
            self._hub.publish(room_topic(booking_id), PresenceChanged(booking_id))
        else:
            self._open[key] -= 1

    def is_here(self, booking_id: int, account_id: int) -> bool:
        return self._open[(booking_id, account_id)] > 0
