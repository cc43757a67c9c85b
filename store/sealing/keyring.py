"""The keys one session holds open: its account's private key, and nothing else for long."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey


@dataclass(frozen=True, eq=False)
class Keyring:
    """Opened at login from the password (never from a key login alone), kept in the session's
    memory only: never logged, never in a hub frame, never written anywhere.

    A room's key is opened from the database with this whenever the room needs it, so a copy
    destroyed in the database (booking end, deletion) ends access by construction.
    """

    account_id: int
    key_id: int
    public: bytes
    private: X25519PrivateKey = field(repr=False)
