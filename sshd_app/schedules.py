"""The work a server does on its own, once per database: booking timer, retention, backups.

A single `serve` process runs it beside its sessions; with `--workers N` the parent runs it, so
it never runs once per worker; with several nodes on one PostgreSQL database, the node holding
the once-only lease runs it (store.once_only).
"""

from __future__ import annotations

from sshd_app.config import Settings, backup_plan
from store.backup.backups import Backups
from store.backup.schedule import BackupSchedule
from store.once_only import OnceOnly
from store.services import Services


class Schedules:
    def __init__(self, settings: Settings, services: Services) -> None:
        """Raises ConfigError for bad backup settings, before anything has started."""
        self._services = services
        self._retention_seconds = settings.retention_interval_minutes * 60
        self.backups = BackupSchedule(
            Backups(services.db, services.audit, backup_plan(settings)))
        self.once_only = OnceOnly(services.db, self._run, self._halt)

    def start(self) -> None:
        self.once_only.begin()

    async def stop(self) -> None:
        await self.once_only.end()

    def _run(self) -> None:
        self._services.booking_timer.start()
        self._services.retention_task.start(self._retention_seconds)
        self.backups.start()

    async def _halt(self) -> None:
        await self._services.retention_task.stop()
        await self.backups.stop()
        self._services.booking_timer.stop()
