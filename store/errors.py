"""What a service can refuse, so every caller (TUI, exec commands) reacts the same way."""

from __future__ import annotations


class NotPermitted(PermissionError):
    """The acting account may not do this (exit 77 for commands)."""


class NotFound(LookupError):
    """The thing named does not exist, or is not visible to this actor (exit 1)."""


class Invalid(ValueError):
    """The request breaks a rule (exit 1); the message says which, without personal data."""


class RoomSealed(PermissionError):
    """The rules allow reading this room, but the session's keys hold no copy of its key
    (access reset by staff and not yet given back): its text cannot be opened."""
