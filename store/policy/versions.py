"""Published versions of the privacy notice, and which version each account accepted when."""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database, Transaction
from store.errors import Invalid
from store.policy import SHIPPED_VERSION, shipped_notice
from store.text import REPLACEMENT, sanitize

MAX_NOTICE_CHARS = 200_000
_LABEL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6}){0,3}")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class PolicyVersion:
    id: int
    label: str
    published_at: str
    body: str
    body_en: str | None

    def text(self, language: str) -> str:
        """The text for a reader of `language`; the one published text when there is no
        translation."""
        return self.body_en if language == "en" and self.body_en else self.body


@dataclass(frozen=True)
class Acceptance:
    version: str
    accepted_at: str


def version_key(label: str) -> tuple[int, ...]:
    """Dotted numbers ("2", "2.1", "2026.3") compared as numbers, so "10" follows "9"."""
    if not _LABEL.fullmatch(label):
        raise Invalid(f"version {label!r} is not a number such as 2 or 2.1")
    return tuple(int(part) for part in label.split("."))


def clean_notice(text: str) -> str:
    """The text as it will be stored: sanitised, without a BOM, refused when empty or mangled."""
    text = text.removeprefix("\ufeff")
    if REPLACEMENT in text or _SURROGATE.search(text):
        # A reader turned invalid bytes into U+FFFD or lone surrogates: the input was not UTF-8.
        raise Invalid("the notice is not valid UTF-8 text; nothing was published")
    text = sanitize(text).strip("\n") + "\n"
    if not text.strip():
        raise Invalid("the notice is empty; nothing was published")
    if len(text) > MAX_NOTICE_CHARS:
        raise Invalid(f"the notice is longer than {MAX_NOTICE_CHARS} characters")
    return text


_COLUMNS = "id, label, published_at, body, body_en"


def _version(row) -> PolicyVersion:
    return PolicyVersion(row["id"], row["label"], row["published_at"], row["body"],
                         row["body_en"])


class PolicyVersions:
    def __init__(self, db: Database, audit: AuditTrail) -> None:
        self._db = db
        self._audit = audit

    async def ensure_shipped(self) -> None:
        """A fresh database starts with the notice wardroom ships as version 1."""
        async with self._db.transaction() as tx:
            if await tx.fetchone("SELECT 1 FROM policy_version LIMIT 1"):
                return
            await tx.execute(
                "INSERT INTO policy_version (label, body, body_en, published_at)"
                " VALUES (?, ?, ?, ?)",
                (SHIPPED_VERSION, shipped_notice("de"), shipped_notice("en"),
                 to_iso(self._db.clock.now())),
            )

    async def current(self) -> PolicyVersion:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM policy_version ORDER BY id DESC LIMIT 1")
        assert row is not None, "ensure_shipped runs when the services open"
        return _version(row)

    async def history(self, actor: Account) -> list[tuple[PolicyVersion, int]]:
        """Every version, oldest first, with how many accounts accepted it (a count only)."""
        require_scope(actor, Scope.POLICY, "see the notice history")
        rows = await self._db.fetchall(
            f"SELECT {', '.join('v.' + c for c in _COLUMNS.split(', '))},"
            " (SELECT count(*) FROM policy_acceptance a WHERE a.version_id = v.id) AS accepted"
            " FROM policy_version v ORDER BY v.id")
        return [(_version(r), int(r["accepted"])) for r in rows]

    async def acceptance_counts(self, actor: Account) -> list[tuple[PolicyVersion,
                                                                    dict[Role, int]]]:
        """`policy status`: every version, oldest first, with how many accounts of each role
        accepted it (counts only, never who)."""
        require_scope(actor, Scope.POLICY, "see who accepted the notice")
        rows = await self._db.fetchall(
            "SELECT a.version_id, c.role, count(*) AS n FROM policy_acceptance a"
            " JOIN account c ON c.id = a.account_id GROUP BY a.version_id, c.role")
        counts: dict[int, dict[Role, int]] = {}
        for r in rows:
            counts.setdefault(r["version_id"], {})[Role(r["role"])] = int(r["n"])
        versions = await self._db.fetchall(f"SELECT {_COLUMNS} FROM policy_version ORDER BY id")
        return [(_version(v), {role: counts.get(v["id"], {}).get(role, 0) for role in Role})
                for v in versions]

    async def publish(self, actor: Account, label: str, text: str) -> PolicyVersion:
        """Store a new version; it must be newer than the current one. All or nothing."""
        require_scope(actor, Scope.POLICY, "publish the privacy notice")
        key = version_key(label)
        body = clean_notice(text)
        async with self._db.transaction() as tx:
            # Compared inside the write transaction, so two publishers cannot both win.
            row = await tx.fetchone("SELECT label FROM policy_version ORDER BY id DESC LIMIT 1")
            if row is not None and key <= version_key(row["label"]):
                raise Invalid(f"version {label} is not newer than the current version "
                              f"{row['label']}; nothing was published")
            version_id = await tx.insert(
                "INSERT INTO policy_version (label, body, published_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (label, body, to_iso(self._db.clock.now())),
            )
            await self._audit.record(tx, actor.username, "policy.publish", version_id)
            row = await tx.fetchone(f"SELECT {_COLUMNS} FROM policy_version WHERE id = ?",
                                    (version_id,))
        return _version(row)

    async def pending_for(self, actor: Account) -> PolicyVersion | None:
        """The current version if the account has not accepted it yet: the consent gate."""
        current = await self.current()
        row = await self._db.fetchone(
            "SELECT 1 FROM policy_acceptance WHERE account_id = ? AND version_id = ?",
            (actor.id, current.id))
        return None if row else current

    async def accept(self, actor: Account, version: PolicyVersion) -> None:
        """The account accepts the version it was shown (only ever for itself)."""
        async with self._db.transaction() as tx:
            await self.record_acceptance(tx, actor, version)

    async def record_acceptance(self, tx: Transaction, actor: Account,
                                version: PolicyVersion) -> None:
        """In the caller's transaction, so registration creates account and consent together."""
        await tx.execute(
            "INSERT INTO policy_acceptance (account_id, version_id, accepted_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (actor.id, version.id, to_iso(self._db.clock.now())),
        )

    async def acceptances(self, actor: Account) -> list[Acceptance]:
        """Every version this account accepted, oldest first, with when (for its export)."""
        rows = await self._db.fetchall(
            "SELECT v.label, a.accepted_at FROM policy_acceptance a"
            " JOIN policy_version v ON v.id = a.version_id"
            " WHERE a.account_id = ? ORDER BY v.id", (actor.id,))
        return [Acceptance(r["label"], r["accepted_at"]) for r in rows]

    async def accepted(self, actor: Account) -> Acceptance | None:
        """The newest version this account accepted, and when (for its own export)."""
        row = await self._db.fetchone(
            "SELECT v.label, a.accepted_at FROM policy_acceptance a"
            " JOIN policy_version v ON v.id = a.version_id"
            " WHERE a.account_id = ? ORDER BY v.id DESC LIMIT 1", (actor.id,))
        return Acceptance(row["label"], row["accepted_at"]) if row else None
