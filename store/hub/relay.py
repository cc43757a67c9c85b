"""The hub across processes: the serving process's RelayHub listens on a Unix socket beside the
database (`<db>.hub`) and links every other process's LinkedHub, so an event published in any
process reaches all of them: the workers of `serve --workers N`, and a `wardroom admin` run on
the host, whose booking end, disable or erasure must reach the sessions at once as well.

Chosen over SQLite-based notification by measurement (benchmarks/hub.py on the 2-core
development machine): through the relay an event reaches another worker in 0.5 ms at the median
(p99 0.8 ms), 13,000 events per second in a burst, and an idle worker spends nothing on it; a
notification table polled every 10 ms took 6 ms at the median (p99 12 ms) and 2.2 % of a core
per idle worker, polled every 50 ms 26 ms (p99 51 ms) and 0.6 %.
A publisher delivers in its own process at once and sends one frame to the relay, which passes
the frame on unchanged to every other worker (decoding it only for listeners of its own, such
as the booking timer). Delivery order is kept per publishing process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from store.database import is_postgres_url
from store.hub.hub import PROCESSES_TOPIC, Hub, ProcessGone, Topic
from store.hub.wire import WireError, event_frame, frame, frame_event, frame_topic, read_frame

log = logging.getLogger(__name__)

# sun_path holds 108 bytes; longer paths are reached through their folder (see _reachable).
_UNIX_PATH_MAX = 100
_PEER_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid
_NODE_FOLDER = "wardroom-node-"


def hub_socket_path(db_path: Path | str) -> Path:
    """Where the server serving this database listens for other processes' hubs: beside a
    SQLite file; for PostgreSQL, which several nodes (even on one host) share, in a private
    folder of this node's own (its `wardroom admin` reaches the sessions through the database)."""
    if is_postgres_url(db_path):
        return Path(tempfile.mkdtemp(prefix=_NODE_FOLDER)) / "hub"
    db = Path(db_path).absolute()
    return db.with_name(db.name + ".hub")


@contextlib.contextmanager
def _reachable(path: Path) -> Iterator[str]:
    """`path` as an address a Unix socket accepts. A longer path is reached through an open
    descriptor of its folder under /proc, which the kernel resolves like the folder itself."""
    if len(os.fsencode(path)) <= _UNIX_PATH_MAX:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


