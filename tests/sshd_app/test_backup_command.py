"""`admin backup create|list` over SSH and locally, the schedule inside the server, the backup
settings, and `wardroom keygen` / `wardroom restore` as the operator runs them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from sshd_app.cli import local_admin
from sshd_app.commands.backup import backup_plan
from sshd_app.commands.dates import stamp
from sshd_app.config import ConfigError, Settings, load_settings
from store.backup_key import create_key_file
from store.backups import MAX_AGE, backup_file_name
from store.roles import Role
from store.services import Services
from tests.backup_world import backup_plan as store_backup_plan
from tests.backup_world import backups_for
from tests.conftest import PASSWORD, START, RunningServer
from tests.retention_world import make_world
from tests.sealed import post_as
from tests.server_process import ServerProcess
from tests.sshclient import run_command
from tests.sshd_app.admin_cli import TRANSPORTS, AdminTransport, staff_transport

SITES = ("site-a", "site-b")


@pytest.fixture
def settings(tmp_path: Path, host_keys_dir: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test server with two backup destinations and a key, none beside the database."""
    db = tmp_path / "wardroom.db"
    sites = tuple(tmp_path_factory.mktemp(site) for site in SITES)
    key_file = tmp_path_factory.mktemp("keys") / "backup.key"
    create_key_file(key_file, db, sites, START)
    return Settings(listen="127.0.0.1:0", db=str(db), host_keys=str(host_keys_dir),
                    second_factor_required=False,
                    backup_destinations=tuple(map(str, sites)), backup_key_file=str(key_file))


@pytest.fixture(params=TRANSPORTS)
async def admin(request: pytest.FixtureRequest,
                wardroom: RunningServer) -> AsyncIterator[AdminTransport]:
    async with staff_transport(request.param, wardroom) as transport:
        yield transport


async def _listed(admin: AdminTransport) -> list[dict]:
    outcome = await admin.run("backup", "list", "--json")
    assert outcome.returncode == 0, outcome.output
    return json.loads(outcome.stdout)


async def _first_scheduled(admin: AdminTransport) -> dict:
    """The server's schedule takes a backup as soon as it starts."""
    for _ in range(200):
        if listed := await _listed(admin):
            return listed[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the schedule took no backup at start")


async def test_create_prints_the_id_and_list_shows_where_and_until_when(admin):
    world = admin.world
    sites = list(world.settings.backup_destinations)
    scheduled = await _first_scheduled(admin)
    world.clock.advance(timedelta(hours=3))

    created = await admin.run("backup", "create")
    assert created.returncode == 0, created.output
    backup = int(created.stdout.strip())
    world.clock.advance(timedelta(minutes=1))
    as_json = await admin.run("backup", "create", "--json")
    assert as_json.returncode == 0, as_json.output
    second = json.loads(as_json.stdout)["id"]

    listed = await _listed(admin)
    assert [b["id"] for b in listed] == [scheduled["id"], backup, second]
    entry = listed[1]
    created_at = world.clock.now() - timedelta(minutes=1)
    assert entry["created"] == stamp(created_at)
    assert entry["deletes"] == stamp(created_at + MAX_AGE)
    assert entry["destinations"] == sites
    assert entry["age_seconds"] == 60
    for site in sites:
        copy = Path(site) / backup_file_name(backup)
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600

    table = await admin.run("backup", "list")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "CREATED"]
    row = next(i for i, line in enumerate(lines) if line.startswith(str(backup)))
    assert "0d 00h" in lines[row]
    # one destination per line: the second one on a line of its own, under the first
    assert lines[row].rsplit("  ", 1)[1].startswith("/")
    assert lines[row + 1].startswith(" " * 40) and lines[row + 1].strip().startswith("/")
    assert all(len(line) <= 80 for line in lines)

    audit = [(e.actor, e.target_ids) for e in await world.services.audit.entries()
             if e.action == "backup.create"]
    assert audit == [("backup", str(scheduled["id"])), (admin.actor, str(backup)),
                     (admin.actor, str(second))]


async def test_a_destination_that_fails_is_named_and_the_others_still_get_it(admin):
    world = admin.world
    await _first_scheduled(admin)
    offline = Path(world.settings.backup_destinations[0])
    await asyncio.to_thread(shutil.rmtree, offline)  # as if its mount went away
    world.clock.advance(timedelta(hours=1))

    outcome = await admin.run("backup", "create")

    assert outcome.returncode == 0, outcome.output
    assert f"destination {offline} failed" in outcome.stderr
    backup = int(outcome.stdout)
    assert (Path(world.settings.backup_destinations[1]) / backup_file_name(backup)).is_file()
    listing = await admin.run("backup", "list")
    assert f"destination {offline} is unreachable" in listing.stderr


async def test_backups_are_for_staff_only(wardroom):
    await wardroom.add_account("klara", Role.CLIENT)
    result = await run_command(wardroom.port, "klara", "admin backup create", PASSWORD)
    assert result.exit_status == 77


async def test_without_destinations_the_commands_say_so(tmp_path, clock, capsys):
    code = await local_admin(Settings(db=str(tmp_path / "w.db")), ["backup", "list"],
                             clock=clock)
    assert code == 1
    assert "backups are not configured" in capsys.readouterr().err


