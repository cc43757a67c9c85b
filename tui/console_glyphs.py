"""Plainer glyphs for the Linux console (TERM=linux), whose font has only the CP437 repertoire.

Textual draws borders and scrollbars with eighth blocks and rounded corners, and the catalogs
use typographic dashes and quotes; the console shows a blank or a diamond for each of them.
Each is replaced by the nearest glyph the console has, one cell for one cell, on the way out.
"""

from __future__ import annotations

# The kernel's default font: ASCII, CP437's upper half, and the pictures CP437 puts at 1-31.
LINUX_CONSOLE_REPERTOIRE = frozenset(
    [chr(code) for code in range(0x20, 0x7F)]
    + list(bytes(range(0x80, 0x100)).decode("cp437"))
    + list("☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂")
)

_NEAREST = {
    "▁▂▃▄": "▄", "▅▆▇█": "█", "▔▀": "▀", "▏▎▍▌": "▌", "▋▊▉": "█", "▕▐": "▐",
    "╭┌": "┌", "╮┐": "┐", "╰└": "└", "╯┘": "┘",
    "━┅┉╍╸╺": "═", "┃┇┋╏╹╻": "║", "┏": "╔", "┓": "╗", "┗": "╚", "┛": "╝",
    "┣": "╠", "┫": "╣", "┳": "╦", "┻": "╩", "╋": "╬",
    "┄┈╌╴╶": "─", "┆┊╎╵╷": "│",
    "–—‒−": "-", "‘’‚′": "'", "“”„″": '"', "…": ".", "×": "x",
    "✓✔": "√", "✗✘": "x", "●": "•", "▶": "►", "◀": "◄", "⏎": "┘",
}

_TABLE = {ord(glyph): plain for glyphs, plain in _NEAREST.items() for glyph in glyphs
          if glyph != plain}


def for_terminal(term: str) -> dict[int, str] | None:
    """The str.translate table for a client's TERM, or None when its glyphs need no help."""
    return _TABLE if term.startswith("linux") else None
