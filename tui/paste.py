"""Takes bracketed pastes out of the input stream before Textual's parser sees them.

Textual's XTermParser ends a paste at the first ESC inside it and replays the rest as key
presses, so pasting copied terminal output (escape sequences, a stray CR) would type keys.
"""

from __future__ import annotations

from textual import events

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
# A paste longer than this is cut: no screen accepts more, and memory stays bounded.
MAX_PASTE = 1_000_000


def _marker_prefix(text: str, marker: str, shortest: int) -> int:
    """Length of the longest end of `text` that could be the start of `marker`."""
    for size in range(min(len(marker) - 1, len(text)), shortest - 1, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


class PasteSplitter:
    def __init__(self) -> None:
        self._pasting = False
        self._pasted: list[str] = []
        self._pasted_size = 0
        self._held = ""

    def feed(self, text: str) -> list[str | events.Paste]:
        """Split decoded input into text for the parser and whole Paste events, in order."""
        text, self._held = self._held + text, ""
        pieces: list[str | events.Paste] = []
        while text:
            if not self._pasting:
                start = text.find(PASTE_START)
                if start < 0:
                    keep = _marker_prefix(text, PASTE_START, shortest=1)
                    pieces.append(text[:len(text) - keep])
                    self._held = text[len(text) - keep:]
                    break
                pieces.append(text[:start])
                text = text[start + len(PASTE_START):]
                self._pasting = True
            end = text.find(PASTE_END)
            if end < 0:
                keep = _marker_prefix(text, PASTE_END, shortest=1)
                self._collect(text[:len(text) - keep])
                self._held = text[len(text) - keep:]
                break
            self._collect(text[:end])
            pieces.append(events.Paste("".join(self._pasted)))
            self._pasting, self._pasted, self._pasted_size = False, [], 0
            text = text[end + len(PASTE_END):]
        return [piece for piece in pieces if piece != ""]

    @property
    def holding(self) -> bool:
        """Input held back outside a paste because it may start one (an ESC at a chunk end)."""
        return bool(self._held) and not self._pasting

    def release(self) -> str:
        """No more input came: what was held is not a paste start (e.g. the Escape key)."""
        if self._pasting:
            return ""
        held, self._held = self._held, ""
        return held

    def _collect(self, part: str) -> None:
        room = MAX_PASTE - self._pasted_size
        if room > 0:
            self._pasted.append(part[:room])
            self._pasted_size += min(len(part), room)
