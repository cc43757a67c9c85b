"""The cryptographic primitives of sealed rooms, each a standard construction from `cryptography`.

- An account's private key (X25519) is sealed with AES-256-GCM under a key that only its
  password (or, for clients, its recovery code) yields.
- A room key (32 random bytes) is sealed to each participant's public key with HPKE
  (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM).
- A message is AES-256-GCM under its room key, with the room and message id as associated
  data, so a row copied into another room or place fails to open.

Every `info` and associated data string names what it binds and a version, so a sealed value
can never be opened as anything else.
"""

from __future__ import annotations

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
_NONCE = 12
ROOM_KEY_BYTES = 32
# 24 characters from 31 (no look-alikes): about 119 bits, too many to guess even with the
# database in hand, so the code needs no slow hash, only HKDF.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 6, 4


class SealBroken(ValueError):
    """A sealed value did not open: wrong key, or the bytes were changed or moved."""


def hkdf(material: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(material)


def new_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def public_bytes(key: X25519PrivateKey | X25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _aead_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _aead_open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
    except (InvalidTag, ValueError) as error:
        raise SealBroken("does not open") from error


def _private_aad(account_id: int, purpose: str) -> bytes:
    return f"wardroom account-key v1|{account_id}|{purpose}".encode()


def seal_private_key(private: X25519PrivateKey, sealing_key: bytes, account_id: int,
                     purpose: str) -> bytes:
    """`purpose`: "password" or "recovery", so one seal can never stand in for the other."""
    raw = private.private_bytes_raw()
    return _aead_seal(sealing_key, raw, _private_aad(account_id, purpose))


def open_private_key(sealed: bytes, sealing_key: bytes, account_id: int,
                     purpose: str) -> X25519PrivateKey:
    raw = _aead_open(sealing_key, sealed, _private_aad(account_id, purpose))
    return X25519PrivateKey.from_private_bytes(raw)


def seal_to(public: bytes, plaintext: bytes, info: bytes) -> bytes:
    return _SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(public), info)


def open_sealed(private: X25519PrivateKey, sealed: bytes, info: bytes) -> bytes:
    try:
        return _SUITE.decrypt(sealed, private, info)
    except Exception as error:  # the binding raises its own error types for a bad seal
        raise SealBroken("does not open") from error


def room_key_info(booking_id: int) -> bytes:
    return f"wardroom room-key v1|{booking_id}".encode()


def recovery_code_info(account_id: int) -> bytes:
    return f"wardroom recovery-code v1|{account_id}".encode()


def new_room_key() -> bytes:
    return secrets.token_bytes(ROOM_KEY_BYTES)


def _message_aad(booking_id: int, message_id: int) -> bytes:
    return f"wardroom message v1|{booking_id}|{message_id}".encode()


def encrypt_message(room_key: bytes, booking_id: int, message_id: int, text: str) -> bytes:
    return _aead_seal(room_key, text.encode("utf-8"), _message_aad(booking_id, message_id))


def decrypt_message(room_key: bytes, booking_id: int, message_id: int, sealed: bytes) -> str:
    return _aead_open(room_key, sealed, _message_aad(booking_id, message_id)).decode("utf-8")


def new_recovery_code() -> str:
    return "-".join("".join(secrets.choice(RECOVERY_ALPHABET)
                            for _ in range(RECOVERY_GROUP_LENGTH))
                    for _ in range(RECOVERY_GROUPS))


def normalise_recovery_code(code: str) -> str:
    """As typed: any case, with or without dashes and spaces."""
    letters = "".join(c for c in code.lower() if c in RECOVERY_ALPHABET)
    return "-".join(letters[i:i + RECOVERY_GROUP_LENGTH]
                    for i in range(0, len(letters), RECOVERY_GROUP_LENGTH))


def recovery_sealing_key(code: str, account_id: int) -> bytes:
    return hkdf(normalise_recovery_code(code).encode(),
                f"wardroom recovery-seal v1|{account_id}".encode())
