"""One password or second-factor check at a time per account name, for all worker processes,
each started only once the account's delay since its last failure has passed.

Every connection asks for a turn (`LoginTurns.turn`); one keeper (`TurnKeeper`, in the process
that holds the hub's relay: the single server, or the parent of `serve --workers N`) grants
them in the order asked, one per name at a time. Guesses spread over many connections,
addresses and workers thus queue behind each other instead of waiting out their delays side by
side; nobody is ever refused a turn, so no stranger can lock an account.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sshd_app.login_throttle import LoginThrottle
from store.hub.hub import EDGE_TOPIC, PROCESSES_TOPIC, Hub, ProcessGone
from store.hub.wire import carried, stays_on_its_node


@stays_on_its_node
@carried
@dataclass(frozen=True)
class TurnWanted:
    """Connection `ticket` of process `origin` wants to check a secret for `username`."""

    origin: int
    ticket: int
    username: str


@stays_on_its_node
@carried
@dataclass(frozen=True)
class TurnGranted:
    """That connection may check now, after waiting `wait` seconds (the account's delay)."""

    origin: int
    ticket: int
    wait: float


@stays_on_its_node
@carried
@dataclass(frozen=True)
class TurnDone:
    """That connection has checked (its failure, if any, was published before) or gave up."""

    origin: int
    ticket: int
    username: str


class LoginTurns:
    """A process's side: asks the keeper for turns and waits for them."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._tickets = itertools.count(1)
        self._granted: dict[int, asyncio.Future[float]] = {}
        self._hub.subscribe(EDGE_TOPIC, self._counted)

    @asynccontextmanager
    async def turn(self, username: str) -> AsyncIterator[None]:
        """Inside: this connection's check for `username`, the only one in flight."""
        ticket = next(self._tickets)
        # Before asking: with the keeper in this process the grant arrives within the publish.
        granted = self._granted[ticket] = asyncio.get_running_loop().create_future()
        try:
            self._hub.publish(EDGE_TOPIC, TurnWanted(self._hub.origin, ticket, username))
            await asyncio.sleep(await granted)
            yield
        finally:
            del self._granted[ticket]
            self._hub.publish(EDGE_TOPIC, TurnDone(self._hub.origin, ticket, username))

    def _counted(self, event: object) -> None:
        if isinstance(event, TurnGranted) and event.origin == self._hub.origin:
            granted = self._granted.get(event.ticket)
            if granted is not None and not granted.done():
                granted.set_result(event.wait)


class TurnKeeper:
    """Grants the turns of every process, in order, one per name at a time; the wait it hands
    out is what the account's delay leaves since its last failure (`throttle`, which counts
    the failures of every process)."""

    def __init__(self, hub: Hub, throttle: LoginThrottle) -> None:
        self._hub = hub
        self._throttle = throttle
        # name -> (origin, ticket) in the order asked; the head has the turn.
        self._queues: dict[str, deque[tuple[int, int]]] = {}
        self._hub.subscribe(EDGE_TOPIC, self._counted)
        self._hub.subscribe(PROCESSES_TOPIC, self._process_gone)

    def queued(self, username: str) -> int:
        return len(self._queues.get(username, ()))

    def _counted(self, event: object) -> None:
        if isinstance(event, TurnWanted):
            queue = self._queues.setdefault(event.username, deque())
            queue.append((event.origin, event.ticket))
            if len(queue) == 1:
                self._grant(event.username)
        elif isinstance(event, TurnDone):
            self._forget(event.username, {(event.origin, event.ticket)})

    def _process_gone(self, event: ProcessGone) -> None:
        for username, queue in list(self._queues.items()):
            self._forget(username, {entry for entry in queue if entry[0] == event.origin})

    def _forget(self, username: str, entries: set[tuple[int, int]]) -> None:
        queue = self._queues.get(username)
        if queue is None or not entries:
            return
        head = queue[0]
        for entry in entries & set(queue):
            queue.remove(entry)
        if not queue:
            del self._queues[username]
        elif queue[0] != head:
            self._grant(username)

    def _grant(self, username: str) -> None:
        origin, ticket = self._queues[username][0]
        wait = self._throttle.account_wait(username)
        self._hub.publish(EDGE_TOPIC, TurnGranted(origin, ticket, wait))
