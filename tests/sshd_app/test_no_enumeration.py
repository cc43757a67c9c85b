"""No user enumeration: every failed login runs exactly one argon2 verification and gets the
same answer, whether the name is unknown, disabled, or the password wrong."""

from __future__ import annotations

import asyncssh
import pytest
from argon2 import PasswordHasher

from store.roles import Role
from tests.conftest import PASSWORD


@pytest.fixture
def verifications(wardroom, monkeypatch) -> list[str]:
    """Every argon2 verification the server runs, by the hash it was run against."""
    seen: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            seen.append(str(hash))
            return super().verify(hash, password)

    vault = wardroom.services.vault
    # Same parameters (it reads them from each stored hash anyway), but every call is seen.
    monkeypatch.setattr(vault, "_hasher", CountingHasher.from_parameters(
        vault._hasher._parameters))
    return seen


async def _attempt(port: int, username: str, password: str, method: str) -> str:
    with pytest.raises(asyncssh.PermissionDenied) as refused:
        await asyncssh.connect("127.0.0.1", port, username=username, password=password,
                               known_hosts=None, client_keys=[], agent_path=None,
                               preferred_auth=method)
    return refused.value.reason


@pytest.mark.parametrize("method", ["password", "keyboard-interactive"])
async def test_each_failure_costs_one_verification_and_reads_the_same(
        wardroom, verifications, method):
    await wardroom.add_account("anna", Role.CLIENT)
    locked = await wardroom.add_account("ben", Role.CLIENT)
    await wardroom.services.db.execute("UPDATE account SET disabled = 1 WHERE id = ?",
                                       (locked.id,))
    cases = {
        "unknown": ("nobody-here", PASSWORD),
        "disabled": ("ben", PASSWORD),
        "wrong password": ("anna", "not-the-password"),
    }
    reasons = {}
    for case, (name, password) in cases.items():
        verifications.clear()
        reason = await _attempt(wardroom.port, name, password, method)
        reasons[case] = reason.replace(name, "<name>")
        assert len(verifications) == 1, f"{case}: {len(verifications)} argon2 verifications"
    assert len(set(reasons.values())) == 1, reasons
    # The unknown name went through the dummy hash, not a shortcut.
    verifications.clear()
    await _attempt(wardroom.port, "nobody-else", PASSWORD, method)
    assert verifications == [wardroom.services.vault._dummy_hash]


async def test_a_right_password_costs_the_same_single_verification(wardroom, verifications):
    await wardroom.add_account("anna", Role.CLIENT)
    conn = await asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                                  password=PASSWORD, known_hosts=None, client_keys=[],
                                  agent_path=None, preferred_auth="password")
    conn.close()
    assert len(verifications) == 1
