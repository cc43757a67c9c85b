"""argon2id hashing on a bounded executor, so a login storm never blocks the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

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


class PasswordVault:
    """Hashes and verifies passwords with argon2id at argon2-cffi's defaults (≥ OWASP minimum).

    The executor is bounded to the number of cores: more threads would only queue in the
    kernel, and a bounded pool keeps a login storm from starving the sessions' event loop.
    """

    def __init__(self, hasher: PasswordHasher | None = None, workers: int | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._executor = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2, thread_name_prefix="argon2",
            initializer=_yield_to_sessions)
        # Unknown users are verified against this, so they take as long as known ones.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

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