def test_the_maximum_age_may_only_go_down():
    assert load_settings(environ={"WARDROOM_BACKUP_MAX_AGE_DAYS": "14"}
                         ).backup_max_age_days == 14
    assert Settings().backup_max_age_days == 56
    with pytest.raises(ConfigError, match=r"MAX_AGE_DAYS.*from 1 to 56"):
        load_settings(environ={"WARDROOM_BACKUP_MAX_AGE_DAYS": "57"})


def test_destinations_come_as_a_list_or_joined_like_path(tmp_path):
    config = tmp_path / "w.toml"
    config.write_text('backup_destinations = ["/mnt/a", "/mnt/b"]\n')
    assert load_settings(str(config), environ={}).backup_destinations == ("/mnt/a", "/mnt/b")
    assert load_settings(environ={"WARDROOM_BACKUP_DESTINATIONS": "/mnt/a:/mnt/b"}
                         ).backup_destinations == ("/mnt/a", "/mnt/b")
    config.write_text('backup_destinations = "/mnt/a"\n')
    with pytest.raises(ConfigError, match="backup_destinations"):
        load_settings(str(config), environ={})


def test_destinations_need_a_key_kept_apart(tmp_path, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    db = tmp_path / "wardroom.db"
    with pytest.raises(ConfigError, match="backup_key_file: needed"):
        backup_plan(Settings(db=str(db), backup_destinations=(str(site),)))
    beside = tmp_path / "backup.key"
    beside.write_text("0" * 64 + "\n")
    beside.chmod(0o600)
    with pytest.raises(ConfigError, match="must not lie in"):
        backup_plan(Settings(db=str(db), backup_destinations=(str(site),),
                             backup_key_file=str(beside)))
    elsewhere = tmp_path_factory.mktemp("keys") / "backup.key"
    elsewhere.write_text("0" * 64 + "\n")
    elsewhere.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        backup_plan(Settings(db=str(db), backup_destinations=(str(site),),
                             backup_key_file=str(elsewhere)))


async def _wardroom(*args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sshd_app.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_keygen_makes_a_private_key_file_once_and_never_beside_the_database(
        tmp_path, tmp_path_factory):
    db = tmp_path / "wardroom.db"
    key_file = tmp_path_factory.mktemp("keys") / "backup.key"

    code, out, _err = await _wardroom("keygen", "--db", str(db), "--key-file", str(key_file))
    assert code == 0 and "created" in out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()

    code, _out, err = await _wardroom("keygen", "--db", str(db), "--key-file", str(key_file))
    assert code == 1 and "never overwritten" in err
    assert key_file.read_bytes() == first

    code, _out, err = await _wardroom("keygen", "--db", str(db), "--key-file",
                                      str(tmp_path / "backup.key"))
    assert code == 1 and "must not lie in" in err
    assert not (tmp_path / "backup.key").exists()


async def test_restore_refuses_a_running_server_then_restores_and_replays(
        tmp_path, tmp_path_factory, host_keys_dir, clock, fast_vault):
    db = tmp_path / "wardroom.db"
    services = await Services.open(db, clock=clock, vault=fast_vault)
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "vor der Sicherung")
    plan, _key = store_backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()
    backup = plan.destinations[0] / backup_file_name(result.id)
    restore = ("restore", str(backup), "--db", str(db), "--key-file", str(plan.key_file))

    server = ServerProcess(db, host_keys_dir)
    await server.start()
    try:
        code, out, err = await _wardroom(*restore)
        assert code == 1 and "stop `wardroom serve`" in err and "nothing was restored" in err
    finally:
        server.signal(15)
        assert await server.wait() == 0

    code, out, err = await _wardroom(*restore)
    assert code == 0, err
    assert f"restored backup {result.id}" in out
    assert "replayed from the erasure ledger: 1 rooms, 1 accounts" in out
    assert "retention: 0 rooms with 0 messages deleted" in out
    reopened = await Services.open(db, clock=clock, vault=fast_vault)
    try:
        assert await reopened.accounts.by_username("klara") is None
        assert tuple(await reopened.db.fetchone("SELECT count(*) FROM message")) == (0,)
    finally:
        await reopened.close()


async def test_restore_with_a_wrong_key_names_the_keys(tmp_path, tmp_path_factory, clock,
                                                       fast_vault):
    db = tmp_path / "wardroom.db"
    services = await Services.open(db, clock=clock, vault=fast_vault)
    await make_world(services, clock)
    plan, key = store_backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()
    other = tmp_path_factory.mktemp("other") / "backup.key"
    other_key = create_key_file(other, db, (), START)

    code, _out, err = await _wardroom("restore", str(plan.destinations[0] /
                                                     backup_file_name(result.id)),
                                      "--db", str(db), "--key-file", str(other))
    assert code == 1
    assert err.count("\n") == 1
    assert key.key_id in err and other_key.key_id in err and "nothing was restored" in err


async def test_serve_refuses_destinations_without_a_key(tmp_path, tmp_path_factory,
                                                       host_keys_dir):
    site = tmp_path_factory.mktemp("site")
    code, _out, err = await _wardroom(
        "serve", "--listen", "127.0.0.1:0", "--db", str(tmp_path / "wardroom.db"),
        "--host-keys", str(host_keys_dir), "--config", str(_config(tmp_path, site)))
    assert code == 2
    assert "backup_key_file: needed when backup_destinations is set" in err


def _config(tmp_path: Path, site: Path) -> Path:
    config = tmp_path / "wardroom.toml"
    config.write_text(f"backup_destinations = [{json.dumps(str(site))}]\n")
    return config
