"""`admin user …` over SSH exec and locally: add, list, disable, enable, reset-password."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest
import pytest_asyncio
from rich.cells import cell_len

from sshd_app.config import Settings
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.services import Services
from tests.conftest import PASSWORD, RunningServer
from tests.sshclient import connect, run_command
from tests.sshd_app.admin_cli import (
    STAFF,
    TRANSPORTS,
    AdminTransport,
    SshAdmin,
    db_snapshot,
    staff_in_shared_world,
    staff_on,
)

ONE_TIME = re.compile(r"one-time password for (\S+): (\S+) \(shown once")


@pytest.fixture(params=TRANSPORTS)
async def admin(request: pytest.FixtureRequest, settings: Settings, services: Services,
                clock: FrozenClock) -> AsyncIterator[AdminTransport]:
    async with staff_on(request.param, request, settings, services, clock) as transport:
        yield transport


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=TRANSPORTS)
async def shared_admin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       host_keys_dir: Path) -> AsyncIterator[AdminTransport]:
    """One world per transport for the tests marked in_shared_world: each proves that it
    changed nothing (db_snapshot) or only reads usage and help, so none sees another's trace."""
    async with staff_in_shared_world(request.param, tmp_path_factory.mktemp("shared"),
                                     host_keys_dir) as transport:
        yield transport


# These tests run in the module's event loop, where their shared world lives.
in_shared_world = pytest.mark.asyncio(loop_scope="module")


async def _audit(world: RunningServer, action: str) -> list[tuple[str, str]]:
    return [(e.actor, e.target_ids) for e in await world.services.audit.entries()
            if e.action == action]


async def _audit_text(world: RunningServer) -> str:
    return " ".join(f"{e.actor} {e.action} {e.target_ids}"
                    for e in await world.services.audit.entries())


async def test_add_prints_the_id_then_a_one_time_password_to_change_at_login(admin):
    world = admin.world
    result = await admin.run("user", "add", "carla", "--role", "client")
    assert result.returncode == 0, result.stderr
    id_line, password_line = result.stdout.splitlines()
    account = await world.services.accounts.by_username("carla")
    assert account is not None and int(id_line) == account.id
    match = ONE_TIME.search(password_line)
    assert match and match.group(1) == "carla"
    one_time = match.group(2)
    checked = await world.services.accounts.check_password("carla", one_time)
    assert checked is not None and checked.must_change_password
    assert await _audit(world, "user.add") == [(admin.actor, str(account.id))]
    assert one_time not in await _audit_text(world)


async def test_add_json_holds_only_the_id_and_the_password_goes_to_stderr(admin):
    result = await admin.run("user", "add", "anna", "--role", "counsellor", "--json")
    assert result.returncode == 0, result.stderr
    account = await admin.world.services.accounts.by_username("anna")
    assert account is not None and account.role is Role.COUNSELLOR
    assert json.loads(result.stdout) == {"id": account.id}
    match = ONE_TIME.search(result.stderr)
    assert match and match.group(2) not in result.stdout


