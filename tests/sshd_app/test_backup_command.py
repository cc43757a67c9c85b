"""`admin backup create|list` over SSH and locally, the schedule inside the server, the backup
settings, and `wardroom keygen` / `wardroom restore` as the operator runs them: the identity
goes to the operator and nowhere else, and a restore works only with it."""

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

import pyrage
import pytest
from pyrage import ssh, x25519

from sshd_app.cli import local_admin
from sshd_app.commands.dates import stamp
from sshd_app.config import ConfigError, Settings, backup_plan, load_settings
from store.accounts.roles import Role
from store.backup.backups import MAX_AGE, backup_file_name, backup_id
from store.backup.key import add_recipient, generate_identity
from store.services import Services
from tests.backup_world import backup_plan as store_backup_plan
from tests.backup_world import backups_for, files_in, old_key_file, write_old_backup
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
    """The test server with two backup destinations and a recipient, none beside the
    database."""
    db = tmp_path / "wardroom.db"
    sites = tuple(tmp_path_factory.mktemp(site) for site in SITES)
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    add_recipient(key_file, generate_identity().recipient, db, sites, START)
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
    assert entry["format"] == "age"
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


def test_destinations_need_recipients_kept_apart(tmp_path, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    db = tmp_path / "wardroom.db"
    recipient = generate_identity().recipient

    def plan_with(key_file: Path) -> None:
        backup_plan(Settings(db=str(db), backup_destinations=(str(site),),
                             backup_key_file=str(key_file)))

    with pytest.raises(ConfigError, match="backup_key_file: needed"):
        backup_plan(Settings(db=str(db), backup_destinations=(str(site),)))
    beside = tmp_path / "backup.recipients"
    beside.write_text(recipient + "\n")
    with pytest.raises(ConfigError, match="must not lie in"):
        plan_with(beside)
    elsewhere = tmp_path_factory.mktemp("keys") / "backup.recipients"
    elsewhere.write_text(recipient + "\n")
    elsewhere.chmod(0o644)  # a public key may be read by anyone
    plan_with(elsewhere)
    elsewhere.chmod(0o664)  # but not changed: it decides who reads every later backup
    with pytest.raises(ConfigError, match="chmod go-w"):
        plan_with(elsewhere)


# Named ids: a generated identity in the test's id would differ between xdist's workers,
# which must collect the same tests.
@pytest.mark.parametrize("secret", [
    str(x25519.Identity.generate()),
    "0123456789abcdef" * 4,  # a key file of the old format
], ids=["age-identity", "old-key-file"])
def test_the_server_refuses_to_hold_a_secret_key(tmp_path, tmp_path_factory, secret):
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    key_file.write_text(f"{generate_identity().recipient}\n{secret}\n")
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="line 2: a secret key") as refused:
        backup_plan(Settings(db=str(tmp_path / "wardroom.db"),
                             backup_destinations=(str(tmp_path_factory.mktemp("site")),),
                             backup_key_file=str(key_file)))
    assert secret not in str(refused.value)


async def _wardroom(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sshd_app.cli", *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_keygen_prints_the_identity_once_and_keeps_only_its_recipient(
        tmp_path, tmp_path_factory):
    db = tmp_path / "wardroom.db"
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    keygen = ("keygen", "--db", str(db), "--key-file", str(key_file))

    code, out, err = await _wardroom(*keygen)
    assert code == 0, err
    identity = x25519.Identity.from_str(out.splitlines()[-1])  # age-keygen's file layout
    recipient = str(identity.to_public())
    assert f"# public key: {recipient}" in out and "offline" in err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "AGE-SECRET-KEY-" not in key_file.read_text()
    assert _recipients(key_file) == [recipient]

    # a second holder: another identity, added beside the first, which stays
    code, out, err = await _wardroom(*keygen)
    assert code == 0, err
    second = str(x25519.Identity.from_str(out.splitlines()[-1]).to_public())
    assert _recipients(key_file) == [recipient, second]

    # an existing recipient, e.g. made with age-keygen on the operator's own machine
    existing = generate_identity().recipient
    code, out, err = await _wardroom(*keygen, "--recipient", existing)
    assert code == 0 and out == "" and existing in err
    assert _recipients(key_file) == [recipient, second, existing]

    for refused, says in ((existing, "already"), ("age1nonsense", "not an age recipient")):
        code, out, err = await _wardroom(*keygen, "--recipient", refused)
        assert code == 1 and says in err and out == ""
    assert _recipients(key_file) == [recipient, second, existing]

    code, out, err = await _wardroom("keygen", "--db", str(db), "--key-file",
                                     str(tmp_path / "backup.recipients"))
    assert code == 1 and "must not lie in" in err and out == ""
    assert not (tmp_path / "backup.recipients").exists()


