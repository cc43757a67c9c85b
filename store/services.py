"""Wires the database and the services that guard it; the TUI and the commands use this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from store.accounts.accounts import Accounts
from store.accounts.admin import AccountAdmin
from store.accounts.passwords import PasswordVault
from store.accounts.public_keys import PublicKeys
from store.accounts.registration import Registration
from store.accounts.second_factor import SecondFactors
from store.audit import AuditTrail
from store.clock import Clock, SystemClock
from store.database import Database
from store.deletion.choice import RetentionChoices
from store.deletion.erasure import Erasure
from store.deletion.retention_task import RetentionTask
from store.deletion.storage_limits import StorageLimits
from store.deletion.storage_sweep import StorageSweep
from store.export import DataExport
from store.hub.hub import Hub
from store.hub.presence import RoomPresence
from store.policy.versions import PolicyVersions
from store.rooms.booking_timer import BookingTimer
from store.rooms.bookings import Bookings
from store.rooms.requests import Requests
from store.rooms.rooms import WardRooms
from store.sealing.account_keys import AccountKeys
from store.sealing.room_keys import RoomKeys
from store.statistics import AccessStatistics


@dataclass
class Services:
    db: Database
    vault: PasswordVault
    accounts: Accounts
    account_keys: AccountKeys
    registration: Registration
    public_keys: PublicKeys
    room_keys: RoomKeys
    second_factors: SecondFactors
    account_admin: AccountAdmin
    hub: Hub
    audit: AuditTrail
    requests: Requests
    bookings: Bookings
    rooms: WardRooms
    booking_timer: BookingTimer
    presence: RoomPresence
    policy: PolicyVersions
    statistics: AccessStatistics
    retention_task: RetentionTask
    retention: RetentionChoices
    erasure: Erasure
    export: DataExport

    @property
    def clock(self) -> Clock:
        return self.db.clock

    @classmethod
    async def open(cls, db_path: Path | str, clock: Clock | None = None,
                   vault: PasswordVault | None = None, hub: Hub | None = None,
                   limits: StorageLimits | None = None) -> Services:
        """`hub`: a hub linked to other processes (serve --workers); else one of its own.
        `limits`: the configured storage limits; else the defaults."""
        db = await Database.open(db_path, clock or SystemClock())
        vault = vault or PasswordVault()
        hub = hub or Hub()
        audit = AuditTrail(db)
        account_keys, room_keys = AccountKeys(db), RoomKeys(db)
        bookings = Bookings(db, hub, audit, room_keys)
        accounts = Accounts(db, vault, account_keys)
        policy = PolicyVersions(db, audit)
        await policy.ensure_shipped()
        limits = limits or StorageLimits()
        requests = Requests(db, audit, limits)
        rooms = WardRooms(db, hub, bookings, room_keys)
        retention_task = RetentionTask(db, hub, audit, StorageSweep(db, hub, audit, limits))
        retention = RetentionChoices(db, hub, retention_task)
        return cls(
            second_factors=SecondFactors(db, vault, audit),
            db=db, vault=vault, accounts=accounts, hub=hub, audit=audit,
            account_keys=account_keys, room_keys=room_keys,
            registration=Registration(db, accounts, account_keys, policy),
            public_keys=PublicKeys(db, audit),
            account_admin=AccountAdmin(db, accounts, account_keys, audit, hub),
            requests=requests, bookings=bookings, rooms=rooms,
            booking_timer=BookingTimer(bookings, hub, db.clock),
            presence=RoomPresence(hub),
            policy=policy, statistics=AccessStatistics(db),
            retention_task=retention_task, retention=retention,
            erasure=Erasure(db, hub, audit),
            export=DataExport(db, bookings, requests, rooms, retention, policy, accounts,
                              audit),
        )

    async def close(self) -> None:
        self.booking_timer.stop()
        await self.retention_task.stop()
        await self.statistics.settle()
        await self.rooms.write_read_markers()
        await self.db.close()
        self.vault.close()
