"""Who has a ward room open right now, counted per session, announced through the hub."""

from __future__ import annotations

from collections import Counter, defaultdict

from store.accounts.accounts import Account
from store.hub.hub import (
    PRESENCE_TOPIC,
    PROCESSES_TOPIC,
    Hub,
    PresenceChanged,
    PresenceMoved,
    ProcessGone,
    room_topic,
)

Key = tuple[int, int]  # (booking id, account id)


class RoomPresence:
    """Every process keeps the same counts: each entry and exit goes through the hub to all of
    them (serve --workers), and each tells its own rooms when someone arrived or left.

    Counts are kept per process that holds the sessions, so when a worker dies without its
    sessions saying goodbye, its share is dropped and nobody stays "in the room" for ever.
    """

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._by_origin: defaultdict[int, Counter[Key]] = defaultdict(Counter)
        hub.subscribe(PRESENCE_TOPIC, self._moved)
        hub.subscribe(PROCESSES_TOPIC, self._process_gone)

    def enter(self, booking_id: int, account: Account) -> None:
        self._hub.publish(PRESENCE_TOPIC,
                          PresenceMoved(booking_id, account.id, 1, self._hub.origin))

    def leave(self, booking_id: int, account: Account) -> None:
        self._hub.publish(PRESENCE_TOPIC,
                          PresenceMoved(booking_id, account.id, -1, self._hub.origin))

    def is_here(self, booking_id: int, account_id: int) -> bool:
        key = (booking_id, account_id)
        return any(counts[key] > 0 for counts in self._by_origin.values())

    def _moved(self, event: PresenceMoved) -> None:
        key = (event.booking_id, event.account_id)
        was_here = self.is_here(*key)
        counts = self._by_origin[event.origin]
        counts[key] += event.delta
        if counts[key] <= 0:
            # A second session of the same person keeps them present until it leaves too.
            del counts[key]
            if not counts:
                del self._by_origin[event.origin]
        self._announce_if_changed(key, was_here)

    def _process_gone(self, event: ProcessGone) -> None:
        counts = self._by_origin.pop(event.origin, Counter())
        for key in counts:
            self._announce_if_changed(key, was_here=True)

    def _announce_if_changed(self, key: Key, was_here: bool) -> None:
        if self.is_here(*key) != was_here:
            # Every process hears the move, so each announces it to its own rooms only.
            self._hub.deliver(room_topic(key[0]), PresenceChanged(key[0]))
