"""Routes `ssh NAME@HOST COMMAND` to the command that handles it."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sshd_app.commands.registry import EXEC_COMMANDS
from sshd_app.exit_codes import EXIT_NOT_PERMITTED, EXIT_USAGE
from store.text import sanitize_line
from tui.i18n import Translator

if TYPE_CHECKING:
    from sshd_app.auth import ConnectionIdentity
    from sshd_app.server import WardroomServer


@dataclass
class ExecIO:
    stdin: asyncio.Queue[bytes | None]
    write: Callable[[str], None]
    write_error: Callable[[str], None]
    drain: Callable[[], Awaitable[None]]  # waits while the client is behind with reading
    t: Translator = field(default_factory=Translator)  # the client's language (its LANG)
    _buffer: bytes = field(default=b"", init=False, repr=False)
    _eof: bool = field(default=False, init=False, repr=False)

    async def read_line(self, limit: int = 1024 * 1024) -> str | None:
        """One line from stdin (for --password-stdin, or read in a loop); None at end of input.

        Bytes after the line stay buffered for the next call: one chunk often holds many lines.
        The limit bounds memory; it is large because a published notice may hold a whole
        paragraph on one line, and a line cut in two would be read as two.
        """
        while b"\n" not in self._buffer and len(self._buffer) < limit and not self._eof:
            chunk = await self.stdin.get()
            if chunk is None:
                self._eof = True
            else:
                self._buffer += chunk
        if not self._buffer:
            return None
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", errors="replace")


async def run_exec(line: str, identity: ConnectionIdentity, server: WardroomServer,
                   io: ExecIO) -> int:
    try:
        words = shlex.split(line)
    except ValueError:
        words = []
    handler = EXEC_COMMANDS.get(words[0]) if words else None
    if handler is None or identity.account is None:
        shown = sanitize_line(line)[:60]
        io.write_error(io.t("edge.unknown_command", command=repr(shown)) + "\n")
        return EXIT_USAGE
    if identity.must_enrol_second_factor:
        io.write_error("wardroom: this account needs a second factor first. Log in with a "
                       "terminal (ssh -t) to set it up.\n")
        return EXIT_NOT_PERMITTED
    return await handler(words[1:], identity, server, io)
