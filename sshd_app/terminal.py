"""What a client tells us about its terminal, reduced to what is safe to use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_SIZE = (80, 24)
MIN_SIZE = (10, 4)
# Wide enough for a full-screen 4K terminal. Every key redraws the whole screen, and at
# 1000x500 a burst of 300 random keys kept the shared event loop busy for 20 s (0.2 s at 80x24).
MAX_SIZE = (400, 150)
_ACCEPTED_ENV = ("TERM", "LANG", "COLORTERM", "NO_COLOR")
_MAX_ENV_VALUE = 64


def accepted_env(env: Mapping[str, str]) -> dict[str, str]:
    """Only TERM, LANG, LC_*, COLORTERM (and NO_COLOR, which only removes colour)."""
    kept = {}
    for key, value in env.items():
        if (key in _ACCEPTED_ENV or key.startswith("LC_")) and len(value) <= _MAX_ENV_VALUE:
            if value.isprintable():
                kept[key] = value
    return kept


def clamp_size(width: int, height: int) -> tuple[int, int]:
    """0 means "unknown" in SSH; absurd sizes are cut to what a screen can be."""
    width = DEFAULT_SIZE[0] if width <= 0 else min(max(width, MIN_SIZE[0]), MAX_SIZE[0])
    height = DEFAULT_SIZE[1] if height <= 0 else min(max(height, MIN_SIZE[1]), MAX_SIZE[1])
    return width, height


@dataclass
class TerminalInfo:
    term: str = "xterm-256color"
    size: tuple[int, int] = DEFAULT_SIZE
    env: dict[str, str] = field(default_factory=dict)

    @property
    def color_system(self) -> str | None:
        """Rich colour system for this client's terminal, never the server's."""
        if "NO_COLOR" in self.env:
            return None
        colorterm = self.env.get("COLORTERM", "").lower()
        term = (self.term or "").lower()
        if colorterm in ("truecolor", "24bit"):
            return "truecolor"
        if "256color" in term:
            return "256"
        if term in ("dumb", "unknown", ""):
            return None
        return "standard"

    @property
    def language(self) -> str | None:
        """'en' or 'de' if the client's LANG/LC_* says so, else None."""
        for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
            value = self.env.get(key, "").lower()
            if value.startswith("de"):
                return "de"
            if value.startswith("en"):
                return "en"
        return None
