"""Retention windows: how long a client's ended ward rooms stay before deletion."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum


class RetentionWindow(IntEnum):
    TWO_WEEKS = 14
    THREE_WEEKS = 21
    EIGHT_WEEKS = 56


DEFAULT_WINDOW = RetentionWindow.EIGHT_WEEKS


def window_of(retention_days: int | None) -> RetentionWindow:
    """The client's chosen window, or the default when none was chosen."""
    return DEFAULT_WINDOW if retention_days is None else RetentionWindow(retention_days)


def deletion_date(ends_at: datetime, retention_days: int | None) -> datetime:
    """The one definition of a room's deletion date: booking end + the client's window."""
    return ends_at + timedelta(days=int(window_of(retention_days)))
