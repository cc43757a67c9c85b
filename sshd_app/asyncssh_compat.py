"""Every use of asyncssh's private API, each name once, with why it is needed.

The rest of wardroom calls only what this module exports. tests/sshd_app/test_asyncssh_compat.py
checks that each name below still exists with the shape used here, and
`scripts/try-newest-libraries` runs it against the newest asyncssh before the pin is widened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# Not exported by asyncssh: the connection class whose packet handlers the key exchange
# guess fix wraps, and the packet reader it parses a KEXINIT payload with (sshd_app/kex_guess.py).
from asyncssh import SSHServerConnection
from asyncssh.connection import SSHConnection
from asyncssh.constants import MSG_KEXINIT
from asyncssh.packet import SSHPacket

__all__ = [
    "KexinitHandler",
    "PublicKeyCheck",
    "SSHPacket",
    "ignore_guessed_kex_packet",
    "own_kexinit",
    "wrap_kexinit_handler",
    "wrap_public_key_check",
]

KexinitHandler = Callable[[SSHConnection, int, int, SSHPacket], Awaitable[None]]
# (username, key blob, signed data (empty for a mere offer), signature) -> valid
PublicKeyCheck = Callable[[str, bytes, bytes, bytes], Awaitable[bool]]


def wrap_kexinit_handler(wrap: Callable[[KexinitHandler], KexinitHandler]) -> None:
    """Idempotent: replaces asyncssh's KEXINIT handler, process-wide, with `wrap(handler)`.

    asyncssh dispatches packets through this class-level table and offers no hook into the
    key exchange; the guess rule it applies there is wrong for dbclient (kex_guess.py).
    """
    handlers: dict[int, Any] = SSHConnection._packet_handlers  # type: ignore[assignment]
    if not hasattr(handlers[MSG_KEXINIT], "wrapped"):
        wrapped = wrap(handlers[MSG_KEXINIT])
        wrapped.wrapped = handlers[MSG_KEXINIT]  # type: ignore[attr-defined]
        handlers[MSG_KEXINIT] = wrapped


def own_kexinit(conn: SSHConnection) -> bytes:
    """This side's KEXINIT payload after the message byte (asyncssh keeps it with the byte);
    set once the handler has sent it."""
    own: bytes = conn._server_kexinit if conn.is_server() else conn._client_kexinit
    return own[1:]


def ignore_guessed_kex_packet(conn: SSHConnection) -> None:
    """Have asyncssh drop the peer's next key exchange packet (a wrong guess, RFC 4253 §7)."""
    conn._ignore_first_kex = True


def wrap_public_key_check(conn: SSHServerConnection,
                          wrap: Callable[[PublicKeyCheck], PublicKeyCheck]) -> None:
    """Replaces this connection's check of a public key request with `wrap(check)`.

    `validate_public_key` is the connection's internal step that sees whether a signature was
    valid; the public SSHServer callbacks cannot tell a signed request from a mere offer, and
    asyncssh has no "partial success" (sshd_app/auth.py counts a signed key as a second factor).
    """
    conn.validate_public_key = wrap(conn.validate_public_key)  # type: ignore[method-assign]
