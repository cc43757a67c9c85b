"""Per source address: a cap on new connections per second and on connections not yet logged in,
counted once for all worker processes.

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

from sshd_app.proxy_front import ProxyFront, client_peer
from sshd_app.proxy_protocol import TrustedProxies
from store.hub.hub import EDGE_TOPIC, PROCESSES_TOPIC, Hub, ProcessGone
from store.hub.wire import carried

log = logging.getLogger("wardroom.gate")

REFUSAL = b"Not allowed at this time\r\n"
MAX_TRACKED = 10_000

Peer = tuple[Any, ...]


@dataclass
class _Bucket:
    tokens: float
    updated: float


@carried
@dataclass(frozen=True)
class ConnectionAdmitted:
    """Process `origin` let connection `port` from `address` start its login."""

    origin: int
    address: str
    port: int


@carried
@dataclass(frozen=True)
class ConnectionSettled:
    """That connection logged in or went away: it no longer counts as pending."""

    origin: int
    address: str
    port: int


class ConnectionGate:
    """A token bucket per address (`rate` per second, bursts of twice that) and a count of
    each address's connections that have not finished logging in.

    Under `serve --workers N` each worker has a gate, and an address must not get N times the
    allowance: every admission and settlement goes through the hub, and every gate applies
    all of them, its own included, to the same counts. A worker that dies takes its pending
    connections with it (ProcessGone).

    `now` is a monotonic clock in seconds, injectable so tests need no sleeping.
    """

    def __init__(self, rate: int, max_pending: int,
                 now: Callable[[], float] = time.monotonic, hub: Hub | None = None) -> None:
        self._rate = float(rate)
        self._burst = 2.0 * rate
        self._max_pending = max_pending
        self._now = now
        self._hub = hub or Hub()
        self._buckets: dict[str, _Bucket] = {}
        self._pending: dict[str, set[tuple[int, int]]] = {}  # address -> {(origin, port)}
        self._hub.subscribe(EDGE_TOPIC, self._counted)
        self._hub.subscribe(PROCESSES_TOPIC, self._process_gone)

    def admit(self, peer: Peer) -> bool:
        """True (and counted as pending) if this new connection may start its login."""
        address = str(peer[0])
        if len(self._pending.get(address, ())) >= self._max_pending:
            return False
        if self._tokens(address) < 1.0:
            return False
        self._hub.publish(EDGE_TOPIC, ConnectionAdmitted(self._hub.origin, address,
                                                         int(peer[1])))
        return True

    def release(self, peer: Peer) -> None:
        """The connection logged in or went away: it no longer counts as pending."""
        address, port = str(peer[0]), int(peer[1])
        if (self._hub.origin, port) in self._pending.get(address, ()):
            self._hub.publish(EDGE_TOPIC, ConnectionSettled(self._hub.origin, address, port))

    def pending(self, address: str) -> int:
        return len(self._pending.get(address, ()))

    def _counted(self, event: object) -> None:
        if isinstance(event, ConnectionAdmitted):
            self._tokens(event.address)  # refilled up to now; then the admission takes one
            self._buckets[event.address].tokens -= 1.0
            self._pending.setdefault(event.address, set()).add((event.origin, event.port))
        elif isinstance(event, ConnectionSettled):
            self._forget_pending(event.address, (event.origin, event.port))

    def _process_gone(self, event: ProcessGone) -> None:
        for address, waiting in list(self._pending.items()):
            for entry in [e for e in waiting if e[0] == event.origin]:
                self._forget_pending(address, entry)

    def _forget_pending(self, address: str, entry: tuple[int, int]) -> None:
        waiting = self._pending.get(address)
        if waiting is not None:
            waiting.discard(entry)
            if not waiting:
                del self._pending[address]

    def _tokens(self, address: str) -> float:
        """The address's tokens now, refilled for the time since they were last counted."""
        now = self._now()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[address] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        return bucket.tokens

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: they hold nothing worth remembering."""
        for address, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst:
                del self._buckets[address]


class GatedListener:
    """Handed to asyncssh as the `tunnel` of its listener, so wardroom owns the listening socket
    and asks the gate before asyncssh sees a connection. `reuse_port`: the workers of
    `serve --workers N` listen on the same port and the kernel spreads connections over them.
    Every connection passes the PROXY front first (sshd_app.proxy_front), so that the gate
    counts the client a trusted balancer names, and never a PROXY header from anyone else."""

    def __init__(self, gate: ConnectionGate, trusted: TrustedProxies,
                 reuse_port: bool = False) -> None:
        self._gate = gate
        self._trusted = trusted
        self._reuse_port = reuse_port

    async def create_server(self, session_factory: Callable[[str, int], Any], listen_host: str,
                            listen_port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: ProxyFront(self._trusted,
                               lambda: _GatedConnection(self._gate, session_factory)),
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
        self._peer = client_peer(transport)
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
