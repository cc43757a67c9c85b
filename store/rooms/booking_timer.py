"""Wakes up when the next booking starts or ends and announces it, instead of polling."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from store.clock import Clock
from store.hub.hub import BOOKINGS_TOPIC, Hub, Subscription
from store.rooms.bookings import Bookings, announce_booking

log = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 3600.0  # re-check hourly anyway, in case the wall clock jumped


class BookingTimer:
    def __init__(self, bookings: Bookings, hub: Hub, clock: Clock) -> None:
        self._bookings = bookings
        self._hub = hub
        self._clock = clock
        self._handle: asyncio.TimerHandle | None = None
        self._last_check: datetime | None = None
        self._running = False
        self._changes: Subscription | None = None

    def start(self) -> None:
        self._running = True
        self._last_check = self._clock.now()
        # Bookings created, ended or extended in any process move the next wake-up.
        self._changes = self._hub.subscribe(BOOKINGS_TOPIC, lambda _event: self.reschedule())
        # Also destroys the copies of bookings that ended while the server was stopped.
        self._fire()

    def stop(self) -> None:
        self._running = False
        if self._changes is not None:
            self._changes.cancel()
            self._changes = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def reschedule(self) -> None:
        if self._running:
            asyncio.get_running_loop().create_task(self._schedule())

    async def _schedule(self) -> None:
        moment = self._clock.now()
        upcoming = await self._bookings.boundaries_after(moment)
        delay = MAX_SLEEP_SECONDS
        if upcoming is not None:
            delay = min(max((upcoming - moment).total_seconds(), 0.0) + 0.05, delay)
        if self._handle is not None:
            self._handle.cancel()
        if self._running:
            self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        asyncio.get_running_loop().create_task(self.check_now())

    async def check_now(self) -> int:
        """Announce every booking that started or ended since the last check."""
        now = self._clock.now()
        since = self._last_check or now
        self._last_check = now
        crossed = await self._bookings.crossing(since, now) if now > since else []
        await self._bookings.destroy_ended_copies(now)
        for booking in crossed:
            announce_booking(self._hub, booking)
        if self._running:
            await self._schedule()
        return len(crossed)
