"""Scheduled backups inside `wardroom serve`: one per interval, each deleted on its date,
and destinations that missed one brought up to date a little later."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from store.backup.backups import BackupFailed, Backups
from store.backup.key import KeyFileError

log = logging.getLogger(__name__)

SCHEDULE_ACTOR = "backup"  # the audit's actor when the schedule itself acts
RETRY = timedelta(minutes=10)  # a failed destination or a failed backup is tried again after
MIN_WAIT = timedelta(seconds=1)  # so a wall clock that jumps is noticed, not spun on


class BackupSchedule:
    def __init__(self, backups: Backups) -> None:
        self._backups = backups
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begins at once: a server that was down past a backup's time takes it now."""
        if self._backups.plan.destinations and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # A backup being written finishes in its worker thread and removes its
            # plaintext copy; only the waiting stops here.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> timedelta:
        """One round: delete what is due, back up if the newest backup is an interval old,
        otherwise fill destinations that lack a backup. Returns how long to wait."""
        plan = self._backups.plan
        inventory = await self._backups.inventory()
        await self._backups.rotate(inventory, SCHEDULE_ACTOR)
        now = self._backups.clock.now()
        live = [b for b in inventory.backups if b.deletes_at > now]
        newest = max((b.created_at for b in live), default=None)
        waits = [b.deletes_at - now for b in live] + [
            created_at + plan.max_age - now for _path, created_at in inventory.unfinished
            if created_at + plan.max_age > now]
        troubled = bool(inventory.unreachable)
        if newest is None or now - newest >= plan.interval:
            try:
                result = await self._backups.take(SCHEDULE_ACTOR)
            except (BackupFailed, KeyFileError) as error:
                log.error("scheduled backup failed: %s; trying again in %s", error, RETRY)
                return RETRY
            troubled |= bool(result.failed)
            waits += [plan.interval, plan.max_age]
        else:
            troubled |= bool(await self._backups.repair(inventory))
            waits.append(newest + plan.interval - now)
        if troubled:
            waits.append(RETRY)
        return max(min(waits), MIN_WAIT)

    async def _loop(self) -> None:
        while True:
            try:
                wait = await self.run()
            except Exception:
                log.exception("backup schedule failed; trying again in %s", RETRY)
                wait = RETRY
            await asyncio.sleep(wait.total_seconds())