def _recipients(key_file: Path) -> list[str]:
    return [line for line in key_file.read_text().splitlines()
            if line and not line.startswith("#")]


async def test_the_server_holds_no_identity_and_nothing_it_holds_opens_a_backup(
        tmp_path, tmp_path_factory, host_keys_dir):
    """Everything a thief of the running server gets: its configuration, database directory,
    recipients file, host keys and the backups. No identity among them, and no key there
    (not the host keys either, which age could use as SSH identities) opens a backup;
    the identity keygen printed does."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "wardroom.db"
    site = tmp_path_factory.mktemp("site")
    keys = tmp_path_factory.mktemp("keys")
    config = data / "wardroom.toml"
    config.write_text(f"backup_destinations = [{json.dumps(str(site))}]\n"
                      f"backup_key_file = {json.dumps(str(keys / 'backup.recipients'))}\n")
    code, identity_out, err = await _wardroom("keygen", "--db", str(db), "--config",
                                              str(config))
    assert code == 0, err
    identity = x25519.Identity.from_str(identity_out.splitlines()[-1])

    server = ServerProcess(db, host_keys_dir, "--config", str(config))
    await server.start()
    try:
        for _ in range(400):  # the schedule backs up at start
            if list(site.glob("wardroom-*.backup")):
                break
            await asyncio.sleep(0.05)
    finally:
        server.signal(15)
        assert await server.wait() == 0
    [backup] = site.glob("wardroom-*.backup")
    data_of_backup = backup.read_bytes()

    assert pyrage.decrypt(data_of_backup, [identity]).startswith(b"SQLite format 3\0")
    held = {f"{place}/{name}": content for place in (data, keys, host_keys_dir, site)
            for name, content in files_in(place).items()}
    assert held and not [name for name, content in held.items()
                         if b"AGE-SECRET-KEY-" in content.upper()]
    tried = 0
    for content in held.values():
        try:
            candidate = ssh.Identity.from_buffer(content)
        except pyrage.IdentityError:
            continue
        tried += 1
        with pytest.raises(pyrage.DecryptError):
            pyrage.decrypt(data_of_backup, [candidate])
    assert tried  # the host's Ed25519 (and RSA) key were tried


async def _backed_up_then_erased(db: Path, tmp_path_factory, clock,
                                 fast_vault) -> tuple[Path, Path]:
    """A backup holding klara's message, then klara erased; returns the backup and a file
    with the identity, as the operator keeps it offline."""
    services = await Services.open(db, clock=clock, vault=fast_vault)
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "vor der Sicherung")
    plan, keys = store_backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()
    identity_file = tmp_path_factory.mktemp("offline") / "identity.txt"
    identity_file.write_text(f"# the backup identity\n{keys.identities[0]}\n")
    return plan.destinations[0] / backup_file_name(result.id), identity_file


async def _assert_restored_without_klara(db: Path, clock, fast_vault) -> None:
    reopened = await Services.open(db, clock=clock, vault=fast_vault)
    try:
        assert await reopened.accounts.by_username("klara") is None
        assert tuple(await reopened.db.fetchone("SELECT count(*) FROM message")) == (0,)
    finally:
        await reopened.close()


async def test_restore_refuses_a_running_server_then_restores_and_replays(
        tmp_path, tmp_path_factory, host_keys_dir, clock, fast_vault):
    db = tmp_path / "wardroom.db"
    backup, identity_file = await _backed_up_then_erased(db, tmp_path_factory, clock,
                                                         fast_vault)
    restore = ("restore", str(backup), "--db", str(db), "--identity", str(identity_file))

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
    assert f"restored backup {backup.name[9:-7]}" in out
    assert "replayed from the erasure ledger: 1 rooms, 1 accounts" in out
    assert "retention: 0 rooms with 0 messages deleted" in out
    await _assert_restored_without_klara(db, clock, fast_vault)


async def test_restore_reads_the_identity_from_standard_input(tmp_path, tmp_path_factory,
                                                              clock, fast_vault):
    db = tmp_path / "wardroom.db"
    backup, identity_file = await _backed_up_then_erased(db, tmp_path_factory, clock,
                                                         fast_vault)
    code, out, err = await _wardroom("restore", str(backup), "--db", str(db), "--identity",
                                     "-", stdin=identity_file.read_bytes())
    assert code == 0, err
    assert "replayed from the erasure ledger: 1 rooms, 1 accounts" in out
    await _assert_restored_without_klara(db, clock, fast_vault)


async def test_restore_without_the_identity_says_so_in_one_line(tmp_path, tmp_path_factory,
                                                                clock, fast_vault):
    db = tmp_path / "wardroom.db"
    backup, _identity_file = await _backed_up_then_erased(db, tmp_path_factory, clock,
                                                          fast_vault)
    before = files_in(tmp_path)
    other = tmp_path_factory.mktemp("other") / "identity.txt"
    other.write_text(f"{x25519.Identity.generate()}\n")
    not_an_identity = tmp_path_factory.mktemp("other") / "identity.txt"
    not_an_identity.write_text(generate_identity().recipient + "\n")

    for given, code_wanted, says in (
            ((), 2, "restore needs the offline age identity: --identity FILE"),
            (("--identity", str(other)), 1, "no identity given opens this backup"),
            (("--identity", str(not_an_identity)), 1, "line 1: not an age identity"),
            (("--identity", "-"), 1, "standard input holds no age identity")):
        code, out, err = await _wardroom("restore", str(backup), "--db", str(db), *given)
        assert (code, out, err.count("\n")) == (code_wanted, "", 1), err
        assert err.startswith("wardroom: ") and says in err and "nothing was restored" in err
    assert {k: v for k, v in files_in(tmp_path).items() if not k.endswith(".lock")} == {
        k: v for k, v in before.items() if not k.endswith(".lock")}


async def test_restore_of_an_old_format_backup_with_the_old_key(tmp_path, tmp_path_factory,
                                                                clock, fast_vault):
    db = tmp_path / "wardroom.db"
    services = await Services.open(db, clock=clock, vault=fast_vault)
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "vor der Umstellung")
    old_key = tmp_path_factory.mktemp("offline") / "backup.key"
    key = old_key_file(old_key)
    backup = tmp_path_factory.mktemp("site") / backup_file_name(backup_id(clock.now()))
    write_old_backup(db, backup, key, clock.now())
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()

    code, out, err = await _wardroom("restore", str(backup), "--db", str(db), "--identity",
                                     "-", stdin=f"{x25519.Identity.generate()}\n".encode())
    assert code == 1 and "old wardroom format" in err and "--old-key" in err
    code, out, err = await _wardroom("restore", str(backup), "--db", str(db), "--old-key",
                                     str(old_key))
    assert code == 0, err
    assert "replayed from the erasure ledger: 1 rooms, 1 accounts" in out
    await _assert_restored_without_klara(db, clock, fast_vault)


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
