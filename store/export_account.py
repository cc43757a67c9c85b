"""The `account` part of an export: what wardroom keeps about the account itself."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from store.accounts.accounts import Account
from store.accounts.public_keys import fingerprint
from store.database import Database
from store.deletion.choice import RetentionChoices
from store.policy.versions import PolicyVersions


def sealing_fingerprint(public_key: bytes) -> str:
    """A sealing key pair's public half named as SSH names keys: SHA256 of its bytes."""
    digest = base64.b64encode(hashlib.sha256(public_key).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


async def account_record(db: Database, account: Account, retention: RetentionChoices,
                         policy: PolicyVersions) -> dict[str, Any]:
    """Everything stored about the account beside its requests, bookings and rooms: never a
    password hash, a second-factor secret or a recovery code, only whether one is set up."""
    window = await retention.current(account)
    acceptances = await policy.acceptances(account)
    chosen = await db.fetchone("SELECT retention_days FROM account WHERE id = ?", (account.id,))
    second_factor = await db.fetchone("SELECT 1 FROM second_factor WHERE account_id = ?",
                                      (account.id,))
    keys = await db.fetchall("SELECT key_data FROM public_key WHERE account_id = ? ORDER BY id",
                             (account.id,))
    pairs = await db.fetchall("SELECT public_key, created_on, retired_on FROM account_key"
                              " WHERE account_id = ? ORDER BY id", (account.id,))
    return {
        "username": account.username,
        "role": account.role.value,
        "created": account.created_at,
        "retention_days": int(window) if window is not None else None,
        "policy_version": acceptances[-1].version if acceptances else None,
        # null: never chosen, so the default window applies
        "retention_choice": chosen["retention_days"] if chosen else None,
        "language": account.language,
        "policy_acceptances": [{"version": a.version, "accepted_at": a.accepted_at}
                               for a in acceptances],
        "second_factor": second_factor is not None,
        # SSH keys registered as a second factor, and the key pairs rooms are sealed to
        # (their private halves stay sealed; only what identifies the public half is here).
        "public_keys": [fingerprint(k["key_data"]) for k in keys],
        "sealing_keys": [{"fingerprint": sealing_fingerprint(p["public_key"]),
                          "created_on": p["created_on"], "retired_on": p["retired_on"]}
                         for p in pairs],
    }
