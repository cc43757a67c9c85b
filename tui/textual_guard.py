"""Neutralises the Textual behaviours that assume one app owns the whole process.

- `App._process_messages` wraps every app in `redirect_stdout/redirect_stderr`, which swaps the
  process-wide `sys.stdout`. With many apps in one server their enter/exit interleave and leave
  `sys.stdout` pointing at a dead app's capture, so the server's own output vanishes.
- `Strip.render_style` caches a style's escape codes on the (process-wide, shared) Rich Style
  object, whatever the colour system: the first session's terminal would decide every other
  session's colours. The codes are cached per (style, colour system) instead.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import textual.app
from rich.color import ColorSystem
from rich.style import Style
from textual.strip import Strip


def _no_redirect(_target: Any) -> nullcontext[None]:
    return nullcontext()


def _render_style(cls: type[Strip], style: Style, text: str, color_system: ColorSystem) -> str:
    ansi = Strip.render_ansi(style, color_system)
    output = f"\x1b[{ansi}m{text}\x1b[0m" if ansi else text
    if style._link:
        output = f"\x1b]8;id={style._link_id};{style._link}\x1b\\{output}\x1b]8;;\x1b\\"
    return output


def install() -> None:
    textual.app.redirect_stdout = _no_redirect  # type: ignore[assignment]
    textual.app.redirect_stderr = _no_redirect  # type: ignore[assignment]
    Strip.render_style = classmethod(_render_style)  # type: ignore[method-assign,assignment]
