"""Anonymous access statistics: each screen view as (date, hour, screen, visit), and aggregates.

Why nothing here can be joined to a person: the views live in their own table, `screen_view`,
with no foreign key and no column taken from an account, a connection or a booking. The visit
id is random per connection (`new_visit_id`), is held only in that session's memory and is
written nowhere else, so there is no second table to join it with. Time is kept to the hour
(Europe/Berlin): to the minute, a visit lined up with the seconds other tables keep (an
account's creation, a consent, an audit entry, a message) and named its person. Screens few
people ever see (registration, objection, password change, lock, second factor) would single
out whoever saw them, so they are only counted per day, without a visit id
(`rare_screen_count`), and so are all views of counsellors and staff (`visit_id_for`).
Reports show no count below `MIN_COUNT`. A separate database file would add a second owner of
SQLite files, a second backup and erasure story, and buy no more separation than a table that
holds nothing to join.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.clock import berlin
from store.database import Database
from store.errors import Invalid

log = logging.getLogger(__name__)

MAX_DAYS = 366
TOP_PATHS = 10
MIN_COUNT = 5  # a smaller count could describe one person: reports leave it out
# Screens that only a few people ever see: counted per day, never with a visit id
# (`rare_screen_count` holds these, and every view of a counsellor or staff session).
RARE_SCREENS = frozenset({"register", "register_notice", "objection", "password_change",
                          "lock", "totp_setup", "withdraw_request", "consent_declined",
                          "export_view"})
_SCREEN_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_VISIT = re.compile(r"[0-9a-f]{32}")


def new_visit_id() -> str:
    """A fresh random id for one connection: 128 bits, derived from nothing."""
    return secrets.token_hex(16)


def visit_id_for(role: Role | None) -> str | None:
    """The visit id of a new session: clients (and visitors registering) get one; counsellors
    and staff are so few that the screens of one hour would name them (the only staff visit
    of an hour beside that hour's staff login), so their views are only counted."""
    return new_visit_id() if role in (None, Role.CLIENT) else None


@dataclass(frozen=True)
class ScreenViews:
    date: str
    screen: str
    views: int


@dataclass(frozen=True)
class DailyVisits:
    date: str
    visits: int | None  # None: some visits, but fewer than MIN_COUNT


@dataclass(frozen=True)
class ScreenStep:
    """How often visitors went from one screen straight to another."""

    source: str
    target: str
    count: int


@dataclass(frozen=True)
class StatsReport:
    first_day: str
    last_day: str
    views: list[ScreenViews]
    visits: list[DailyVisits]  # one entry per day of the window, zeros included
    paths: list[ScreenStep]

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.first_day,
            "to": self.last_day,
            "views": [asdict(v) for v in self.views],
            "visits": [asdict(v) for v in self.visits],
            "paths": [{"from": p.source, "to": p.target, "count": p.count}
                      for p in self.paths],
            "suppressed_below": MIN_COUNT,
        }


