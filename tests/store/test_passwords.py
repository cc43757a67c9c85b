"""Hashing never competes with the sessions on equal terms: it runs on a bounded pool of
threads at a lower priority."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from argon2 import PasswordHasher

from store.accounts.passwords import HASHING_NICENESS, PasswordVault


class Watching(PasswordHasher):
    """A cheap hasher that notes which thread hashed and at what priority."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.seen: list[tuple[int, int]] = []
        self.policies: set[int] = set()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.seen.append((threading.get_native_id(),
                          os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        if hasattr(os, "sched_getscheduler"):
            self.policies.add(os.sched_getscheduler(0))
        time.sleep(0.05)  # long enough for the calls to overlap
        return super().hash(password, salt=salt)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities need Linux")
async def test_hashing_runs_on_a_bounded_pool_below_the_sessions_priority():
    hasher = Watching()
    vault = PasswordVault(hasher, workers=2)
    try:
        hasher.seen.clear()  # the dummy hash made at start ran here, not in the pool
        hasher.policies.clear()
        await asyncio.gather(*(vault.hash(f"password-{n:04d}") for n in range(6)))
    finally:
        vault.close()
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert len({thread for thread, _ in hasher.seen}) == 2
    assert {nice for _, nice in hasher.seen} == {min(ours + HASHING_NICENESS, 19)}
    if hasattr(os, "SCHED_IDLE"):
        assert hasher.policies == {os.SCHED_IDLE}
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the event loop's thread keeps its own
