"""Second factor: TOTP (RFC 6238) secrets, one-use recovery codes, and who must have one."""

from __future__ import annotations

import base64
import hmac
import re

import pyotp

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.passwords import PasswordVault, one_time_password
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database
from store.errors import Invalid, NotFound, NotPermitted
from store.sealing.crypto import SealBroken, open_sealed, seal_to
from store.sealing.keyring import Keyring

SECOND_FACTOR_ROLES = frozenset({Role.COUNSELLOR, Role.ADMIN})
RECOVERY_CODE_COUNT = 10
ISSUER = "wardroom"
# Authenticator apps and server clocks drift: the step before and after are accepted too.
VALID_WINDOW = 1
_TOTP_CODE = re.compile(r"\d{6}")
# A TOTP secret is stored only sealed (HPKE) to the account's public key: whoever holds the
# database cannot compute the codes. The prefix tells a sealed one from one stored in clear
# before sealing, which the account's next verification seals.
_SEALED = "hpke:"


def _totp_info(account_id: int) -> bytes:
    return f"wardroom totp-secret v1|{account_id}".encode()


def _open_secret(stored: str, keys: Keyring) -> str:
    if not stored.startswith(_SEALED):
        return stored
    sealed = base64.b64decode(stored.removeprefix(_SEALED))
    return open_sealed(keys.private, sealed, _totp_info(keys.account_id)).decode()


def _seal_secret(secret: str, public_key: bytes, account_id: int) -> str:
    sealed = seal_to(public_key, secret.encode(), _totp_info(account_id))
    return _SEALED + base64.b64encode(sealed).decode()


class AlreadyEnrolled(Invalid):
    """The account has a factor: replacing it is `re_enrol`, with password and current code."""


