"""Hands hub events from whichever task published them into one screen's own message queue."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from store.hub import Hub, Subscription, Topic


class HubEvent(Message):
    """An event of the topic a screen subscribed to (MessagePosted, BookingChanged, …)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


def deliver_to(pump: MessagePump, hub: Hub, topic: Topic) -> Subscription:
    """Subscribe `pump` to `topic`; cancel the subscription when it unmounts."""
    # post_message only queues, so the publisher (another session's send) never waits for us.
    return hub.subscribe(topic, lambda event: pump.post_message(HubEvent(event)))
