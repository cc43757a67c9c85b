"""RFC 4253 §7 key exchange guesses, judged the way the RFC says, so dropbear's dbclient connects.

A client may send its first key exchange packet right after KEXINIT, guessing the algorithm. The
guess is wrong when the two sides' *first* key exchange or host key algorithms differ; the client
then sends the right packet and the guessed one must be ignored. asyncssh 2.24 instead calls the
guess right whenever the negotiated algorithm is the client's first, so with `mlkem768x25519`
first on our side it uses dbclient's guessed curve25519 packet, then fails on the corrected one
("Key exchange not in progress"). This wraps asyncssh's KEXINIT handler to apply the RFC rule.
"""

from __future__ import annotations

from typing import Any

from sshd_app.asyncssh_compat import (
    KexinitHandler,
    SSHPacket,
    ignore_guessed_kex_packet,
    own_kexinit,
    wrap_kexinit_handler,
)


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


def _wrap(original: KexinitHandler) -> KexinitHandler:
    async def process_kexinit(conn: Any, pkttype: int, pktid: int, packet: SSHPacket) -> None:
        peer = _Kexinit(packet.get_remaining_payload())
        await original(conn, pkttype, pktid, packet)
        ours = _Kexinit(own_kexinit(conn))  # sent by now
        if peer.first_kex_follows and peer.first_choices() != ours.first_choices():
            # Received data stays buffered until this handler returns, so the guessed packet
            # has not been looked at yet.
            ignore_guessed_kex_packet(conn)

    return process_kexinit


def install() -> None:
    """Idempotent: wraps asyncssh's KEXINIT handler once per process."""
    wrap_kexinit_handler(_wrap)
