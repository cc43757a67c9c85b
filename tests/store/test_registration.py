"""Self-registration in the store: account, key pair and consent are made together or not at
all, and the new account comes back with its keys open."""

from __future__ import annotations

import pytest

from store.accounts.accounts import AccountExists
from store.accounts.passwords import WeakPassword
from store.accounts.roles import Role
from tests.conftest import PASSWORD


async def test_registering_makes_account_keys_and_consent_together(services):
    version = await services.policy.current()
    login = await services.registration.register("neu.klientin", PASSWORD, "en", version)
    assert login.account.role is Role.CLIENT and login.account.language == "en"
    assert (await services.policy.accepted(login.account)).version == version.label
    assert await services.policy.pending_for(login.account) is None
    # Its keys are open, and its recovery code waits to be shown once.
    assert await services.account_keys.unshown_recovery_code(login.keys) is not None


@pytest.mark.parametrize(("name", "password", "refused"), [
    ("taken", PASSWORD, AccountExists),
    ("kurz", "zu-kurz", WeakPassword),
])
async def test_a_refused_registration_writes_nothing(services, name, password, refused):
    await services.accounts.create("taken", Role.COUNSELLOR, PASSWORD)
    before = [tuple(r) for r in await services.db.fetchall(
        "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM account_key),"
        " (SELECT count(*) FROM policy_acceptance)")]
    with pytest.raises(refused):
        await services.registration.register(name, password, "de",
                                             await services.policy.current())
    after = [tuple(r) for r in await services.db.fetchall(
        "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM account_key),"
        " (SELECT count(*) FROM policy_acceptance)")]
    assert after == before
