"""argon2id on a bounded executor, so a login storm never blocks the event loop.

A password gives two things from one argon2id run: a verifier, which is stored and compared,
and a sealing key, which is never stored and opens the account's private key (the sealed
rooms). Both come out of the raw argon2 output through HKDF; the stored form keeps the salt and
parameters beside the verifier, so the run can be repeated at login and redone when the
parameters rise.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret_raw

from store.sealing.crypto import hkdf

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# The hashing threads run this much nicer than the server (argon2's own lane threads inherit
# it), and where the system has it, in the idle scheduling class: the event loop then takes the
# core from a hash the moment a session's key arrives. In a login storm, logins wait, not the
# keystrokes of people already connected (echo p95 during 10 logins a second: about 200 ms at
# nice 10 alone, 80–115 ms idle-class; benchmarks.logins).
HASHING_NICENESS = 10


class WeakPassword(ValueError):
    """Shorter than the minimum, or absurdly long."""


def check_password_rules(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(password and "length")
    return password


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used weaker parameters


_PREFIX = "$wardroom-v1$argon2id"
_RAW_LENGTH = 64


@dataclass(frozen=True)
class LoginParameters:
    time_cost: int
    memory_cost: int
    parallelism: int

    def weaker_than(self, other: LoginParameters) -> bool:
        return (self.time_cost < other.time_cost or self.memory_cost < other.memory_cost
                or self.parallelism < other.parallelism)


@dataclass(frozen=True)
class DerivedPassword:
    """A password's stored form and the sealing key the same argon2 run gave."""

    stored: str = field(repr=False)
    sealing_key: bytes = field(repr=False)


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    # The key the stored form yields (None for a pre-sealing argon2 hash, which gives none).
    sealing_key: bytes | None = field(default=None, repr=False)
    # A fresh derivation at today's parameters, when the stored one is weaker or pre-sealing.
    upgraded: DerivedPassword | None = field(default=None, repr=False)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _encode(params: LoginParameters, salt: bytes, verifier: bytes) -> str:
    return (f"{_PREFIX}$m={params.memory_cost},t={params.time_cost},p={params.parallelism}"
            f"${_b64(salt)}${_b64(verifier)}")


def _decode(stored: str) -> tuple[LoginParameters, bytes, bytes]:
    try:
        settings, salt, verifier = stored.removeprefix(_PREFIX + "$").split("$")
        values = dict(item.split("=") for item in settings.split(","))
        params = LoginParameters(int(values["t"]), int(values["m"]), int(values["p"]))
        return params, _unb64(salt), _unb64(verifier)
    except (ValueError, KeyError) as error:
        raise InvalidHashError(str(error)) from error


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(verifier, sealing key): independent halves of one run, neither computable from the
    other, so the stored verifier tells nothing about the sealing key."""
    return hkdf(raw, b"wardroom password-verifier v1"), hkdf(raw, b"wardroom sealing-key v1")


class PasswordVault:
    """Hashes and verifies passwords with argon2id at argon2-cffi's defaults (≥ OWASP minimum).

    The executor is bounded to the number of cores: more threads would only queue in the
    kernel, and a bounded pool keeps a login storm from starving the sessions' event loop.
    """

    def __init__(self, hasher: PasswordHasher | None = None, workers: int | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._params = LoginParameters(self._hasher.time_cost, self._hasher.memory_cost,
                                       self._hasher.parallelism)
        self._executor = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2, thread_name_prefix="argon2",
            initializer=_yield_to_sessions)
        # Unknown users are verified against these, so they take as long as known ones.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._dummy_login = self._derive(secrets.token_urlsafe(16)).stored

    async def derive(self, password: str) -> DerivedPassword:
        """A new stored form (fresh salt, today's parameters) and its sealing key."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._derive, password)

    async def check_login(self, stored: str | None, password: str) -> PasswordCheck:
        """One argon2 run (two only when the stored form is upgraded) on the executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._check_login, stored, password)

    def _derive(self, password: str, params: LoginParameters | None = None,
                salt: bytes | None = None) -> DerivedPassword:
        params = params or self._params
        salt = salt if salt is not None else secrets.token_bytes(16)
        raw = hash_secret_raw(password.encode("utf-8"), salt, time_cost=params.time_cost,
                              memory_cost=params.memory_cost, parallelism=params.parallelism,
                              hash_len=_RAW_LENGTH, type=Type.ID)
        verifier, sealing_key = _split(raw)
        return DerivedPassword(_encode(params, salt, verifier), sealing_key)

    def _check_login(self, stored: str | None, password: str) -> PasswordCheck:
        if stored is not None and not stored.startswith(_PREFIX):
            # An argon2 hash from before sealed rooms: it checks the password but yields no
            # key, so the account is moved to the new form (and given its keys) right away.
            if not self._verify(stored, password).ok:
                return PasswordCheck(ok=False)
            return PasswordCheck(ok=True, upgraded=self._derive(password))
        try:
            params, salt, verifier = _decode(stored or self._dummy_login)
        except InvalidHashError:
            return PasswordCheck(ok=False)
        derived = self._derive(password, params, salt)
        ok = hmac.compare_digest(_decode(derived.stored)[2], verifier) and stored is not None
        if not ok:
            return PasswordCheck(ok=False)
        upgraded = self._derive(password) if params.weaker_than(self._params) else None
        return PasswordCheck(ok=True, sealing_key=derived.sealing_key, upgraded=upgraded)

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> Verification:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> Verification:
        target = stored_hash or self._dummy_hash
        try:
            self._hasher.verify(target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        if stored_hash is None:
            return Verification(ok=False)
        if self._hasher.check_needs_rehash(stored_hash):
            return Verification(ok=True, new_hash=self._hasher.hash(password))
        return Verification(ok=True)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _yield_to_sessions() -> None:
    # Linux keeps a nice value and a scheduling policy per thread (0: the calling one);
    # elsewhere this changes nothing, which is safe.
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(nice + HASHING_NICENESS, 19))
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def one_time_password() -> str:
    """A readable one-time password: 4 groups of 4 from an alphabet without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
