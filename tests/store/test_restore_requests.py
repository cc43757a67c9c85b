"""A request withdrawn after a backup was taken is withdrawn again by a restore of that
backup: its text comes back in no file."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.backup.backups import backup_file_name
from store.backup.restore import restore
from store.services import Services
from tests.backup_world import backup_plan, backups_for, files_in
from tests.conftest import PASSWORD
from tests.retention_world import new_token


@pytest.fixture
async def services(tmp_path, clock, fast_vault) -> AsyncIterator[Services]:
    opened = await Services.open(tmp_path / "wardroom.db", clock=clock, vault=fast_vault)
    yield opened
    with contextlib.suppress(ValueError):  # closed already, for the restore
        await opened.close()


async def test_a_withdrawal_after_the_backup_is_replayed(services, clock, tmp_path_factory,
                                                         fast_vault):
    klara = await services.accounts.create("klara", Role.CLIENT, PASSWORD)
    token = new_token()
    request = await services.requests.file(klara, f"{token}-START Anliegen {token}-END")
    kept = await services.requests.file(klara, "Bleibt")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    clock.advance(timedelta(hours=1))
    await services.requests.withdraw(klara, request.id)
    await services.close()

    await restore(plan.destinations[0] / backup_file_name(result.id), services.db.path, key,
                  clock, "host:test")

    db_dir = services.db.path.parent
    assert not [name for name, data in files_in(db_dir).items()
                if f"{token}-START".encode() in data]
    restored = await Services.open(services.db.path, clock=clock, vault=fast_vault)
    try:
        assert [r.id for r in await restored.requests.own(klara)] == [kept.id]
    finally:
        await restored.close()
