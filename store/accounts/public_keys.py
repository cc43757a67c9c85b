"""An account's own SSH public keys: a second factor beside the password, never a login alone."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from store.accounts.accounts import Account
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database
from store.errors import Invalid, NotFound

MAX_KEYS = 10
MIN_RSA_BITS = 3072


@dataclass(frozen=True)
class PublicKey:
    id: int
    key_type: str
    fingerprint: str  # SHA256:… as `ssh-keygen -l` prints it
    added: str


def fingerprint(key_line: str) -> str:
    blob = base64.b64decode(key_line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def parse_key_line(text: str) -> str:
    """The `type base64` part of a pasted OpenSSH public key line (the comment is dropped),
    or Invalid. Ed25519 and RSA of at least 3,072 bits only: their signatures are the ones the
    server accepts (never SHA-1)."""
    parts = text.strip().split()
    if len(parts) < 2:
        raise Invalid("not_a_key")
    line = f"{parts[0]} {parts[1]}"
    try:
        key = load_ssh_public_key(line.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise Invalid("not_a_key") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise Invalid("weak_key")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise Invalid("key_type")
    return line


def _actor(account: Account) -> str:
    # Clients are not named in the audit (their username is personal data of a patient).
    return account.username if account.is_admin else f"account:{account.id}"


class PublicKeys:
    def __init__(self, db: Database, audit: AuditTrail) -> None:
        self._db = db
        self._audit = audit

    async def own(self, actor: Account) -> list[PublicKey]:
        rows = await self._db.fetchall(
            "SELECT id, key_data, created_at FROM public_key WHERE account_id = ? ORDER BY id",
            (actor.id,))
        return [PublicKey(r["id"], r["key_data"].split()[0], fingerprint(r["key_data"]),
                          r["created_at"]) for r in rows]

    async def add(self, actor: Account, text: str) -> PublicKey:
        line = parse_key_line(text)
        async with self._db.transaction() as tx:
            count = await tx.fetchone("SELECT count(*) FROM public_key WHERE account_id = ?",
                                      (actor.id,))
            if int(count[0]) >= MAX_KEYS:
                raise Invalid("too_many_keys")
            if await tx.fetchone("SELECT 1 FROM public_key WHERE account_id = ? AND"
                                 " key_data = ?", (actor.id, line)):
                raise Invalid("key_exists")
            key_id = await tx.insert(
                "INSERT INTO public_key (account_id, key_data, created_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (actor.id, line, to_iso(self._db.clock.now())))
            await self._audit.record(tx, _actor(actor), "key.add", actor.id, key_id)
        return PublicKey(key_id, line.split()[0], fingerprint(line),
                         to_iso(self._db.clock.now()))

    async def remove(self, actor: Account, key_id: int) -> None:
        async with self._db.transaction() as tx:
            removed = await tx.execute_rowcount(
                "DELETE FROM public_key WHERE id = ? AND account_id = ?", (key_id, actor.id))
            if not removed:
                raise NotFound(f"key {key_id}")
            await self._audit.record(tx, _actor(actor), "key.remove", actor.id, key_id)

    async def has_any(self, account_id: int) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM public_key WHERE account_id = ?",
                                      (account_id,))
        return row is not None

    async def is_authorized(self, username: str, key_line: str) -> bool:
        """True if this key belongs to this (enabled) user: a second factor for its login."""
        wanted = key_line.split()[:2]
        rows = await self._db.fetchall(
            "SELECT k.key_data FROM public_key k JOIN account a ON a.id = k.account_id"
            " WHERE a.username = ? AND a.disabled = 0", (username,))
        return any(r["key_data"].split()[:2] == wanted for r in rows)
