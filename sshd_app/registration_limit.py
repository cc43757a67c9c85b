"""How many accounts one source address may register per hour, counted at the SSH edge.

The TUI never learns the address: the session hands it a `claim` bound to its connection.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from store.clock import Clock

MAX_REGISTRATIONS_PER_HOUR = 3
WINDOW = timedelta(hours=1)


class RegistrationLimit:
    def __init__(self, clock: Clock, per_hour: int = MAX_REGISTRATIONS_PER_HOUR) -> None:
        self._clock = clock
        self._per_hour = per_hour
        self._claims: dict[str, deque] = {}

    def claim(self, address: str) -> bool:
        """Take one registration for this address now, or False if its hour is used up."""
        now = self._clock.now()
        for known in list(self._claims):
            times = self._claims[known]
            while times and now - times[0] >= WINDOW:
                times.popleft()
            if not times:
                del self._claims[known]
        times = self._claims.setdefault(address, deque())
        if len(times) >= self._per_hour:
            return False
        times.append(now)
        return True
