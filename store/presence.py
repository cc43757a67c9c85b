"""Who has a ward room open right now, counted per session, announced through the hub."""

from __future__ import annotations

from collections import Counter

from store.accounts import Account
from store.hub import PRESENCE_TOPIC, Hub, PresenceChanged, PresenceMoved, room_topic


class RoomPresence:
    """Every process keeps the same counts: each entry and exit goes through the hub to all of
    them (serve --workers), and each tells its own rooms when someone arrived or left."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._open: Counter[tuple[int, int]] = Counter()
        hub.subscribe(PRESENCE_TOPIC, self._moved)

    def enter(self, booking_id: int, account: Account) -> None:
        self._hub.publish(PRESENCE_TOPIC, PresenceMoved(booking_id, account.id, 1))

    def leave(self, booking_id: int, account: Account) -> None:
        self._hub.publish(PRESENCE_TOPIC, PresenceMoved(booking_id, account.id, -1))

    def is_here(self, booking_id: int, account_id: int) -> bool:
        return self._open[(booking_id, account_id)] > 0

    def _moved(self, event: PresenceMoved) -> None:
        key = (event.booking_id, event.account_id)
        was_here = self._open[key] > 0
        self._open[key] += event.delta
        here = self._open[key] > 0
        if not here:
            # A second session of the same person keeps them present until it leaves too.
            del self._open[key]
        if here != was_here:
            # Every process hears the move, so each announces it to its own rooms only.
            self._hub.deliver(room_topic(event.booking_id), PresenceChanged(event.booking_id))