class AccessStatistics:
    """Views wait in memory and one writer task stores all waiting views in one transaction,
    so a burst of views (everyone reconnecting) costs a few commits, not one each, and never
    queues up ahead of a message someone is sending. The writer exists only while views wait.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[str, int, str, str]] = []
        self._waiting_rare: list[tuple[str, str]] = []
        self._writer: asyncio.Task[None] | None = None

    def record_view(self, visit: str | None, screen: str) -> None:
        """Log one screen view without making the caller wait; a failure is only logged.
        Without a visit id (see `visit_id_for`) the view is only counted."""
        if (visit is not None and not _VISIT.fullmatch(visit)) \
                or not _SCREEN_NAME.fullmatch(screen):
            log.error("screen view not recorded: malformed visit id or screen name")
            return
        moment = berlin(self._db.clock.now())
        if visit is None or screen in RARE_SCREENS:
            self._waiting_rare.append((moment.date().isoformat(), screen))
        else:
            self._waiting.append((moment.date().isoformat(), moment.hour, screen, visit))
        if self._writer is None or self._writer.done():
            # In a context of its own: the caller's (a session's, holding its app) would stay
            # alive with the task after that session has closed.
            self._writer = asyncio.get_running_loop().create_task(
                self._write_waiting(), context=contextvars.Context())

    async def _write_waiting(self) -> None:
        while self._waiting or self._waiting_rare:
            views, self._waiting = self._waiting, []
            rare, self._waiting_rare = self._waiting_rare, []
            try:
                await self._insert(views, rare)
            except Exception:
                log.exception("screen view not recorded: %d views lost",
                              len(views) + len(rare))

    async def _insert(self, views: list[tuple[str, int, str, str]],
                      rare: list[tuple[str, str]]) -> None:
        # Views older than any report can reach serve no purpose, so they go as new ones come.
        oldest_kept = berlin(self._db.clock.now()).date() - timedelta(days=MAX_DAYS - 1)
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM screen_view WHERE date < ?", (oldest_kept.isoformat(),))
            await tx.execute("DELETE FROM rare_screen_count WHERE date < ?",
                             (oldest_kept.isoformat(),))
            await tx.executemany(
                "INSERT INTO screen_view (date, hour, screen, visit) VALUES (?, ?, ?, ?)", views)
            await tx.executemany(
                "INSERT INTO rare_screen_count (date, screen, views) VALUES (?, ?, 1)"
                " ON CONFLICT (date, screen) DO UPDATE SET views = rare_screen_count.views + 1",
                rare)

    async def settle(self) -> None:
        """Wait for the views still being written (before closing the database)."""
        while self._writer is not None and not self._writer.done():
            await self._writer

    def _window(self, actor: Account, days: int) -> tuple[date, date]:
        require_scope(actor, Scope.STATISTICS, "see the access statistics")
        if not 1 <= days <= MAX_DAYS:
            raise Invalid(f"--days must be between 1 and {MAX_DAYS}")
        last = berlin(self._db.clock.now()).date()
        return last - timedelta(days=days - 1), last

    async def daily_visits(self, actor: Account, days: int) -> list[DailyVisits]:
        """Visits per day of the last `days` days, today included, zeros included."""
        return await self._daily_visits(*self._window(actor, days))

    async def _daily_visits(self, first: date, last: date) -> list[DailyVisits]:
        rows = await self._db.fetchall(
            "SELECT date, count(DISTINCT visit) AS visits FROM screen_view"
            " WHERE date BETWEEN ? AND ? GROUP BY date", (first.isoformat(), last.isoformat()))
        visits = {r["date"]: int(r["visits"]) for r in rows}
        return [DailyVisits(d, _shown(visits.get(d, 0))) for d in _days(first, last)]

    async def report(self, actor: Account, days: int) -> StatsReport:
        """Aggregates of the last `days` days (today included); never single views."""
        first, last = self._window(actor, days)
        window = (first.isoformat(), last.isoformat())
        view_rows = await self._db.fetchall(
            "SELECT date, screen, views FROM ("
            "  SELECT date, screen, count(*) AS views FROM screen_view"
            "  WHERE date BETWEEN ?1 AND ?2 GROUP BY date, screen"
            "  UNION ALL SELECT date, screen, views FROM rare_screen_count"
            "  WHERE date BETWEEN ?1 AND ?2) AS counted"
            " WHERE views >= ?3 ORDER BY date, screen", (*window, MIN_COUNT))
        path_rows = await self._db.fetchall(
            "SELECT source, target, count(*) AS n FROM ("
            "  SELECT LAG(screen) OVER (PARTITION BY visit ORDER BY rowid) AS source,"
            "         screen AS target FROM screen_view WHERE date BETWEEN ? AND ?) AS step"
            " WHERE source IS NOT NULL AND source != target"
            " GROUP BY source, target HAVING count(*) >= ? ORDER BY n DESC, source, target"
            " LIMIT ?",
            (*window, MIN_COUNT, TOP_PATHS))
        return StatsReport(
            first_day=window[0], last_day=window[1],
            views=[ScreenViews(r["date"], r["screen"], int(r["views"])) for r in view_rows],
            visits=await self._daily_visits(first, last),
            paths=[ScreenStep(r["source"], r["target"], int(r["n"])) for r in path_rows],
        )


def _shown(count: int) -> int | None:
    """A count as a report may show it: none at all is 0, fewer than MIN_COUNT is None."""
    return None if 0 < count < MIN_COUNT else count


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
