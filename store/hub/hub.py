"""Live delivery: services publish events for a room or an account; sessions subscribe.

This hub delivers within one process; with `serve --workers N`, store.hub.relay links the
hubs of all processes behind the same two methods, so an event published in one reaches
listeners in every one.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

Topic = tuple[str, int]  # ("room", booking_id) or ("account", account_id)
Listener = Callable[[Any], None]

# Every booking change, for whoever keeps a schedule of bookings (the booking timer).
BOOKINGS_TOPIC: Topic = ("bookings", 0)
# Every room entered or left, for the presence counts each process keeps.
PRESENCE_TOPIC: Topic = ("presence", 0)
# What the SSH edge counts against its limits per address and name (sshd_app: the connection
# gate, login delays, registrations), so all workers count together.
EDGE_TOPIC: Topic = ("edge", 0)
# A linked process is gone (a worker died or stopped): forget what it had counted.
PROCESSES_TOPIC: Topic = ("processes", 0)


def room_topic(booking_id: int) -> Topic:
    return ("room", booking_id)


def account_topic(account_id: int) -> Topic:
    return ("account", account_id)


@dataclass(frozen=True)
class MessagePosted:
    booking_id: int
    message: Any  # store.rooms.rooms.Message


@dataclass(frozen=True)
class BookingChanged:
    """A booking started, ended, was extended or deleted: reload what you show of it."""

    booking_id: int


@dataclass(frozen=True)
class PresenceChanged:
    """Someone opened or left the room: redraw who is here."""

    booking_id: int


@dataclass(frozen=True)
class PresenceMoved:
    """One session of `account_id`, held by process `origin`, entered (+1) or left (-1) the
    room of `booking_id`."""

    booking_id: int
    account_id: int
    delta: int
    origin: int


@dataclass(frozen=True)
class ProcessGone:
    """Process `origin` (a Hub.origin) is no longer linked: nothing it counted holds any more.
    Published by the relay once the last frame from that process has been passed on."""

    origin: int


@dataclass(frozen=True)
class AccountClosed:
    """The account was erased or disabled: its sessions end at once."""

    account_id: int
    reason: str


class Subscription:
    def __init__(self, hub: Hub, topic: Topic, listener: Listener) -> None:
        self._hub = hub
        self.topic = topic
        self.listener = listener

    def cancel(self) -> None:
        self._hub._remove(self)


class Bridge(Protocol):
    """Carries this node's events to the other nodes on the same database (store.hub.node_bus)."""

    def forward(self, topic: Topic, event: Any) -> None: ...


class Hub:
    def __init__(self) -> None:
        # Names this hub (one per process) in events whose effect must end with its process
        # (presence, pending logins); random, so a replaced worker never takes over the
        # counts of the one before it, as a reused worker number or pid could.
        self.origin = secrets.randbits(62)
        self._subscriptions: dict[Topic, list[Subscription]] = defaultdict(list)
        # Set on the one hub of a node that links its processes (the relay, or a single
        # server's hub) when the node shares a PostgreSQL database with others.
        self.bridge: Bridge | None = None

    def subscribe(self, topic: Topic, listener: Listener) -> Subscription:
        subscription = Subscription(self, topic, listener)
        self._subscriptions[topic].append(subscription)
        return subscription

    def publish(self, topic: Topic, event: Any) -> None:
        """Deliver to every listener of the topic, wherever it is."""
        self.spread(topic, event)
        if self.bridge is not None:
            self.bridge.forward(topic, event)

    def spread(self, topic: Topic, event: Any) -> None:
        """Deliver to every listener of the topic on this node (every process it links)."""
        self.deliver(topic, event)

    def deliver(self, topic: Topic, event: Any) -> None:
        """Call every listener in this process now; one failing listener never stops the
        others."""
        for subscription in list(self._subscriptions.get(topic, ())):
            try:
                subscription.listener(event)
            except Exception:
                log.exception("hub listener failed")

    def listeners(self, topic: Topic) -> int:
        return len(self._subscriptions.get(topic, ()))

    def _remove(self, subscription: Subscription) -> None:
        listeners = self._subscriptions.get(subscription.topic)
        if listeners and subscription in listeners:
            listeners.remove(subscription)
            if not listeners:
                del self._subscriptions[subscription.topic]
