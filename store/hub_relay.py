"""The hub across processes (`serve --workers N`): the parent's RelayHub links every worker's
LinkedHub over a Unix socket, so an event published in any process reaches all of them.

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
from typing import Any

from store.hub import PROCESSES_TOPIC, Hub, ProcessGone, Topic
from store.hub_wire import WireError, event_frame, frame, frame_event, frame_topic, read_frame

log = logging.getLogger(__name__)


class RelayHub(Hub):
    """The parent's hub: listens on a Unix socket for the workers' hubs and passes every
    event on to all the others."""

    def __init__(self) -> None:
        super().__init__()
        self._server: asyncio.AbstractServer | None = None
        self._links: dict[asyncio.StreamWriter, int] = {}  # -> worker number, once ready
        self._origins: dict[asyncio.StreamWriter, int] = {}  # -> the linked hub's origin
        self._serving: set[asyncio.Task[Any]] = set()
        self._ready: dict[int, asyncio.Event] = {}

    async def listen(self, path: str) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path)

    def publish(self, topic: Topic, event: Any) -> None:
        self.deliver(topic, event)
        self._send(event_frame(topic, event), source=None)

    async def ready(self, worker: int) -> None:
        """Return once that worker has said it is serving."""
        await self._ready_event(worker).wait()

    def forget(self, worker: int) -> None:
        """The worker is gone: a new one of that number must say it is ready again."""
        self._ready.pop(worker, None)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._links):
            writer.close()
        if self._serving:
            await asyncio.wait(self._serving)  # each ends at its link's end
        if self._server is not None:
            await self._server.wait_closed()

    def _ready_event(self, worker: int) -> asyncio.Event:
        return self._ready.setdefault(worker, asyncio.Event())

    def _send(self, data: bytes, source: asyncio.StreamWriter | None) -> None:
        for writer in self._links:
            if writer is not source and not writer.is_closing():
                writer.write(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._links[writer] = -1
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        try:
            while (payload := await read_frame(reader)) is not None:
                if "hello" in payload:
                    self._origins[writer] = int(payload["hello"])
                    continue
                if "ready" in payload:
                    self._links[writer] = int(payload["ready"])
                    self._ready_event(int(payload["ready"])).set()
                    continue
                topic = frame_topic(payload)
                self._send(frame(payload), source=writer)
                if self.listeners(topic):
                    self.deliver(topic, frame_event(payload))
        except (WireError, ConnectionError) as error:
            log.error("hub link of worker %d dropped: %s", self._links[writer], error)
        finally:
            del self._links[writer]
            self._serving.discard(task)
            writer.close()
            origin = self._origins.pop(writer, None)
            if origin is not None:
                # After its last frame was passed on, so nothing it counted arrives later.
                self.publish(PROCESSES_TOPIC, ProcessGone(origin))


class LinkedHub(Hub):
    """A worker's hub: delivers in this process at once and hands every event to the relay,
    which brings it to the other workers; theirs arrive the same way. `closed` is set when
    the link to the parent is gone (the parent stopped or died)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__()
        self._reader = reader
        self._writer = writer
        self.closed = asyncio.Event()
        self._writer.write(frame({"hello": self.origin}))
        self._receiving = asyncio.get_running_loop().create_task(self._receive())

    @classmethod
    async def connect(cls, path: str) -> LinkedHub:
        reader, writer = await asyncio.open_unix_connection(path)
        return cls(reader, writer)

    def publish(self, topic: Topic, event: Any) -> None:
        self.deliver(topic, event)
        if not self._writer.is_closing():
            self._writer.write(event_frame(topic, event))

    def ready(self, worker: int) -> None:
        """Tell the parent this worker is serving."""
        self._writer.write(frame({"ready": worker}))

    async def close(self) -> None:
        self._receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._receiving
        self._writer.close()

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
