"""How many accounts one source address may register per hour, counted at the SSH edge once
for all worker processes.

The TUI never learns the address: the session hands it a `claim` bound to its connection.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from store.clock import Clock
from store.hub.hub import EDGE_TOPIC, Hub
from store.hub.wire import carried

MAX_REGISTRATIONS_PER_HOUR = 3
WINDOW = timedelta(hours=1)


@carried
@dataclass(frozen=True)
class RegistrationClaimed:
    address: str


class RegistrationLimit:
    """Claims go through the hub and every worker counts them all, its own included."""

    def __init__(self, clock: Clock, per_hour: int = MAX_REGISTRATIONS_PER_HOUR,
                 hub: Hub | None = None) -> None:
        self._clock = clock
        self._per_hour = per_hour
        self._claims: dict[str, deque] = {}
        self._hub = hub or Hub()
        self._hub.subscribe(EDGE_TOPIC, self._counted)

    def claim(self, address: str) -> bool:
        """Take one registration for this address now, or False if its hour is used up."""
        self._forget_old()
        if len(self._claims.get(address, ())) >= self._per_hour:
            return False
        self._hub.publish(EDGE_TOPIC, RegistrationClaimed(address))
        return True

    def _counted(self, event: object) -> None:
        if isinstance(event, RegistrationClaimed):
            self._claims.setdefault(event.address, deque()).append(self._clock.now())

    def _forget_old(self) -> None:
        now = self._clock.now()
        for known in list(self._claims):
            times = self._claims[known]
            while times and now - times[0] >= WINDOW:
                times.popleft()
            if not times:
                del self._claims[known]
