"""One coarse server-wide sweep that locks idle sessions and ends those left locked.

No timer per session: every `interval` seconds one pass compares each session's last input
with the clock (the injectable one, so tests move time instead of waiting).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from store.clock import Clock

if TYPE_CHECKING:
    from sshd_app.auth import WardroomSSHServer
    from sshd_app.session import WardroomSession

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 30.0
# A `register` visitor has no account to lock: after this long without input (or without
# any session open) the connection ends, so idle forms do not hold memory and login slots.
VISITOR_IDLE = timedelta(minutes=5)


class IdleWatch:
    def __init__(self, sessions: Iterable[WardroomSession], clock: Clock, lock_after: timedelta,
                 end_after_lock: timedelta,
                 connections: Iterable[WardroomSSHServer] = ()) -> None:
        self._sessions = sessions
        self._connections = connections
        self._clock = clock
        self._lock_after = lock_after
        self._end_after_lock = end_after_lock
        self._task: asyncio.Task[None] | None = None

    def start(self, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
        self._task = asyncio.create_task(self._run(interval))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.sweep()
            except Exception:
                log.exception("idle sweep failed")

    def sweep(self) -> None:
        """Lock what has been idle too long; end what has stayed locked too long, and
        visitors idle for VISITOR_IDLE."""
        now = self._clock.now()
        for connection in list(self._connections):
            if (connection.identity.registering and not connection.sessions
                    and now - connection.idle_since >= VISITOR_IDLE):
                connection.close_connection("Idle too long")
        for session in list(self._sessions):
            app = session.app
            if app is None or not app.is_running:
                continue
            if app.context.account is None:
                if now - session.last_input >= VISITOR_IDLE:
                    session.end("lock.idle_ended")
            elif app.locked_at is None:
                if now - session.last_input >= self._lock_after:
                    app.call_later(app.lock, now)
            elif now - app.locked_at >= self._end_after_lock:
                session.end("lock.idle_ended")
