"""Neutralises the Textual behaviours that assume one app owns the whole process.

- `App._process_messages` wraps every app in `redirect_stdout/redirect_stderr`, which swaps the
  process-wide `sys.stdout`. With many apps in one server their enter/exit interleave and leave
  `sys.stdout` pointing at a dead app's capture, so the server's own output vanishes.
- `Strip.render_style` caches a style's escape codes on the (process-wide, shared) Rich Style
  object, whatever the colour system: the first session's terminal would decide every other
  session's colours. The codes are cached per (style, colour system) instead.
- Each app keeps its own cache of parsed CSS, and starts several fresh stylesheets besides (a
  theme's variables, each widget class's default CSS), so every login parsed the same CSS again
  (about 30 ms of each login here). Parsed rules are kept per process instead, keyed as Textual
  keys them plus the CSS variables they were parsed with.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import textual.app
from rich.color import ColorSystem
from rich.style import Style
from textual.cache import LRUCache
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation
from textual.strip import Strip


def _no_redirect(_target: Any) -> nullcontext[None]:
    return nullcontext()


def _render_style(cls: type[Strip], style: Style, text: str, color_system: ColorSystem) -> str:
    ansi = Strip.render_ansi(style, color_system)
    output = f"\x1b[{ansi}m{text}\x1b[0m" if ansi else text
    if style._link:
        output = f"\x1b]8;id={style._link_id};{style._link}\x1b\\{output}\x1b]8;;\x1b\\"
    return output


# Sources are wardroom.tcss and the default CSS of the widget classes in use, per theme.
_parsed: LRUCache[tuple[Any, ...], list[RuleSet]] = LRUCache(1024)
_parse_rules_afresh = Stylesheet._parse_rules


def _parse_rules(self: Stylesheet, css: str, read_from: CSSLocation,
                 is_default_rules: bool = False, tie_breaker: int = 0,
                 scope: str = "") -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope,
           tuple(self._variables.items()))
    rules = _parsed.get(key)
    if rules is None:
        rules = _parse_rules_afresh(self, css, read_from, is_default_rules, tie_breaker, scope)
        _parsed[key] = rules
    return rules


def install() -> None:
    textual.app.redirect_stdout = _no_redirect  # type: ignore[assignment]
    textual.app.redirect_stderr = _no_redirect  # type: ignore[assignment]
    Strip.render_style = classmethod(_render_style)  # type: ignore[method-assign,assignment]
    Stylesheet._parse_rules = _parse_rules  # type: ignore[method-assign]
