"""Live delivery: services publish events for a room or an account; sessions subscribe.

This in-process hub is the only implementation today; a multi-process hub can replace it
behind the same two methods.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Topic = tuple[str, int]  # ("room", booking_id) or ("account", account_id)
Listener = Callable[[Any], None]


def room_topic(booking_id: int) -> Topic:
    return ("room", booking_id)


def account_topic(account_id: int) -> Topic:
    return ("account", account_id)


@dataclass(frozen=True)
class MessagePosted:
    booking_id: int
    message: Any  # store.rooms.Message


@dataclass(frozen=True)
class BookingChanged:
    """A booking started, ended, was extended or deleted: reload what you show of it."""

    booking_id: int


@dataclass(frozen=True)
class PresenceChanged:
    """Someone opened or left the room: redraw who is here."""

    booking_id: int


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


class Hub:
    def __init__(self) -> None:
        self._subscriptions: dict[Topic, list[Subscription]] = defaultdict(list)

    def subscribe(self, topic: Topic, listener: Listener) -> Subscription:
        subscription = Subscription(self, topic, listener)
        self._subscriptions[topic].append(subscription)
        return subscription

    def publish(self, topic: Topic, event: Any) -> None:
        """Call every listener now; one failing listener never stops the others."""
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
