"""Smoke test: each role logs in over real SSH and lands on its home screen."""

from __future__ import annotations

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import connect


@pytest.mark.parametrize(("role", "title"), [
    (Role.CLIENT, "Ihr Anliegen"),
    (Role.COUNSELLOR, "Ihre Beratungen"),
    (Role.ADMIN, "Verwaltung"),
])
async def test_role_lands_on_home(wardroom, role, title):
    await wardroom.add_account("someone", role)
    client = await connect(wardroom.port, "someone", PASSWORD)
    try:
        screen = await client.wait_for(title)
        assert "someone" in screen
    finally:
        await client.close()
