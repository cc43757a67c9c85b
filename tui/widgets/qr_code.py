"""A QR code drawn with half-block characters, dark on light whatever the terminal's colours."""

from __future__ import annotations

import segno
from rich.text import Text

# Two matrix rows per terminal row: (top dark, bottom dark) -> the character that draws them.
_HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
# The light quiet zone round the code that scanners need.
BORDER = 2


def qr_text(data: str) -> Text:
    """The code as text: black modules on white, so dark terminals scan as well as light."""
    rows = [[bool(m) for m in row]
            for row in segno.make(data, error="l", micro=False, boost_error=False)
            .matrix_iter(scale=1, border=BORDER)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = ["".join(_HALF_BLOCKS[top, bottom] for top, bottom in zip(upper, lower, strict=True))
             for upper, lower in zip(rows[::2], rows[1::2], strict=True)]
    return Text("\n".join(lines), style="#000000 on #ffffff", no_wrap=True, overflow="crop")

