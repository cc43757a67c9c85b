"""A real SSH client for tests: asyncssh with a pty, its output fed into a pyte screen."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncssh
import pyte


class ScreenTimeout(AssertionError):
    pass


@dataclass
class TerminalClient:
    conn: asyncssh.SSHClientConnection
    process: asyncssh.SSHClientProcess
    screen: pyte.Screen
    stream: pyte.ByteStream
    raw: bytearray = field(default_factory=bytearray)
    _reader: asyncio.Task | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def _read(self) -> None:
        try:
            while True:
                data = await self.process.stdout.read(65536)
                if not data:
                    break
                self.raw.extend(data)
                self.stream.feed(data)
        except (asyncssh.Error, OSError, asyncio.CancelledError):
            pass
        finally:
            self.closed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle in text:
                return text
            if self.closed.is_set():
                break
            await asyncio.sleep(0.05)
        raise ScreenTimeout(f"{needle!r} not on screen; screen was:\n{self.text()}")

    async def wait_gone(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle not in text:
                return text
            await asyncio.sleep(0.05)
        raise ScreenTimeout(f"{needle!r} still on screen:\n{self.text()}")

    async def wait_closed(self, timeout: float = 15.0) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout)

    def send(self, data: str | bytes) -> None:
        self.process.stdin.write(data.encode() if isinstance(data, str) else data)

    async def type(self, text: str) -> None:
        self.send(text)
        await asyncio.sleep(0.05)

    def resize(self, width: int, height: int) -> None:
        self.process.change_terminal_size(width, height)
        self.screen.resize(height, width)

    async def close(self) -> None:
        self.conn.close()
        if self._reader is not None:
            self._reader.cancel()
        await self.conn.wait_closed()


async def connect(port: int, username: str, password: str | None = None, *,
                  size: tuple[int, int] = (80, 24), term: str = "xterm-256color",
                  env: dict[str, str] | None = None, client_keys=None,
                  command: str | None = None, client_factory=None,
                  preferred_auth: str | None = None) -> TerminalClient:
    width, height = size
    conn = await asyncssh.connect(
        "127.0.0.1", port, username=username, password=password,
        known_hosts=None, client_keys=client_keys or [], agent_path=None,
        client_factory=client_factory,
        preferred_auth=preferred_auth or (
            "publickey,password" if client_keys else "password,keyboard-interactive"),
    )
    process = await conn.create_process(
        command, term_type=term, term_size=(width, height), env=env or {}, encoding=None,
    )
    screen = pyte.Screen(width, height)
    client = TerminalClient(conn, process, screen, pyte.ByteStream(screen))
    client._reader = asyncio.create_task(client._read())
    return client


async def run_command(port: int, username: str, command: str, password: str | None = None,
                      stdin: str | None = None, client_keys=None) -> asyncssh.SSHCompletedProcess:
    async with asyncssh.connect(
        "127.0.0.1", port, username=username, password=password, known_hosts=None,
        client_keys=client_keys or [], agent_path=None,
    ) as conn:
        return await conn.run(command, input=stdin, check=False)
