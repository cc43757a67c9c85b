"""The hub across nodes: wardroom nodes that share one PostgreSQL database hear each other's
events through LISTEN/NOTIFY on that database, so no network relay of our own is needed.

Each node's linking hub (the relay of `serve --workers N`, or a single server's hub) gets one
NodeBus. Every event published anywhere on the node is sent as one NOTIFY; every NOTIFY from
another node is spread to every process of this one. Payloads are small and carry ids, never
text: a posted message travels as its id, and each node reads the sealed row itself.

A node is alive while its bus's connection holds the advisory lock (NODE_LOCKS, node id). When
a node dies, PostgreSQL ends its connection and so its lock; the others notice within
REAP_SECONDS and drop what its processes had counted (presence, pending logins), as the relay
does for a worker that died (ProcessGone).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from store.backends.postgres import connect_once
from store.hub.hub import PROCESSES_TOPIC, Hub, MessagePosted, ProcessGone, Topic
from store.hub.wire import (
    NODE_LOCAL_TYPES,
    WireError,
    event_payload,
    frame_event,
    frame_topic,
)
from store.rooms.rooms import SealedMessage

log = logging.getLogger(__name__)

CHANNEL = "wardroom_hub"
# pg_advisory_lock(NODE_LOCKS, node): the first key of the two-key form marks node liveness.
NODE_LOCKS = 0x77617264
REAP_SECONDS = 2.0

LoadMessage = Callable[[int], Awaitable[SealedMessage | None]]


async def live_nodes(conn: asyncpg.Connection) -> set[int]:
    """The nodes serving this database now: those whose liveness lock is held."""
    rows = await conn.fetch(
        "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = $1::bigint::oid AND objsubid = 2 AND database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())", NODE_LOCKS)
    return {int(row["objid"]) for row in rows}


class NodeBus:
    def __init__(self, hub: Hub, conn: asyncpg.Connection, load_message: LoadMessage,
                 listens: bool) -> None:
        self._hub = hub
        self._conn = conn
        self._load_message = load_message
        self._listens = listens
        self.node = secrets.randbits(31)
        # One statement at a time on the connection: sending, reaping and LISTEN share it.
        self._use = asyncio.Lock()
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        # Other nodes -> the process origins seen in their events, to forget when they die.
        self._origins: defaultdict[int, set[int]] = defaultdict(set)
        self._tasks: list[asyncio.Task[None]] = []
        # Set when the connection is gone: this node no longer hears the others, so it must
        # stop serving (and be restarted) rather than show rooms that miss their events.
        self.lost = asyncio.Event()

    @classmethod
    async def link(cls, hub: Hub, url: str, load_message: LoadMessage,
                   listens: bool = True) -> NodeBus:
        """Link `hub` to the other nodes on the database at `url`. `listens=False`: this
        process only publishes (`wardroom admin`), so it hears nothing and counts as no node."""
        bus = cls(hub, await connect_once(url), load_message, listens)
        bus._conn.add_termination_listener(lambda _conn: bus.lost.set())
        if listens:
            await bus._conn.execute("SELECT pg_advisory_lock($1, $2)", NODE_LOCKS, bus.node)
            await bus._conn.add_listener(CHANNEL, bus._notified)
            bus._tasks += [asyncio.create_task(bus._receive()),
                           asyncio.create_task(bus._reap())]
            log.info("linked to the other nodes as node %d", bus.node)
        bus._tasks.append(asyncio.create_task(bus._send()))
        hub.bridge = bus
        return bus

    def forward(self, topic: Topic, event: Any) -> None:
        if type(event).__name__ in NODE_LOCAL_TYPES:
            return
        if isinstance(event, MessagePosted):
            body: dict[str, Any] = {"topic": list(topic), "message": event.message.id}
        else:
            body = event_payload(topic, event)
        body["node"] = self.node
        self._outbox.put_nowait(json.dumps(body, ensure_ascii=False, separators=(",", ":")))

    async def close(self) -> None:
        """Send what was published, then leave (the others see this node gone at once)."""
        if self._hub.bridge is self:
            self._hub.bridge = None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout=5)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._conn.close(timeout=5)

    async def _send(self) -> None:
        while True:
            payload = await self._outbox.get()
            try:
                async with self._use:
                    await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                log.error("event not sent to the other nodes: %s", error)
                if self._conn.is_closed():
                    self.lost.set()
            finally:
                self._outbox.task_done()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._inbox.put_nowait(payload)

    async def _receive(self) -> None:
        # One at a time, in the order PostgreSQL delivered them (commit order), even when a
        # message must be read from the database first.
        while True:
            payload = await self._inbox.get()
            try:
                await self._pass_on(json.loads(payload))
            except (WireError, ValueError, KeyError, TypeError) as error:
                log.error("event from another node dropped: %s", error)
            except Exception:
                log.exception("event from another node not passed on")

    async def _pass_on(self, body: dict[str, Any]) -> None:
        node = int(body["node"])
        if node == self.node:
            return
        topic = frame_topic(body)
        if "message" in body:
            message = await self._load_message(int(body["message"]))
            if message is None:  # deleted meanwhile: nothing left to show
                return
            event: Any = MessagePosted(message.booking_id, message)
        else:
            event = frame_event(body)
        origin = getattr(event, "origin", None)
        if isinstance(origin, int) and not isinstance(event, ProcessGone):
            self._origins[node].add(origin)
        self._hub.spread(topic, event)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(REAP_SECONDS)
            try:
                async with self._use:
                    alive = await live_nodes(self._conn)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                log.error("cannot tell which nodes are alive: %s", error)
                if self._conn.is_closed():
                    self.lost.set()
                continue
            for node in [n for n in self._origins if n not in alive]:
                log.warning("node %d is gone: forgetting what its sessions counted", node)
                for origin in self._origins.pop(node):
                    self._hub.spread(PROCESSES_TOPIC, ProcessGone(origin))