class RelayHub(Hub):
    """The parent's hub: listens on a Unix socket for the workers' hubs and passes every
    event on to all the others."""

    def __init__(self) -> None:
        super().__init__()
        self._server: asyncio.AbstractServer | None = None
        # The links that listen -> their worker number, once ready (-1 before).
        self._links: dict[asyncio.StreamWriter, int] = {}
        self._connected: set[asyncio.StreamWriter] = set()  # listening or not
        self._closing = False
        self._serving: set[asyncio.Task[Any]] = set()
        self._ready: dict[int, asyncio.Event] = {}
        self.path: Path | None = None

    async def listen(self, path: Path) -> None:
        """Serve the socket at `path` (a stale one left by a killed server is replaced)."""
        with _reachable(path) as address:
            self._server = await asyncio.start_unix_server(self._serve, address)
            # Only this user may link: a linked process can publish any event.
            os.chmod(address, 0o600)
        self.path = path

    def spread(self, topic: Topic, event: Any) -> None:
        self.deliver(topic, event)
        if self._links:
            self._send(event_frame(topic, event), source=None)

    async def ready(self, worker: int) -> None:
        """Return once that worker has said it is serving."""
        await self._ready_event(worker).wait()

    def forget(self, worker: int) -> None:
        """The worker is gone: a new one of that number must say it is ready again."""
        self._ready.pop(worker, None)

    async def close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._connected):
            writer.close()
        if self._serving:
            await asyncio.wait(self._serving)  # each ends at its link's end
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            if self.path.parent.name.startswith(_NODE_FOLDER):
                with contextlib.suppress(OSError):
                    self.path.parent.rmdir()
            self.path = None

    def _ready_event(self, worker: int) -> asyncio.Event:
        return self._ready.setdefault(worker, asyncio.Event())

    def _send(self, data: bytes, source: asyncio.StreamWriter | None) -> None:
        for writer in self._links:
            if writer is not source and not writer.is_closing():
                writer.write(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:  # accepted just before close(), started after it
            writer.close()
            return
        if not _same_user(writer):
            log.warning("hub link refused: another user's process")
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._connected.add(writer)
        origin: int | None = None
        try:
            # The hello comes first, so a publish-only link is never sent a frame.
            hello = await read_frame(reader)
            if hello is None or not isinstance(hello.get("hello"), int):
                raise WireError("link without a hello")
            origin = hello["hello"]
            if hello.get("listens") is not False:
                self._links[writer] = -1
            while (payload := await read_frame(reader)) is not None:
                if "ready" in payload:
                    worker = payload["ready"]
                    if not isinstance(worker, int):
                        raise WireError("ready without a worker number")
                    self._links[writer] = worker
                    self._ready_event(worker).set()
                    continue
                topic = frame_topic(payload)
                self._send(frame(payload), source=writer)
                if self.listeners(topic) or self.bridge is not None:
                    event = frame_event(payload)
                    self.deliver(topic, event)
                    if self.bridge is not None:
                        self.bridge.forward(topic, event)
        except (WireError, ConnectionError) as error:
            log.error("hub link of worker %d dropped: %s", self._links.get(writer, -1), error)
        finally:
            self._links.pop(writer, None)
            self._connected.discard(writer)
            self._serving.discard(task)
            writer.close()
            if origin is not None:
                # After its last frame was passed on, so nothing it counted arrives later.
                self.publish(PROCESSES_TOPIC, ProcessGone(origin))


def _same_user(writer: asyncio.StreamWriter) -> bool:
    """The socket's mode already keeps other users out; the kernel's word on the peer makes
    sure (root may link too: it can read the database anyway)."""
    sock: socket.socket = writer.get_extra_info("socket")
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                  _PEER_CREDENTIALS.size)
    _pid, uid, _gid = _PEER_CREDENTIALS.unpack(credentials)
    return uid in (os.getuid(), 0)


class LinkedHub(Hub):
    """A worker's hub: delivers in this process at once and hands every event to the relay,
    which brings it to the other workers; theirs arrive the same way. `closed` is set when
    the link to the parent is gone (the parent stopped or died)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 listens: bool = True) -> None:
        super().__init__()
        self._reader = reader
        self._writer = writer
        self.closed = asyncio.Event()
        self._writer.write(frame({"hello": self.origin, "listens": listens}))
        self._receiving = asyncio.get_running_loop().create_task(self._receive())

    @classmethod
    async def connect(cls, path: Path, listens: bool = True) -> LinkedHub:
        """`listens=False`: this process only publishes, so the relay sends it nothing (a
        `wardroom admin` command has no business receiving the rooms' messages)."""
        with _reachable(path) as address:
            reader, writer = await asyncio.open_unix_connection(address)
        return cls(reader, writer, listens)

    @classmethod
    async def to_server_of(cls, db_path: Path | str) -> Hub:
        """Linked to the server serving this database if one runs, else a hub of its own."""
        if is_postgres_url(db_path):
            return Hub()
        path = hub_socket_path(db_path)
        try:
            return await cls.connect(path, listens=False)
        except (FileNotFoundError, ConnectionRefusedError):  # no server (or a killed one's)
            return Hub()
        except PermissionError:
            log.warning("cannot reach the server's sessions through %s: run this as the "
                        "server's user for changes to reach open sessions at once", path)
            return Hub()

    def publish(self, topic: Topic, event: Any) -> None:
        self.deliver(topic, event)
        if not self._writer.is_closing():
            self._writer.write(event_frame(topic, event))

    def ready(self, worker: int) -> None:
        """Tell the parent this worker is serving."""
        self._writer.write(frame({"ready": worker}))

    async def close(self) -> None:
        """Hand over what was published, then unlink."""
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()
        self._receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._receiving
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()

    async def _receive(self) -> None:
        try:
            while (payload := await read_frame(self._reader)) is not None:
                topic = frame_topic(payload)
                if self.listeners(topic):
                    self.deliver(topic, frame_event(payload))
        except (WireError, ConnectionError) as error:
            log.error("hub link to the parent dropped: %s", error)
        finally:
            self.closed.set()
