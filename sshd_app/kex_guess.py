"""RFC 4253 §7 key exchange guesses, judged the way the RFC says, so dropbear's dbclient connects.

A client may send its first key exchange packet right after KEXINIT, guessing the algorithm. The
guess is wrong when the two sides' *first* key exchange or host key algorithms differ; the client
then sends the right packet and the guessed one must be ignored. asyncssh 2.24 instead calls the
guess right whenever the negotiated algorithm is the client's first, so with `mlkem768x25519`
first on our side it uses dbclient's guessed curve25519 packet, then fails on the corrected one
("Key exchange not in progress"). This wraps asyncssh's KEXINIT handler to apply the RFC rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asyncssh.connection import SSHConnection
from asyncssh.constants import MSG_KEXINIT
from asyncssh.packet import SSHPacket

_Handler = Callable[[SSHConnection, int, int, SSHPacket], Awaitable[None]]


class _Kexinit:
    """The parts of a KEXINIT payload (after the message byte) that decide a guess."""

    def __init__(self, payload: bytes) -> None:
        packet = SSHPacket(payload)
        packet.get_bytes(16)  # cookie
        self.kex_algs = packet.get_namelist()
        self.host_key_algs = packet.get_namelist()
        for _ in range(8):  # ciphers, MACs, compression (both ways), languages
            packet.get_namelist()
        self.first_kex_follows = packet.get_boolean()

    def first_choices(self) -> tuple[bytes | None, bytes | None]:
        return (self.kex_algs[0] if self.kex_algs else None,
                self.host_key_algs[0] if self.host_key_algs else None)


def _wrap(original: _Handler) -> _Handler:
    async def process_kexinit(conn: SSHConnection, pkttype: int, pktid: int,
                              packet: SSHPacket) -> None:
        peer = _Kexinit(packet.get_remaining_payload())
        await original(conn, pkttype, pktid, packet)
        # Our own KEXINIT has been sent by now (asyncssh keeps it with its message byte).
        own: Any = conn._server_kexinit if conn.is_server() else conn._client_kexinit
        ours = _Kexinit(own[1:])
        if peer.first_kex_follows and peer.first_choices() != ours.first_choices():
            # Received data stays buffered until this handler returns, so the guessed packet
            # has not been looked at yet.
            conn._ignore_first_kex = True

    process_kexinit.wrapped = original  # type: ignore[attr-defined]
    return process_kexinit


def install() -> None:
    """Idempotent: wraps asyncssh's KEXINIT handler once per process."""
    handlers: dict[int, Any] = SSHConnection._packet_handlers  # type: ignore[assignment]
    if not hasattr(handlers[MSG_KEXINIT], "wrapped"):
        handlers[MSG_KEXINIT] = _wrap(handlers[MSG_KEXINIT])
