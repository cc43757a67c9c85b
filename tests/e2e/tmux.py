"""Drive a real terminal program inside tmux and read its screen with capture-pane."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class TmuxPane:
    """One detached tmux session on its own server socket, so tests never share state."""

    def __init__(self, command: str, width: int = 80, height: int = 24) -> None:
        self.socket = f"wardroom-test-{uuid.uuid4().hex[:8]}"
        self.command = command
        self.width = width
        self.height = height

    async def _tmux(self, *args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, *args, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        if process.returncode != 0 and args[0] not in ("kill-server", "capture-pane"):
            raise RuntimeError(f"tmux {args[0]} failed: {err.decode()}")
        return out.decode("utf-8", "replace")

    async def start(self) -> None:
        await self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x",
                         str(self.width), "-y", str(self.height), self.command + "; sleep 30")
        await self._tmux("set-option", "-t", "t", "status", "off")
        # A detached session follows no client's size: let resize-window decide it.
        await self._tmux("set-option", "-g", "window-size", "manual")

    async def capture(self) -> str:
        return await self._tmux("capture-pane", "-p", "-t", "t")

    async def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = await self.capture()
            if needle in screen:
                return screen
            await asyncio.sleep(0.1)
        raise AssertionError(f"{needle!r} not on the tmux screen:\n{screen}")

    async def keys(self, *keys: str, literal: bool = False) -> None:
        await self._tmux("send-keys", "-t", "t", *(("-l",) if literal else ()), *keys)

    async def resize(self, width: int, height: int) -> None:
        await self._tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    async def close(self) -> None:
        await self._tmux("kill-server")
