"""Second factor in the store: enrolment, one use per code, recovery codes, staff reset."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pyotp
import pytest

from store.accounts.roles import Role
from store.accounts.second_factor import (
    RECOVERY_CODE_COUNT,
    AlreadyEnrolled,
    new_secret,
    second_factor_required,
)
from store.errors import Invalid, NotPermitted
from tests.conftest import PASSWORD
from tests.sealed import keys_of


async def _verify(services, account, code: str) -> bool:
    """A code checked as at login: with the keys the account's password opens."""
    return await services.second_factors.verify(account, code,
                                                await keys_of(services, account))



async def _enrolled(services, clock, name="kim", role=Role.COUNSELLOR):
    account = await services.accounts.create(name, role, PASSWORD)
    secret = new_secret()
    codes = await services.second_factors.enrol(account, secret, pyotp.TOTP(secret).at(clock.now()))
    return account, secret, codes


def test_required_for_counsellors_and_staff_only():
    assert second_factor_required(Role.COUNSELLOR) and second_factor_required(Role.ADMIN)
    assert not second_factor_required(Role.CLIENT)


async def test_enrolment_needs_a_matching_first_code(services, clock):
    account = await services.accounts.create("kim", Role.COUNSELLOR, PASSWORD)
    secret = new_secret()
    an_hour_off = pyotp.TOTP(secret).at(clock.now() + timedelta(hours=1))
    with pytest.raises(Invalid):
        await services.second_factors.enrol(account, secret, an_hour_off)
    assert not await services.second_factors.is_enrolled(account.id)


async def test_the_totp_secret_is_stored_only_sealed_to_the_accounts_key(services, clock):
    account, secret, _codes = await _enrolled(services, clock)
    stored = (await services.db.fetchone("SELECT secret FROM second_factor"))[0]
    assert secret not in stored and stored.startswith("hpke:")
    clock.advance(timedelta(seconds=30))
    assert await _verify(services, account, pyotp.TOTP(secret).at(clock.now()))
    # A staff reset gives a new key pair: the factor sealed to the old one goes with it.
    admin = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    await services.account_admin.reset_password(admin, "kim", "ein-neues-passwort")
    assert not await services.second_factors.is_enrolled(account.id)


async def test_a_secret_from_before_sealing_is_sealed_at_its_next_use(services, clock):
    account, secret, _codes = await _enrolled(services, clock)
    await services.db.execute("UPDATE second_factor SET secret = ?", (secret,))
    clock.advance(timedelta(seconds=30))
    assert await _verify(services, account, pyotp.TOTP(secret).at(clock.now()))
    stored = (await services.db.fetchone("SELECT secret FROM second_factor"))[0]
    assert stored.startswith("hpke:") and secret not in stored


async def test_enrolment_gives_recovery_codes_kept_only_as_hashes(services, clock):
    account, _secret, codes = await _enrolled(services, clock)
    assert await services.second_factors.is_enrolled(account.id)
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT
    rows = await services.db.fetchall("SELECT selector, code_hash FROM recovery_code")
    assert len(rows) == RECOVERY_CODE_COUNT
    for row in rows:
        assert row["code_hash"].startswith("$argon2id$")
        assert all(row["code_hash"].find(code) < 0 for code in codes)
    entries = await services.audit.entries()
    assert [e.action for e in entries][-1] == "second_factor.enrol"


async def test_a_code_counts_once_and_only_near_its_time(services, clock):
    account, secret, _codes = await _enrolled(services, clock)
    totp = pyotp.TOTP(secret)
    # The enrolment code's own step is spent: it cannot log in afterwards.
    assert not await _verify(services, account, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    code = totp.at(clock.now())
    assert await _verify(services, account, code)
    assert not await _verify(services, account, code), "replayed code accepted"
    clock.advance(timedelta(minutes=5))
    assert not await _verify(services, account, totp.at(clock.now()
                                                                    - timedelta(minutes=2)))
    assert await _verify(services, account, totp.at(clock.now()))


async def test_recovery_code_works_once(services, clock):
    account, _secret, codes = await _enrolled(services, clock)
    assert await _verify(services, account, codes[3].upper())
    assert not await _verify(services, account, codes[3])
    assert await _verify(services, account, f" {codes[4]} ")
    assert not await _verify(services, account, "zzzz-zzzz-zzzz-zzzz")
    rows = await services.db.fetchall("SELECT 1 FROM recovery_code")
    assert len(rows) == RECOVERY_CODE_COUNT - 2


async def test_codes_of_one_account_do_not_open_another(services, clock):
    _kim, secret, codes = await _enrolled(services, clock, "kim")
    lea, _other, _ = await _enrolled(services, clock, "lea")
    clock.advance(timedelta(seconds=30))
    assert not await _verify(services, lea, pyotp.TOTP(secret).at(clock.now()))
    assert not await _verify(services, lea, codes[0])


async def test_reset_is_for_staff_and_audited(services, clock):
    account, _secret, _codes = await _enrolled(services, clock)
    boss = await services.accounts.create("boss", Role.ADMIN, PASSWORD)
    with pytest.raises(NotPermitted):
        await services.second_factors.reset(account, "kim")
    await services.second_factors.reset(boss, "kim")
    assert not await services.second_factors.is_enrolled(account.id)
    assert not await services.db.fetchall("SELECT 1 FROM recovery_code")
    last = (await services.audit.entries())[-1]
    assert (last.actor, last.action, last.target_ids) == ("boss", "user.reset_2fa",
                                                          str(account.id))


async def test_the_confirmation_submitted_twice_enrols_once(services, clock):
    """Regression (audit): a second submission enrolled again and replaced the recovery codes,
    also when both were in flight at once."""
    account = await services.accounts.create("kim", Role.COUNSELLOR, PASSWORD)
    secret = new_secret()
    code = pyotp.TOTP(secret).at(clock.now())
    results = await asyncio.gather(
        *[services.second_factors.enrol(account, secret, code) for _ in range(2)],
        return_exceptions=True)
    (codes,) = [r for r in results if isinstance(r, list)]
    assert [type(r) for r in results if not isinstance(r, list)] == [AlreadyEnrolled]
    with pytest.raises(AlreadyEnrolled):
        await services.second_factors.enrol(account, secret, code)
    enrolments = [e for e in await services.audit.entries() if e.action == "second_factor.enrol"]
    assert len(enrolments) == 1
    assert await _verify(services, account, codes[0])  # the codes shown still hold


async def test_re_enrolment_needs_the_password_and_a_current_code(services, clock):
    account, old_secret, old_codes = await _enrolled(services, clock, role=Role.CLIENT)
    clock.advance(timedelta(seconds=30))
    new = new_secret()
    current = pyotp.TOTP(old_secret).at(clock.now())
    confirm = pyotp.TOTP(new).at(clock.now())
    factors = services.second_factors
    keys = await keys_of(services, account)
    with pytest.raises(NotPermitted):
        await factors.re_enrol(account, keys, "not-the-password", current, new, confirm)
    with pytest.raises(NotPermitted):
        await factors.re_enrol(account, keys, PASSWORD,
                               "000000" if current != "000000" else "111111", new, confirm)
    assert await _verify(services, account, old_codes[0])  # nothing was replaced
    codes = await factors.re_enrol(account, keys, PASSWORD, old_codes[1], new, confirm)
    assert set(codes).isdisjoint(old_codes)
    assert not await _verify(services, account, old_codes[2])  # the old codes are gone
    clock.advance(timedelta(seconds=30))
    assert await _verify(services, account, pyotp.TOTP(new).at(clock.now()))