def second_factor_required(role: Role) -> bool:
    """Counsellors and staff must use a second factor; for clients it is a choice."""
    return role in SECOND_FACTOR_ROLES


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(username: str, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


class SecondFactors:
    """Enrolment, verification at login, and the staff reset for a lost device."""

    def __init__(self, db: Database, vault: PasswordVault, audit: AuditTrail) -> None:
        self._db = db
        self._vault = vault
        self._audit = audit

    async def is_enrolled(self, account_id: int) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM second_factor WHERE account_id = ?",
                                      (account_id,))
        return row is not None

    async def enrol(self, actor: Account, secret: str, code: str) -> list[str]:
        """Store the secret once `code` proves the app has it; returns the recovery codes,
        which exist in clear only in this return value. Only for an account without a
        factor: a second submission of the same confirmation changes nothing (AlreadyEnrolled)."""
        return await self._store(actor, secret, code, replace=False)

    async def re_enrol(self, actor: Account, keys: Keyring, password: str, current_code: str,
                       secret: str, code: str) -> list[str]:
        """Replace the factor (a new device): only with the account's password and a code of
        the factor it has now (app or recovery code), so an unlocked terminal left alone is
        not enough to take the account's second factor over."""
        row = await self._db.fetchone("SELECT password_hash FROM account WHERE id = ?",
                                      (actor.id,))
        password_ok = (await self._vault.check_login(row["password_hash"] if row else None,
                                                     password)).ok
        if not password_ok or not await self.verify(actor, current_code, keys):
            raise NotPermitted("password or current code wrong")
        return await self._store(actor, secret, code, replace=True)

    async def _store(self, actor: Account, secret: str, code: str, *,
                     replace: bool) -> list[str]:
        totp = pyotp.TOTP(secret)
        step = self._matching_step(totp, _normalise(code), last_step=0)
        if step is None:
            raise Invalid("the code does not match")
        codes, rows = await self._new_recovery_codes()
        async with self._db.transaction() as tx:
            # Checked inside the write: two confirmations in flight cannot both enrol.
            enrolled = await tx.fetchone("SELECT 1 FROM second_factor WHERE account_id = ?",
                                         (actor.id,))
            if enrolled is not None and not replace:
                raise AlreadyEnrolled("a second factor is already set up")
            key = await tx.fetchone("SELECT public_key FROM account_key WHERE account_id = ?"
                                    " AND retired_on IS NULL", (actor.id,))
            if key is None:
                raise Invalid("the account has no key pair yet: log in again first")
            await tx.execute("DELETE FROM recovery_code WHERE account_id = ?", (actor.id,))
            await tx.execute(
                "INSERT INTO second_factor (account_id, secret, last_step, enrolled_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
                " secret = excluded.secret, last_step = excluded.last_step,"
                " enrolled_at = excluded.enrolled_at",
                (actor.id, _seal_secret(secret, key["public_key"], actor.id), step,
                 to_iso(self._db.clock.now())),
            )
            await tx.executemany(
                "INSERT INTO recovery_code (account_id, selector, code_hash) VALUES (?, ?, ?)",
                [(actor.id, selector, code_hash) for selector, code_hash in rows],
            )
            await self._audit.record(tx, actor.username, "second_factor.enrol", actor.id)
        return codes

    async def verify(self, account: Account, code: str, keys: Keyring) -> bool:
        """A current TOTP code (each time step once) or an unused recovery code (then spent).
        `keys`: the account's keys, which the password opened just before; they open the
        sealed TOTP secret."""
        code = _normalise(code)
        if _TOTP_CODE.fullmatch(code):
            return await self._verify_totp(keys, code)
        return await self._spend_recovery_code(account, code)

    async def reset(self, actor: Account, username: str) -> None:
        """Staff remove a lost device; the account enrols again at its next login."""
        require_scope(actor, Scope.ACCOUNTS, "reset a second factor")
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT id FROM account WHERE username = ?", (username,))
            if row is None:
                raise NotFound(f"no account {username!r}")
            await tx.execute("DELETE FROM second_factor WHERE account_id = ?", (row["id"],))
            await tx.execute("DELETE FROM recovery_code WHERE account_id = ?", (row["id"],))
            await self._audit.record(tx, actor.username, "user.reset_2fa", row["id"])

    async def _verify_totp(self, keys: Keyring, code: str) -> bool:
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT secret, last_step FROM second_factor WHERE account_id = ?",
                (keys.account_id,))
            if row is None:
                return False
            try:
                secret = _open_secret(row["secret"], keys)
            except SealBroken:
                return False  # sealed to a key pair a staff reset replaced
            step = self._matching_step(pyotp.TOTP(secret), code, row["last_step"])
            if step is None:
                return False
            # A secret from before sealing is sealed now (and its clear text overwritten).
            stored = (row["secret"] if row["secret"].startswith(_SEALED)
                      else _seal_secret(secret, keys.public, keys.account_id))
            await tx.execute("UPDATE second_factor SET last_step = ?, secret = ?"
                             " WHERE account_id = ?", (step, stored, keys.account_id))
            if stored != row["secret"]:
                tx.mark_erasure()
        return True

    def _matching_step(self, totp: pyotp.TOTP, code: str, last_step: int) -> int | None:
        """The time step whose code this is, if it is current and newer than `last_step`."""
        now_step = totp.timecode(self._db.clock.now())
        for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
            if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    async def _spend_recovery_code(self, account: Account, code: str) -> bool:
        selector = code.split("-", 1)[0]
        row = await self._db.fetchone(
            "SELECT id, code_hash FROM recovery_code WHERE account_id = ? AND selector = ?",
            (account.id, selector),
        )
        # Without a row the vault checks a dummy hash: a wrong code costs the same either way.
        result = await self._vault.verify(row["code_hash"] if row else None, code)
        if not result.ok or row is None:
            return False
        async with self._db.transaction() as tx:
            spent = await tx.execute_rowcount("DELETE FROM recovery_code WHERE id = ?",
                                              (row["id"],))
            if spent:
                await self._audit.record(tx, account.username,
                                         "second_factor.recovery_code_used", account.id)
        return bool(spent)

    async def _new_recovery_codes(self) -> tuple[list[str], list[tuple[str, str]]]:
        codes: list[str] = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = one_time_password()
            if code.split("-", 1)[0] not in {c.split("-", 1)[0] for c in codes}:
                codes.append(code)
        rows = [(code.split("-", 1)[0], await self._vault.hash(code)) for code in codes]
        return codes, rows
