"""Fixtures: a real wardroom server on 127.0.0.1:0 with a temporary database and a movable clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher

from sshd_app.config import Settings
from sshd_app.host_keys import ensure_host_keys
from sshd_app.server import WardroomServer, install_library_patches
from store.accounts.accounts import Account
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.hub.relay import RelayHub, hub_socket_path
from store.services import Services
from tests.linked_hubs import Linked, linked_hubs, unlink
from tests.postgres import throwaway_database

if TYPE_CHECKING:
    # For the annotation only: imported before sshd_app, asyncssh would show the DSA warnings
    # that sshd_app/__init__.py silences.
    import asyncssh

PASSWORD = "correct-horse-battery"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def library_patches() -> None:
    """Installed as `serve` and each worker install them: every test's servers and apps run
    with them (importing wardroom's modules installs nothing)."""
    install_library_patches()


@pytest.fixture(scope="session")
def host_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One set of keys serves the whole run, loaded once: RSA-4096 generation takes a second
    or two, and loading the key checks it for half a second, which every in-process server
    start would pay again (`serve` pays it once per process)."""
    directory = tmp_path_factory.mktemp("host_keys")
    keys = ensure_host_keys(directory)

    def loaded_once(path: Path) -> list[asyncssh.SSHKey]:
        return keys if path == directory else ensure_host_keys(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sshd_app.server.ensure_host_keys", loaded_once)
        yield directory


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def quick_vault() -> PasswordVault:
    """argon2id with small parameters so tests do not spend minutes hashing."""
    return PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def fast_vault() -> PasswordVault:
    return quick_vault()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The engine under the `services` of a test: SQLite, unless the folder's conftest runs its
    tests on both (tests/store, tests/e2e: see tests/postgres.py)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
async def db_target(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """What `db` names for this test: a SQLite file in its tmp_path, or a PostgreSQL database
    of its own."""
    if backend == "sqlite":
        yield str(tmp_path / "wardroom.db")
        return
    async with throwaway_database() as url:
        yield url


async def open_services(db: Path | str, clock: FrozenClock, vault: PasswordVault) -> Services:
    # A relay, as `wardroom serve` has: serving() lets it listen, so `wardroom admin` run
    # locally in a test reaches that server's sessions.
    return await Services.open(db, clock=clock, vault=vault, hub=RelayHub())


@pytest.fixture
async def services(db_target: str, clock: FrozenClock,
                   fast_vault: PasswordVault) -> AsyncIterator[Services]:
    opened = await open_services(db_target, clock, fast_vault)
    yield opened
    await opened.close()


@dataclass
class RunningServer:
    server: WardroomServer | None  # None: only `wardroom admin` on the host reaches this world
    services: Services
    clock: FrozenClock
    settings: Settings

    @property
    def port(self) -> int:
        assert self.server is not None, "this world runs no SSH server (see serving())"
        return self.server.port

    @property
    def db_path(self) -> Path:
        assert self.services.db.path is not None, "a SQLite test (mark it sqlite_only)"
        return self.services.db.path

    async def add_account(self, name: str, role: Role, password: str = PASSWORD,
                          accepted_policy: bool = True, **kwargs) -> Account:
        """A ready account; it has accepted the current privacy notice unless told otherwise
        (without that, its first login stops at the consent gate), and a client has seen its
        recovery code (tests/e2e/test_sealed_rooms.py shows it at a first login)."""
        account = await self.services.accounts.create(name, role, password, **kwargs)
        await self.services.db.execute(
            "UPDATE account_key SET recovery_code_shown = 1 WHERE account_id = ?", (account.id,))
        if accepted_policy:
            await self.services.policy.accept(account, await self.services.policy.current())
        return account


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, db_target: str,
             host_keys_dir: Path) -> Settings:
    """Server settings; a test changes some with `@pytest.mark.settings(name=value, ...)`."""
    overrides = {}
    marker = request.node.get_closest_marker("settings")
    if marker is not None:
        overrides = marker.kwargs
    return settings_in(tmp_path, host_keys_dir, db=db_target, **overrides)


def settings_in(directory: Path, host_keys_dir: Path, db: str | None = None,
                **overrides: object) -> Settings:
    # The second factor is required for counsellors and staff in production; tests outside
    # tests/sshd_app/test_second_factor*.py log those roles in with a password alone.
    values = {"second_factor_required": False, **overrides}
    return Settings(listen="127.0.0.1:0", db=db or str(directory / "wardroom.db"),
                    host_keys=str(host_keys_dir), **values)


@contextlib.asynccontextmanager
async def serving(settings: Settings, services: Services, clock: FrozenClock, *,
                  ssh: bool = True) -> AsyncIterator[RunningServer]:
    """The relay listens as under `wardroom serve`, and with `ssh` the SSH server runs. A test
    that drives only `wardroom admin` on the host needs no SSH server: it saves its start."""
    relay = services.hub
    assert isinstance(relay, RelayHub)
    await relay.listen(hub_socket_path(services.db.target))
    server = WardroomServer(settings, services) if ssh else None
    try:
        if server is not None:
            await server.start()
        yield RunningServer(server, services, clock, settings)
    finally:
        if server is not None:
            await server.stop()
        await relay.close()


@contextlib.asynccontextmanager
async def world_of_its_own(directory: Path, host_keys_dir: Path, *,
                           ssh: bool) -> AsyncIterator[RunningServer]:
    """What the settings, services and `wardroom` fixtures make for one test, made once in
    `directory`: for a module's tests that share one world because none of them changes it."""
    clock = FrozenClock(START)
    services = await open_services(directory / "wardroom.db", clock, quick_vault())
    try:
        async with serving(settings_in(directory, host_keys_dir), services, clock,
                           ssh=ssh) as world:
            yield world
    finally:
        await services.close()


@pytest.fixture
async def wardroom(settings: Settings, services: Services,
                   clock: FrozenClock) -> AsyncIterator[RunningServer]:
    async with serving(settings, services, clock) as world:
        yield world


@pytest.fixture
async def linked(tmp_path: Path) -> AsyncIterator[Linked]:
    """The parent's relay and two workers' hubs, linked as under `serve --workers 2`."""
    hubs = await linked_hubs(tmp_path / "hub.sock")
    yield hubs
    await unlink(hubs)
