"""`wardroom serve --workers N`: N server processes on one port, so sessions use every core.

The parent serves no sessions itself. It prepares what must happen once (host keys, settings
checks), starts the workers (sshd_app.worker: each listens on the same port with SO_REUSEPORT,
so the kernel spreads new connections over them, and has its own connection to the database),
relays hub events between them (store.hub.relay), and runs the schedules (booking timer,
retention, backups) once for all. A worker that dies is replaced; SIGTERM to the parent stops
every worker the way a single server stops, then the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from dataclasses import replace
from pathlib import Path

from sshd_app.config import Settings
from sshd_app.host_keys import ensure_host_keys
from sshd_app.login_throttle import LoginThrottle
from sshd_app.login_turns import TurnKeeper
from sshd_app.schedules import Schedules
from sshd_app.server import SHUTDOWN_GRACE_SECONDS
from sshd_app.worker import settings_json
from store.hub.relay import RelayHub
from store.services import Services

log = logging.getLogger("wardroom.server")

START_TIMEOUT_SECONDS = 60.0
RESTART_DELAY_SECONDS = 1.0
# A worker's own shutdown waits SHUTDOWN_GRACE_SECONDS for its sessions; then some slack.
STOP_TIMEOUT_SECONDS = SHUTDOWN_GRACE_SECONDS + 7.0


class WorkerFailed(RuntimeError):
    """A worker ended before it was serving."""


class WorkerPool:
    """Started and stopped like a WardroomServer; `services` must be opened on a RelayHub that
    listens already (the caller closes it after `stop`)."""

    def __init__(self, settings: Settings, services: Services, count: int) -> None:
        assert isinstance(services.hub, RelayHub)
        self.settings = settings
        self.services = services
        self.count = count
        self._relay: RelayHub = services.hub
        # Every login check of every worker takes its account's turn from here.
        self.turn_keeper = TurnKeeper(self._relay, LoginThrottle(hub=self._relay))
        self._processes: dict[int, asyncio.subprocess.Process] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.schedules: Schedules | None = None

    async def start(self) -> None:
        # Checked before anything listens: bad backup settings stop the start (ConfigError).
        self.schedules = Schedules(self.settings, self.services)
        ensure_host_keys(Path(self.settings.host_keys))  # generated and logged once, here
        try:
            with _claim_port(self.settings.host, self.settings.port) as port:
                # Port 0 means "any": the workers must all take the one the claim got.
                self.settings = replace(self.settings, listen=_listen(self.settings.host, port))
                await asyncio.gather(*(self._start_worker(n) for n in range(1, self.count + 1)))
        except BaseException:
            await self.stop()
            raise
        self.schedules.start()
        log.info("listening on %s:%d with %d workers", self.settings.host, self.settings.port,
                 self.count)

    async def stop(self) -> None:
        """Every worker stops as a single server does (users are told); then the schedules."""
        self._stopping = True
        for process in self._processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        if self._watchers:
            _done, late = await asyncio.wait(self._watchers, timeout=STOP_TIMEOUT_SECONDS)
            for number, process in self._processes.items():
                if process.returncode is None:
                    log.error("worker %d did not stop; killing it", number)
                    process.kill()
            if late:
                await asyncio.wait(late)
        if self.schedules is not None:
            await self.schedules.stop()
        log.info("stopped")

    async def _start_worker(self, number: int) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sshd_app.worker", str(number), str(self.count),
            str(self._relay.path),
            stdin=asyncio.subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write(settings_json(self.settings).encode("utf-8"))
        process.stdin.close()
        self._processes[number] = process
        ready = asyncio.create_task(self._relay.ready(number))
        ended = asyncio.create_task(process.wait())
        await asyncio.wait((ready, ended), timeout=START_TIMEOUT_SECONDS,
                           return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            if not ended.done():
                process.kill()
            raise WorkerFailed(f"worker {number} did not start")
        watcher = asyncio.create_task(self._watch(number, ended))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _watch(self, number: int, ended: asyncio.Task[int]) -> None:
        code = await ended
        self._relay.forget(number)
        if self._stopping:
            return
        log.error("worker %d exited with status %d; starting a new one", number, code)
        await asyncio.sleep(RESTART_DELAY_SECONDS)
        if not self._stopping:
            try:
                await self._start_worker(number)
            except WorkerFailed as error:
                log.error("%s", error)


@contextlib.contextmanager
def _claim_port(host: str, port: int):
    """Refuse a port something else listens on, as a single server would (EADDRINUSE), and
    hold a chosen free port until the workers listen on it too."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR only passes over closed connections; without SO_REUSEPORT the bind
        # fails if anything listens on the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    with socket.socket(family, socket.SOCK_STREAM) as claim:
        claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        claim.bind((host, port))
        yield port


def _listen(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
