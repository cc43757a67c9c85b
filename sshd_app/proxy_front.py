"""The first bytes of every connection, before the gate and SSH see it: a trusted balancer's
PROXY v2 header names the client, and a PROXY header from anyone else is refused.

From then on the client's address is the connection's peer (`client_peer`) for everything:
the gate, the login delays, the registration limit, the log and asyncssh itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

from sshd_app.proxy_protocol import (
    BadProxyHeader,
    Peer,
    TrustedProxies,
    begins_proxy_header,
    read_v2,
)

log = logging.getLogger("wardroom.proxy")

# A balancer sends its header the moment it connects; a trusted peer silent this long is not
# one (or is broken), and holds a socket for nothing.
HEADER_TIMEOUT_SECONDS = 5.0
UNKNOWN_PEER: Peer = ("?", 0)


class _WithExtraInfo(Protocol):
    """A transport or an asyncssh connection."""

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def client_peer(source: _WithExtraInfo) -> Peer:
    """The client's address and port of a transport or an asyncssh connection: the one a
    trusted balancer named, else the socket's peer."""
    peer = source.get_extra_info("peername")
    return (str(peer[0]), int(peer[1])) if peer else UNKNOWN_PEER


class ProxyFront(asyncio.Protocol):
    """Stands before `inner` (the gated SSH connection) for one connection.

    From a trusted address: waits, bounded in time and size, for a PROXY v2 header, then hands
    `inner` a transport whose peer is the header's client (or the balancer itself, for LOCAL).
    From any other address: hands over at once, but holds back the first bytes until they
    cannot be a PROXY header (v1 or v2); one that is, closes the connection unread.
    """

    def __init__(self, trusted: TrustedProxies,
                 inner_factory: Callable[[], asyncio.Protocol]) -> None:
        self._trusted = trusted
        self._inner_factory = inner_factory
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._peer = UNKNOWN_PEER
        self._buffer = b""
        self._awaiting_header = False
        self._screening = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._peer = client_peer(transport)
        if self._trusted.trusts(self._peer[0]):
            self._awaiting_header = True
            self._timer = asyncio.get_running_loop().call_later(
                HEADER_TIMEOUT_SECONDS, self._refuse,
                f"no PROXY v2 header within {HEADER_TIMEOUT_SECONDS:g} s")
        else:
            self._screening = True
            self._hand_over(transport)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_header:
            self._read_header(data)
        elif self._screening:
            self._screen(data)
        elif self._inner is not None:
            self._inner.data_received(data)

    def _read_header(self, data: bytes) -> None:
        self._buffer += data
        try:
            header = read_v2(self._buffer)
        except BadProxyHeader as bad:
            self._refuse(str(bad))
            return
        if header is None:
            return
        self._stop_waiting()
        rest, self._buffer = self._buffer[header.length:], b""
        assert self._transport is not None
        transport: asyncio.Transport = self._transport
        if header.client is not None:
            transport = ClientAddressTransport(transport, header.client)
        self._hand_over(transport)
        if rest and self._inner is not None and not transport.is_closing():
            self._inner.data_received(rest)

    def _screen(self, data: bytes) -> None:
        self._buffer += data
        verdict = begins_proxy_header(self._buffer)
        if verdict is None:
            return  # at most 11 bytes, all of them the start of a PROXY header
        self._screening = False
        held, self._buffer = self._buffer, b""
        if verdict:
            self._refuse("a PROXY header from an address not in trusted_proxies")
        elif self._inner is not None:
            self._inner.data_received(held)

    def _hand_over(self, transport: asyncio.BaseTransport) -> None:
        self._inner = self._inner_factory()
        self._inner.connection_made(transport)

    def _refuse(self, reason: str) -> None:
        trusted = " (trusted proxy)" if self._awaiting_header else ""
        log.warning("connection from %s%s closed: %s", self._peer[0], trusted, reason)
        self._stop_waiting()
        self._screening = False
        self._buffer = b""
        if self._transport is not None:
            self._transport.close()

    def _stop_waiting(self) -> None:
        self._awaiting_header = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def eof_received(self) -> bool | None:
        if self._awaiting_header and self._buffer:
            self._refuse("closed within its PROXY v2 header")
        elif self._awaiting_header:
            # A plain TCP health check (HAProxy `check` without `check-send-proxy`).
            self._stop_waiting()
        if self._inner is not None and not self._screening:
            return self._inner.eof_received()
        return None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self._inner is not None:
            self._inner.connection_lost(exc)


class ClientAddressTransport(asyncio.Transport):
    """The connection's own transport, with the client named by the PROXY header as its peer,
    so that nothing above it (asyncssh included) can see the balancer's address instead."""

    def __init__(self, inner: asyncio.Transport, client: Peer) -> None:
        super().__init__()
        self._inner = inner
        self._client = client

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return self._client
        return self._inner.get_extra_info(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._inner.write(data)

    def write_eof(self) -> None:
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)

    def pause_reading(self) -> None:
        self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    def close(self) -> None:
        self._inner.close()

    def abort(self) -> None:
        self._inner.abort()
