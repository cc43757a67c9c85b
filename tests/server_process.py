"""`wardroom serve` as a real child process, for tests about signals and crashes."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the workers of `serve --workers N`), from /proc."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue  # it ended as we looked
        found.append(current)
    return found


class ServerProcess:
    def __init__(self, db: Path, host_keys: Path, *extra: str) -> None:
        self.db = db
        self.host_keys = host_keys
        self.port = free_port()
        self.extra = extra
        self.process: asyncio.subprocess.Process | None = None
        self.log = bytearray()
        self._reader: asyncio.Task | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sshd_app.cli", "serve", "--listen",
            f"127.0.0.1:{self.port}", "--db", str(self.db), "--host-keys", str(self.host_keys),
            *self.extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=env)
        self._reader = asyncio.create_task(self._collect())
        for _ in range(400):
            if b"listening on" in self.log:
                return
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"server did not start:\n{self.log.decode(errors='replace')}")

    async def _collect(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while chunk := await self.process.stdout.read(4096):
            self.log.extend(chunk)

    async def wait(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader is not None:
            await self._reader
        return code

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
