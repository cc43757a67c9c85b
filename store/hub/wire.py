"""Hub events on the wire between wardroom processes: length-prefixed JSON frames.

JSON rather than pickle: whoever wrote a frame, reading it can only ever produce one of the
event types listed here, never run code.
"""

from __future__ import annotations

import asyncio
import json
import struct
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, TypeVar

from store.hub.hub import (
    AccountClosed,
    BookingChanged,
    MessagePosted,
    PresenceChanged,
    PresenceMoved,
    ProcessGone,
    Topic,
)
from store.rooms.rooms import SealedMessage

WIRE_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    MessagePosted, BookingChanged, PresenceChanged, PresenceMoved, ProcessGone, AccountClosed,
    SealedMessage)}
EventType = TypeVar("EventType", bound=type)
NODE_LOCAL_TYPES: set[str] = set()
_LENGTH = struct.Struct("!I")
# A message is at most 4,000 characters; a frame far beyond that is a fault, not an event.
MAX_FRAME = 1 << 20


class WireError(ValueError):
    """A frame that is not a well-formed event of a known type."""


def carried(cls: EventType) -> EventType:
    """Class decorator: events of this type may cross to other processes too. For events
    defined outside store.hub.hub (the SSH edge's shared limits); every process that can receive
    them imports their module."""
    WIRE_TYPES[cls.__name__] = cls
    return cls


def stays_on_its_node(cls: EventType) -> EventType:
    """Class decorator: events of this type link the processes of one node only and never
    cross to other nodes (the login turns, which each node's own keeper grants)."""
    NODE_LOCAL_TYPES.add(cls.__name__)
    return cls


def frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _LENGTH.pack(len(body)) + body


def event_frame(topic: Topic, event: Any) -> bytes:
    return frame(event_payload(topic, event))


def event_payload(topic: Topic, event: Any) -> dict[str, Any]:
    return {"topic": list(topic), "event": _plain(event)}


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame's payload, or None at the end of the stream."""
    try:
        (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
        if length > MAX_FRAME:
            raise WireError(f"frame of {length} bytes")
        payload = json.loads(await reader.readexactly(length))
    except asyncio.IncompleteReadError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(str(error)) from error
    if not isinstance(payload, dict):
        raise WireError("frame is not an object")
    return payload


def frame_topic(payload: dict[str, Any]) -> Topic:
    try:
        kind, number = payload["topic"]
        return str(kind), int(number)
    except (KeyError, TypeError, ValueError) as error:
        raise WireError("frame without a topic") from error


def frame_event(payload: dict[str, Any]) -> Any:
    try:
        return _typed(payload["event"])
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"frame with a bad event: {error}") from error


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if is_dataclass(value) and WIRE_TYPES.get(type(value).__name__) is type(value):
        return {"type": type(value).__name__,
                "fields": {f.name: _plain(getattr(value, f.name)) for f in fields(value)}}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"{type(value).__name__} cannot go to another process: add it to "
                    "store.hub.wire.WIRE_TYPES")


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        return WIRE_TYPES[value["type"]](**{name: _typed(item)
                                            for name, item in value["fields"].items()})
    return value
