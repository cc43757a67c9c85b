"""Staff scopes: every admin command needs its scope (exit 77 naming it), grant and revoke are
audited, and the reads that show personal data are audited too."""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator

import asyncssh
import pytest

from store.accounts.roles import Role
from store.accounts.scopes import ALL_SCOPES, Scope
from tests.accounts import account_named
from tests.conftest import PASSWORD, RunningServer
from tests.sshd_app.admin_cli import Outcome, SshAdmin, staff_transport

CLERK = "clerk"

# One command of every kind, with the scope it needs.
COMMANDS: list[tuple[Scope, tuple[str, ...]]] = [
    (Scope.ACCOUNTS, ("user", "add", "nina", "--role", "client")),
    (Scope.ACCOUNTS, ("user", "list")),
    (Scope.ACCOUNTS, ("user", "disable", "carla")),
    (Scope.ACCOUNTS, ("user", "reset-password", "carla")),
    (Scope.ACCOUNTS, ("user", "reset-2fa", "carla")),
    (Scope.ACCOUNTS, ("user", "erase", "carla", "--confirm", "carla")),
    (Scope.ACCOUNTS, ("user", "export", "carla")),
    (Scope.MATCHING, ("request", "list")),
    (Scope.MATCHING, ("booking", "list")),
    (Scope.MATCHING, ("booking", "create", "carla", "anna", "--weeks", "2")),
    (Scope.MATCHING, ("match", "1", "anna", "--weeks", "2")),
    (Scope.POLICY, ("policy", "show")),
    (Scope.POLICY, ("policy", "status")),
    (Scope.BACKUP, ("backup", "list")),
    (Scope.BACKUP, ("retention", "status")),
    (Scope.BACKUP, ("seal", "status")),
    (Scope.STATISTICS, ("stats",)),
    (Scope.AUDIT, ("audit",)),
]


class Clerk:
    """`ssh clerk@HOST admin …` on one connection."""

    def __init__(self, world: RunningServer) -> None:
        self.world = world
        self._conn: asyncssh.SSHClientConnection | None = None

    async def run(self, *argv: str) -> Outcome:
        if self._conn is None:
            self._conn = await asyncssh.connect(
                "127.0.0.1", self.world.port, username=CLERK, password=PASSWORD,
                known_hosts=None, client_keys=[], agent_path=None)
        result = await self._conn.run(shlex.join(["admin", *argv]), input="")
        return Outcome(int(result.exit_status or 0), str(result.stdout), str(result.stderr))

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            await self._conn.wait_closed()


@pytest.fixture
async def staff(wardroom: RunningServer) -> AsyncIterator[tuple[SshAdmin, Clerk]]:
    """`boss` (every scope, as create-admin makes it) and `clerk`, added by boss with none."""
    await wardroom.add_account("carla", Role.CLIENT)
    await wardroom.add_account("anna", Role.COUNSELLOR)
    async with staff_transport("ssh", wardroom) as boss:
        assert isinstance(boss, SshAdmin)
        added = await boss.run("user", "add", CLERK, "--role", "admin", "--password-stdin",
                               stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        clerk_account = await account_named(wardroom.services.accounts, CLERK)
        await wardroom.services.policy.accept(clerk_account,
                                              await wardroom.services.policy.current())
        clerk = Clerk(wardroom)
        try:
            yield boss, clerk
        finally:
            await clerk.close()


async def test_create_admin_has_every_scope_and_user_add_gives_none(wardroom, staff):
    boss = await account_named(wardroom.services.accounts, "boss")
    clerk = await account_named(wardroom.services.accounts, CLERK)
    assert boss.scopes == ALL_SCOPES
    assert clerk.scopes == frozenset()


@pytest.mark.parametrize(("scope", "argv"), COMMANDS,
                         ids=[" ".join(argv[:2]) for _, argv in COMMANDS])
async def test_each_command_needs_its_scope(wardroom, staff, scope, argv):
    boss, clerk = staff
    for other in sorted(ALL_SCOPES - {scope}):
        granted = await boss.run("user", "grant", CLERK, other)
        assert granted.returncode == 0, granted.stderr
    refused = await clerk.run(*argv)
    assert refused.returncode == 77, refused.output
    assert refused.stdout == ""
    line, = refused.stderr.splitlines()
    assert f"missing scope {scope.value}" in line
    assert await wardroom.services.accounts.by_username("carla") is not None


async def test_grant_and_revoke_are_audited_and_take_effect_at_the_next_command(wardroom, staff):
    boss, clerk = staff
    assert (await clerk.run("request", "list")).returncode == 77
    assert (await boss.run("user", "grant", CLERK, "matching")).returncode == 0
    assert (await clerk.run("request", "list")).returncode == 0
    assert (await boss.run("user", "revoke", CLERK, "matching")).returncode == 0
    assert (await clerk.run("request", "list")).returncode == 77
    clerk_id = (await account_named(wardroom.services.accounts, CLERK)).id
    changes = [(e.actor, e.action, e.target_ids) for e in await wardroom.services.audit.entries()
               if e.action.startswith(("user.grant", "user.revoke"))]
    assert changes == [("boss", "user.grant:matching", str(clerk_id)),
                       ("boss", "user.revoke:matching", str(clerk_id))]


async def test_nobody_widens_their_own_rights(wardroom, staff):
    boss, clerk = staff
    assert (await boss.run("user", "grant", CLERK, "accounts")).returncode == 0
    # clerk may change accounts now, but hands out only scopes it holds, and not to itself.
    beyond = await clerk.run("user", "grant", "boss", "audit")
    assert beyond.returncode == 77 and "missing scope audit" in beyond.stderr
    own = await clerk.run("user", "revoke", CLERK, "accounts")
    assert own.returncode == 1 and "your own account" in own.stderr
    not_staff = await boss.run("user", "grant", "carla", "audit")
    assert not_staff.returncode == 1 and "not a staff account" in not_staff.stderr
    assert (await account_named(wardroom.services.accounts, CLERK)).scopes == {Scope.ACCOUNTS}


async def test_reads_of_personal_data_are_audited(wardroom, staff):
    boss, _ = staff
    for argv in (("request", "list"), ("user", "list"), ("booking", "list"), ("audit",)):
        result = await boss.run(*argv)
        assert result.returncode == 0, result.stderr
    reads = [(e.actor, e.action) for e in await wardroom.services.audit.entries()
             if e.action.endswith((".list", ".read"))]
    assert reads == [("boss", "request.list"), ("boss", "user.list"), ("boss", "booking.list"),
                     ("boss", "audit.read")]


async def test_an_upgraded_database_keeps_every_scope_for_existing_staff(tmp_path):
    import sqlite3

    from store.database import Database, migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version < 9:
            conn.executescript(sql)
    conn.execute("INSERT INTO account (username, role, password_hash, created_at)"
                 " VALUES ('old-boss', 'admin', 'x', '2026-01-01T00:00:00Z')")
    conn.execute("PRAGMA user_version = 8")
    conn.commit()
    conn.close()
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT scope FROM staff_scope ORDER BY scope")
        assert {r["scope"] for r in rows} == {s.value for s in ALL_SCOPES}
    finally:
        await db.close()
