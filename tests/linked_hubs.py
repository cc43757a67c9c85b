"""Hubs of three "processes" in one test: the parent's relay and two workers' linked hubs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from store.hub.hub import BookingChanged, Hub
from store.hub.relay import LinkedHub, RelayHub

Linked = tuple[RelayHub, LinkedHub, LinkedHub]


class Inbox:
    def __init__(self, hub: Hub, topic: tuple[str, int]) -> None:
        self.events: list[Any] = []
        self._arrived = asyncio.Event()
        hub.subscribe(topic, self._take)

    def _take(self, event: Any) -> None:
        self.events.append(event)
        self._arrived.set()

    async def next(self) -> Any:
        await asyncio.wait_for(self._arrived.wait(), 5)
        self._arrived.clear()
        return self.events[-1]


async def linked_hubs(path: Path) -> Linked:
    relay = RelayHub()
    await relay.listen(path)
    first = await LinkedHub.connect(path)
    second = await LinkedHub.connect(path)
    first.ready(1)
    second.ready(2)
    await relay.ready(1)
    await relay.ready(2)
    return relay, first, second


async def unlink(hubs: Linked) -> None:
    relay, first, second = hubs
    for hub in (first, second):
        await hub.close()
    await relay.close()


async def settled(hubs: Linked) -> None:
    """Every event either worker published so far has arrived everywhere: each sends a marker
    after them, and a process's events keep their order on the way."""
    _relay, *links = hubs
    for n, hub in enumerate(links):
        inboxes = [Inbox(h, ("marker", n)) for h in hubs]
        hub.publish(("marker", n), BookingChanged(n))
        for inbox in inboxes:
            await inbox.next()


