"""Per source address: a cap on new connections per second and on connections not yet logged in.

An address over either limit gets one plain line and a closed socket before any SSH work (and
so no key exchange) is spent on it, the way OpenSSH answers over its MaxStartups.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

log = logging.getLogger("wardroom.gate")

REFUSAL = b"Not allowed at this time\r\n"
MAX_TRACKED = 10_000

Peer = tuple[Any, ...]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class ConnectionGate:
    """A token bucket per address (`rate` per second, bursts of twice that) and a count of
    each address's connections that have not finished logging in.

    `now` is a monotonic clock in seconds, injectable so tests need no sleeping.
    """

    def __init__(self, rate: int, max_pending: int,
                 now: Callable[[], float] = time.monotonic) -> None:
        self._rate = float(rate)
        self._burst = 2.0 * rate
        self._max_pending = max_pending
        self._now = now
        self._buckets: dict[str, _Bucket] = {}
        self._pending: dict[str, set[Peer]] = {}

    def admit(self, peer: Peer) -> bool:
        """True (and counted as pending) if this new connection may start its login."""
        address = str(peer[0])
        if len(self._pending.get(address, ())) >= self._max_pending:
            return False
        if not self._take_token(address):
            return False
        self._pending.setdefault(address, set()).add(peer)
        return True

    def release(self, peer: Peer) -> None:
        """The connection logged in or went away: it no longer counts as pending."""
        address = str(peer[0])
        waiting = self._pending.get(address)
        if waiting is not None:
            waiting.discard(peer)
            if not waiting:
                del self._pending[address]

    def pending(self, address: str) -> int:
        return len(self._pending.get(address, ()))

    def _take_token(self, address: str) -> bool:
        now = self._now()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[address] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: they hold nothing worth remembering."""
        for address, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst:
                del self._buckets[address]


class GatedListener:
    """Handed to asyncssh as the `tunnel` of its listener, so wardroom owns the listening socket
    and asks the gate before asyncssh sees a connection. `reuse_port`: the workers of
    `serve --workers N` listen on the same port and the kernel spreads connections over them."""

    def __init__(self, gate: ConnectionGate, reuse_port: bool = False) -> None:
        self._gate = gate
        self._reuse_port = reuse_port

    async def create_server(self, session_factory: Callable[[str, int], Any], listen_host: str,
                            listen_port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: _GatedConnection(self._gate, session_factory),
            listen_host, listen_port, reuse_address=True, reuse_port=self._reuse_port)

    def close(self) -> None:
        """Nothing of its own to close: the server it returned is closed by asyncssh."""

    async def wait_closed(self) -> None:
        """See close()."""


class _GatedConnection(asyncio.Protocol):
    """Asks the gate, then either refuses or hands the transport to an asyncssh connection."""

    def __init__(self, gate: ConnectionGate,
                 session_factory: Callable[[str, int], Any]) -> None:
        self._gate = gate
        self._session_factory = session_factory
        self._ssh: asyncio.Protocol | None = None
        self._peer: Peer = ("?", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._peer = transport.get_extra_info("peername") or ("?", 0)
        if not self._gate.admit(self._peer):
            log.warning("connection refused from %s: too many connections", self._peer[0])
            cast(asyncio.WriteTransport, transport).write(REFUSAL)
            transport.close()
            return
        self._ssh = cast(asyncio.Protocol, self._session_factory("", 0))
        self._ssh.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._ssh is not None:
            self._ssh.data_received(data)

    def eof_received(self) -> bool | None:
        return self._ssh.eof_received() if self._ssh is not None else None

    def pause_writing(self) -> None:
        if self._ssh is not None:
            self._ssh.pause_writing()

    def resume_writing(self) -> None:
        if self._ssh is not None:
            self._ssh.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._gate.release(self._peer)
        if self._ssh is not None:
            self._ssh.connection_lost(exc)
