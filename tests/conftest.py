"""Fixtures: a real wardroom server on 127.0.0.1:0 with a temporary database and a movable clock."""

from __future__ import annotations

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


@pytest.fixture
def fast_vault() -> PasswordVault:
    """argon2id with small parameters so tests do not spend minutes hashing."""
    return PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
async def services(tmp_path: Path, clock: FrozenClock,
                   fast_vault: PasswordVault) -> AsyncIterator[Services]:
    # A relay, as `wardroom serve` has: the `wardroom` fixture lets it listen, so `wardroom
    # admin` run locally in a test reaches that server's sessions.
    opened = await Services.open(tmp_path / "wardroom.db", clock=clock, vault=fast_vault,
                                 hub=RelayHub())
    yield opened
    await opened.close()


@dataclass
class RunningServer:
    server: WardroomServer
    services: Services
    clock: FrozenClock
    settings: Settings

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def db_path(self) -> Path:
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
def settings(request: pytest.FixtureRequest, tmp_path: Path, host_keys_dir: Path) -> Settings:
    """Server settings; a test changes some with `@pytest.mark.settings(name=value, ...)`."""
    # The second factor is required for counsellors and staff in production; tests outside
    # tests/sshd_app/test_second_factor*.py log those roles in with a password alone.
    overrides = {}
    marker = request.node.get_closest_marker("settings")
    if marker is not None:
        overrides = marker.kwargs
    values = {"second_factor_required": False, **overrides}
    return Settings(listen="127.0.0.1:0", db=str(tmp_path / "wardroom.db"),
                    host_keys=str(host_keys_dir), **values)


@pytest.fixture
async def wardroom(settings: Settings, services: Services,
                   clock: FrozenClock) -> AsyncIterator[RunningServer]:
    server = WardroomServer(settings, services)
    relay = services.hub
    assert isinstance(relay, RelayHub)
    await relay.listen(hub_socket_path(services.db.path))
    await server.start()
    yield RunningServer(server, services, clock, settings)
    await server.stop()
    await relay.close()


@pytest.fixture
async def linked(tmp_path: Path) -> AsyncIterator[Linked]:
    """The parent's relay and two workers' hubs, linked as under `serve --workers 2`."""
    hubs = await linked_hubs(tmp_path / "hub.sock")
    yield hubs
    await unlink(hubs)
