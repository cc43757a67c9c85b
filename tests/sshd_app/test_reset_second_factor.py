"""`admin user reset-2fa NAME`: staff remove a lost device; audited; the account enrols again."""

from __future__ import annotations

import pyotp

from store.accounts.roles import Role
from store.accounts.second_factor import new_secret
from tests.conftest import PASSWORD
from tests.sshclient import run_command


async def _enrolled_counsellor(wardroom):
    kim = await wardroom.add_account("kim", Role.COUNSELLOR)
    secret = new_secret()
    await wardroom.services.second_factors.enrol(kim, secret,
                                                 pyotp.TOTP(secret).at(wardroom.clock.now()))
    return kim


async def test_staff_reset_removes_the_factor_and_is_audited(wardroom):
    kim = await _enrolled_counsellor(wardroom)
    await wardroom.add_account("boss", Role.ADMIN)
    result = await run_command(wardroom.port, "boss", "admin user reset-2fa kim",
                               password=PASSWORD)
    assert result.exit_status == 0, result.stderr
    assert "kim" in result.stdout
    assert not await wardroom.services.second_factors.is_enrolled(kim.id)
    entry = (await wardroom.services.audit.entries())[-1]
    assert (entry.actor, entry.action, entry.target_ids) == ("boss", "user.reset_2fa",
                                                             str(kim.id))


async def test_reset_of_an_unknown_name_fails_cleanly(wardroom):
    await wardroom.add_account("boss", Role.ADMIN)
    result = await run_command(wardroom.port, "boss", "admin user reset-2fa nobody-here",
                               password=PASSWORD)
    assert result.exit_status == 1
    assert result.stderr.count("\n") == 1


async def test_non_staff_cannot_reset(wardroom):
    kim = await _enrolled_counsellor(wardroom)
    await wardroom.add_account("anna", Role.CLIENT)
    result = await run_command(wardroom.port, "anna", "admin user reset-2fa kim",
                               password=PASSWORD)
    assert result.exit_status == 77
    assert await wardroom.services.second_factors.is_enrolled(kim.id)
