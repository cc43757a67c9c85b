"""No user enumeration: every failed login runs exactly one argon2 run and gets the same
answer, whether the name is unknown, disabled, or the password wrong; a right password costs
that one run too (it gives the verifier and the key that opens the account's rooms)."""

from __future__ import annotations

import asyncssh
import pytest
from argon2.low_level import hash_secret_raw

from store.accounts import passwords
from store.accounts.roles import Role
from tests.conftest import PASSWORD


@pytest.fixture
def verifications(wardroom, monkeypatch) -> list[bytes]:
    """Every argon2 run the server makes for a login, by the salt it was run with."""
    seen: list[bytes] = []

    def counting(secret: bytes, salt: bytes, **parameters) -> bytes:
        seen.append(salt)
        return hash_secret_raw(secret, salt, **parameters)

    monkeypatch.setattr(passwords, "hash_secret_raw", counting)
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
        assert len(verifications) == 1, f"{case}: {len(verifications)} argon2 runs"
    assert len(set(reasons.values())) == 1, reasons
    # The unknown name went through the dummy hash, not a shortcut.
    verifications.clear()
    await _attempt(wardroom.port, "nobody-else", PASSWORD, method)
    assert verifications == [passwords._decode(wardroom.services.vault._dummy_login)[1]]


async def test_a_right_password_costs_the_same_single_verification(wardroom, verifications):
    await wardroom.add_account("anna", Role.CLIENT)
    verifications.clear()  # the account's creation ran one too
    conn = await asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                                  password=PASSWORD, known_hosts=None, client_keys=[],
                                  agent_path=None, preferred_auth="password")
    conn.close()
    assert len(verifications) == 1
