"""Hands hub events from whichever task published them into one screen's own message queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from store.hub.hub import Hub, Subscription, Topic


class HubEvent(Message, bubble=False):
    """An event of the topic a screen subscribed to (MessagePosted, BookingChanged, …).

    Only the subscribing screen handles it: bubbling would dispatch each one again in the app.
    """

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


def _every(_event: Any) -> bool:
    return True


def deliver_to(pump: MessagePump, hub: Hub, topic: Topic,
               wanted: Callable[[Any], bool] = _every) -> Subscription:
    """Subscribe `pump` to those events of `topic` it `wanted`; cancel it when it unmounts.

    An unwanted event is dropped before it is queued: a handled message, even one ignored,
    wakes the screen and runs its pending refresh work, in every session the event reaches.
    `wanted` runs inside the publisher's task, where Textual's active app (`pump.app`) is the
    publisher's session, not `pump`'s: it must decide only from what `pump` holds itself.
    """
    def listener(event: Any) -> None:
        # post_message only queues, so the publisher (another session's send) never waits.
        if wanted(event):
            # The sender is `pump` itself, never whichever session published.
            pump.post_message(HubEvent(event).set_sender(pump))

    return hub.subscribe(topic, listener)
