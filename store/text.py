"""Makes untrusted text harmless: the one sanitiser for every user-derived string."""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"

# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates,
# the bidi marks, line/paragraph separators that some terminals honour, and the BOM.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]"
)


def sanitize(text: str) -> str:
    """Replace every control, escape or bidi-override character with U+FFFD.

    A carriage return is folded into a newline first, so pasted Windows text keeps its lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(REPLACEMENT, text)


def sanitize_line(text: str) -> str:
    """Sanitise text that must stay on one line (usernames, echoed errors)."""
    return sanitize(text).replace("\n", REPLACEMENT).replace("\t", " ")