async def test_add_with_password_stdin_keeps_the_password_out_of_every_output(admin, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "a-secret-chosen-by-staff"
    result = await admin.run("user", "add", "dora", "--role", "client", "--password-stdin",
                             stdin=secret + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().isdigit() and result.stderr == ""
    checked = await admin.world.services.accounts.check_password("dora", secret)
    assert checked is not None and not checked.must_change_password
    assert secret not in await _audit_text(admin.world)
    assert secret not in caplog.text
    listed = await admin.run("user", "list", "--json")
    assert secret not in listed.stdout and "argon2" not in listed.stdout
    assert "password_hash" not in listed.stdout


@in_shared_world
async def test_a_password_is_never_taken_from_the_command_line(shared_admin):
    before = await db_snapshot(shared_admin.world.services.db)
    result = await shared_admin.run("user", "add", "dora", "--role", "client",
                                    "--password", "in-argv-would-leak")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert await db_snapshot(shared_admin.world.services.db) == before


@in_shared_world
async def test_password_stdin_without_input_fails_and_creates_nothing(shared_admin):
    before = await db_snapshot(shared_admin.world.services.db)
    result = await shared_admin.run("user", "add", "dora", "--role", "client",
                                    "--password-stdin", stdin="")
    assert result.returncode == 1
    assert result.stderr == "admin: no password on standard input\n"
    short = await shared_admin.run("user", "add", "dora", "--role", "client",
                                   "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert short.stderr.startswith("admin: password refused") and short.stderr.count("\n") == 1
    assert await db_snapshot(shared_admin.world.services.db) == before


@in_shared_world
@pytest.mark.parametrize("name", ["../x", "two words", "semi;colon", "ａｌｉｃｅ", "x" * 300, "",
                                  "Carla", "register", ".hidden"])
async def test_hostile_usernames_are_refused_and_nothing_changes(shared_admin, name):
    before = await db_snapshot(shared_admin.world.services.db)
    result = await shared_admin.run("user", "add", name, "--role", "client")
    assert result.returncode == 1
    assert result.stderr.startswith("admin: invalid username: use 3-32 characters")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert await db_snapshot(shared_admin.world.services.db) == before


@in_shared_world
async def test_an_unknown_role_is_a_usage_error(shared_admin):
    result = await shared_admin.run("user", "add", "dora", "--role", "root")
    assert result.returncode == 2
    assert "invalid choice: 'root'" in result.stderr


async def test_a_taken_username_is_refused(admin):
    await admin.world.add_account("carla", Role.CLIENT)
    before = await db_snapshot(admin.world.services.db)
    result = await admin.run("user", "add", "carla", "--role", "counsellor")
    assert (result.returncode, result.stderr) == (1, "admin: username carla is already taken\n")
    assert await db_snapshot(admin.world.services.db) == before


async def test_list_filters_by_role_and_never_shows_hashes(admin):
    world = admin.world
    await world.add_account("anna", Role.COUNSELLOR)
    await world.add_account("carla", Role.CLIENT)
    await world.services.accounts.create("emil", Role.CLIENT, PASSWORD, must_change_password=True)
    result = await admin.run("user", "list", "--role", "client", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(a["username"], a["role"], a["disabled"], a["must_change_password"])
            for a in listed] == [("carla", "client", False, False), ("emil", "client", False, True)]
    # The clock stands at 09:00 UTC in November, i.e. 10:00 in Berlin.
    assert listed[0]["created"] == "2026-11-28T10:00:00+01:00"
    assert set(listed[0]) == {"id", "username", "role", "disabled", "must_change_password",
                              "created", "scopes"}
    assert listed[0]["scopes"] == []
    table = await admin.run("user", "list")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "USERNAME", "ROLE", "STATUS", "CREATED", "(BERLIN)"]
    assert [line.split()[1:4] for line in lines[1:]] == [
        ["anna", "counsellor", "active"], [STAFF, "admin", "active"],
        ["carla", "client", "active"], ["emil", "client", "change-pw"]]
    assert all(line.endswith("2026-11-28 10:00") for line in lines[1:])
    assert "$argon2" not in table.stdout + result.stdout


async def test_tables_fit_80_columns_even_with_the_longest_names(admin):
    world = admin.world
    long_client, long_counsellor = "c" * 32, "s" * 32
    await world.add_account(long_client, Role.CLIENT)
    await world.add_account(long_counsellor, Role.COUNSELLOR)
    staff = await world.services.accounts.by_username(STAFF)
    assert staff is not None
    await world.services.bookings.create(staff, long_client, long_counsellor, 2)
    for command in (["user", "list"], ["booking", "list"], ["audit"]):
        result = await admin.run(*command)
        assert result.returncode == 0, result.stderr
        assert all(cell_len(line) <= 80 for line in result.stdout.splitlines()), result.stdout


@pytest.mark.sessions
async def test_disable_then_enable_controls_login(admin):
    world = admin.world
    carla = await world.add_account("carla", Role.CLIENT)
    result = await admin.run("user", "disable", "carla")
    assert (result.returncode, result.stdout) == (0, "account carla disabled\n")
    assert await world.services.accounts.check_password("carla", PASSWORD) is None
    with pytest.raises(asyncssh.PermissionDenied):
        await run_command(world.port, "carla", "export", PASSWORD)
    again = await admin.run("user", "disable", "carla")
    assert (again.returncode, again.stderr) == (1, "admin: account carla is already disabled\n")
    enabled = await admin.run("user", "enable", "carla")
    assert (enabled.returncode, enabled.stdout) == (0, "account carla enabled\n")
    assert await world.services.accounts.check_password("carla", PASSWORD) is not None
    assert await _audit(world, "user.disable") == [(admin.actor, str(carla.id))]
    assert await _audit(world, "user.enable") == [(admin.actor, str(carla.id))]


@pytest.mark.sessions
async def test_disable_ends_the_open_session_at_once(admin):
    """Over SSH inside the server, and locally on the host: the local command reaches the
    running server through its hub socket."""
    world = admin.world
    await world.add_account("carla", Role.CLIENT)
    session = await connect(world.port, "carla", PASSWORD)
    try:
        await session.wait_for("carla")
        result = await admin.run("user", "disable", "carla")
        assert (result.returncode, result.stderr) == (0, "")
        await session.wait_closed()
        assert "gesperrt" in session.raw.decode("utf-8", errors="replace")
    finally:
        await session.close()


@pytest.mark.sessions
async def test_reset_password_ends_the_open_session_at_once(admin):
    """Regression (audit): a reset left the sessions opened with the old password running."""
    world = admin.world
    await world.add_account("carla", Role.CLIENT)
    session = await connect(world.port, "carla", PASSWORD)
    try:
        await session.wait_for("carla")
        result = await admin.run("user", "reset-password", "carla")
        assert result.returncode == 0, result.stderr
        await session.wait_closed()
        assert "zurückgesetzt" in session.raw.decode("utf-8", errors="replace")
    finally:
        await session.close()


@pytest.mark.sessions
async def test_erase_ends_the_open_session_at_once(admin):
    world = admin.world
    await world.add_account("carla", Role.CLIENT)
    session = await connect(world.port, "carla", PASSWORD)
    try:
        await session.wait_for("carla")
        result = await admin.run("user", "erase", "carla", "--confirm", "carla")
        assert (result.returncode, result.stderr) == (0, "")
        await session.wait_closed()
        assert await world.services.accounts.by_username("carla") is None
    finally:
        await session.close()


async def test_staff_cannot_disable_their_own_account(wardroom):
    await wardroom.add_account(STAFF, Role.ADMIN)
    result = await run_command(wardroom.port, STAFF, "admin user disable boss", PASSWORD)
    assert (result.exit_status, result.stderr) == (
        1, "admin: you cannot disable your own account\n")
    boss = await wardroom.services.accounts.by_username(STAFF)
    assert boss is not None and not boss.disabled


async def test_reset_password_prints_a_one_time_password_and_the_old_one_stops_working(admin):
    world = admin.world
    anna = await world.add_account("anna", Role.COUNSELLOR)
    result = await admin.run("user", "reset-password", "anna")
    assert result.returncode == 0, result.stderr
    match = ONE_TIME.search(result.stdout)
    assert match and match.group(1) == "anna"
    assert await world.services.accounts.check_password("anna", PASSWORD) is None
    checked = await world.services.accounts.check_password("anna", match.group(2))
    assert checked is not None and checked.must_change_password
    assert await _audit(world, "user.reset-password") == [(admin.actor, str(anna.id))]
    assert match.group(2) not in await _audit_text(world)


async def test_reset_password_from_stdin_sets_it_without_a_forced_change(admin):
    await admin.world.add_account("anna", Role.COUNSELLOR)
    result = await admin.run("user", "reset-password", "anna", "--password-stdin",
                             stdin="annas-next-password\n")
    assert (result.returncode, result.stdout) == (0, "password of anna changed\n")
    checked = await admin.world.services.accounts.check_password("anna", "annas-next-password")
    assert checked is not None and not checked.must_change_password


@in_shared_world
@pytest.mark.parametrize("action", ["disable", "enable", "reset-password"])
async def test_a_missing_user_is_named_and_nothing_changes(shared_admin, action):
    before = await db_snapshot(shared_admin.world.services.db)
    result = await shared_admin.run("user", action, "nobody")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "admin: not found: account nobody\n"
    assert await db_snapshot(shared_admin.world.services.db) == before


@pytest.mark.parametrize("role", [Role.CLIENT, Role.COUNSELLOR])
async def test_a_non_admin_gets_77_and_an_audit_entry(wardroom, role):
    await wardroom.add_account("someone", role)
    result = await run_command(wardroom.port, "someone", "admin user list", PASSWORD)
    assert result.exit_status == 77
    assert result.stderr.startswith("admin: not permitted")
    assert result.stdout == ""
    assert [(e.actor, e.action) for e in await wardroom.services.audit.entries()] == [
        ("someone", "admin.denied")]


async def test_a_connection_kept_open_loses_its_powers_when_the_account_is_disabled(wardroom):
    boss = SshAdmin(wardroom)
    await wardroom.add_account(STAFF, Role.ADMIN)
    other = await wardroom.add_account("other", Role.ADMIN)
    try:
        assert (await boss.run("user", "list")).returncode == 0
        await wardroom.services.account_admin.disable(other, STAFF)
        result = await boss.run("user", "list")  # a new channel on the same connection
        assert (result.returncode, result.stdout) == (77, "")
    finally:
        await boss.close()


async def test_an_admin_still_on_a_one_time_password_gets_77(wardroom):
    await wardroom.add_account("fresh", Role.ADMIN, must_change_password=True)
    result = await run_command(wardroom.port, "fresh", "admin user list", PASSWORD)
    assert result.exit_status == 77
    assert "one-time password" in result.stderr and result.stdout == ""


async def test_every_staff_login_is_audited(wardroom):
    boss = await wardroom.add_account(STAFF, Role.ADMIN)
    await wardroom.add_account("carla", Role.CLIENT)
    await run_command(wardroom.port, STAFF, "admin user list", PASSWORD)
    session = await connect(wardroom.port, STAFF, PASSWORD)
    try:
        await session.wait_for(STAFF)
    finally:
        await session.close()
    await run_command(wardroom.port, "carla", "export", PASSWORD)
    assert await _audit(wardroom, "staff.login") == [(STAFF, str(boss.id))] * 2


@in_shared_world
@pytest.mark.parametrize("argv", [["frobnicate"], [], ["user"], ["user", "frob"],
                                  ["user", "add", "carla"]])
async def test_unknown_or_incomplete_commands_exit_2_with_usage(shared_admin, argv):
    result = await shared_admin.run(*argv)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: admin")
    assert result.stdout == ""


@in_shared_world
async def test_help_lists_the_groups_and_their_actions(shared_admin):
    top = await shared_admin.run("--help")
    assert top.returncode == 0
    for name in ("user", "request", "match", "booking", "audit"):
        assert name in top.stdout
    user = await shared_admin.run("user", "--help")
    assert user.returncode == 0
    for name in ("add", "list", "disable", "enable", "reset-password"):
        assert name in user.stdout


def test_the_installed_wardroom_command_reads_the_password_from_stdin(tmp_path: Path):
    wardroom = Path(sys.executable).with_name("wardroom")
    db = tmp_path / "host.db"
    added = subprocess.run(
        [str(wardroom), "admin", "--db", str(db), "user", "add", "zoe", "--role", "counsellor",
         "--password-stdin", "--json"],
        input="zoes-first-password\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"id": 1}
    listed = subprocess.run([str(wardroom), "admin", "--db", str(db), "user", "list", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert [a["username"] for a in json.loads(listed.stdout)] == ["zoe"]
    assert "zoes-first-password" not in added.stdout + added.stderr + listed.stdout
