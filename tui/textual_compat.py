"""Every use of Textual's (and Rich's) private API, each name once, with why it is needed.

The rest of wardroom calls only what this module exports. tests/tui/test_textual_compat.py
checks that each name below still exists with the shape used here, and
`scripts/try-newest-libraries` runs it against the newest Textual before the pin is widened.

The process-wide patches (`install`) neutralise what assumes one app owns the whole process;
`wardroom serve`, each worker and the test fixtures install them explicitly:
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

from collections.abc import Iterable
from contextlib import nullcontext
from typing import Any

import textual.app
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from textual import events
from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.binding import Binding
from textual.cache import LRUCache
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

# Private modules, for want of public ones:
# - textual._compositor: the room's screen gives its screen a compositor that paints only the
#   rows that changed (tui/compositor.py);
# - textual._xterm_parser and textual._parser (the ParseError it raises on garbage): the SSH
#   driver parses the channel's bytes on the event loop itself (tui/driver.py);
# - textual._time: the clock the parser's Escape timeout is measured on.

__all__ = [
    "ChopsUpdate",
    "Compositor",
    "CoverableScreen",
    "ForwardHookInput",
    "LayoutUpdate",
    "ParseError",
    "QuietApp",
    "RenderHookCompositor",
    "XTermParser",
    "add_line_filter",
    "awaits_repaint",
    "binding_table",
    "compositor_of",
    "console_ignoring_environment",
    "dirty_regions",
    "escape_deadline",
    "forget_rendered_lines",
    "get_time",
    "in_batch",
    "install",
    "refresh_scrollbars",
    "set_compositor",
    "uses_compositor",
]


# -- the xterm parser ---------------------------------------------------------------------------

def escape_deadline(parser: XTermParser) -> float | None:
    """When a lone Escape the parser holds counts as one (on `get_time`'s clock): the driver
    has no thread of its own to tick the parser, so it schedules the tick for then."""
    return parser._timeout_time


# -- bindings -----------------------------------------------------------------------------------

def binding_table(node: App[Any] | Screen[Any] | Widget) -> dict[str, list[Binding]]:
    """A node's bindings by key, to be replaced in place: Textual shows a binding's description
    as given, and has no public way to change it, so each session writes its own language's
    words there."""
    return node._bindings.key_to_bindings


# -- the compositor -----------------------------------------------------------------------------

class RenderHookCompositor(Compositor):
    """The compositor with its render step as a named hook (`renders`)."""

    def _get_renders(self, crop: Region | None = None
                     ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        # Textual renders every widget of a partial update whole; overriding this private
        # step is the only way to render just the rows in the update's crop.
        return self.renders(crop)

    def renders(self, crop: Region | None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        return super()._get_renders(crop)


def dirty_regions(compositor: Compositor) -> set[Region]:
    """The regions the next partial update paints, to add to or clear: what a terminal
    scroll leaves to draw, or nothing while a screen is covered."""
    return compositor._dirty_regions


def compositor_of(screen: Screen[Any]) -> Compositor:
    return screen._compositor


def set_compositor(screen: Screen[Any], compositor: Compositor) -> None:
    """Textual has no public way to give a screen another compositor."""
    screen._compositor = compositor


def uses_compositor(screen: Screen[Any], kind: type[Compositor]) -> bool:
    return isinstance(compositor_of(screen), kind)


def awaits_repaint(widget: Widget) -> bool:
    """Whether the widget has regions waiting to be repainted (a scroll must not skip them)."""
    return bool(widget._repaint_regions)


def refresh_scrollbars(view: ScrollView) -> None:
    """Have the scrollbars follow a virtual size set without a layout (the message log sets it
    with `set_reactive` so that the whole screen is not laid out for each message)."""
    view._refresh_scrollbars()


def forget_rendered_lines(widget: Widget) -> None:
    """Drop the widget's cache of rendered lines, which is kept by position on screen: after a
    terminal scroll every row the widget shows has moved."""
    widget._styles_cache.clear()


def in_batch(app: App[Any]) -> bool:
    """Within `app.batch_update()` nothing is written, so a terminal scroll would never happen."""
    return app._batch_count > 0


# -- screens and widgets ------------------------------------------------------------------------

class CoverableScreen(Screen[Any]):
    """A screen that does no layout or repaint while `is_covered()`.

    Textual lays out and repaints the screen below the top one into the top one (in case that
    is see-through), with every message and Resize it handles. These three private steps are
    where that happens; a covered screen is laid out and repainted whole when it is on top again.
    """

    def is_covered(self) -> bool:
        return False

    def _compositor_refresh(self) -> None:
        if self.is_covered():
            dirty_regions(compositor_of(self)).clear()
            self._dirty_widgets.clear()
            return
        super()._compositor_refresh()

    def _screen_resized(self, size: Size) -> None:
        if self.is_covered():
            self._layout_required = True
            return
        super()._screen_resized(size)

    def _on_timer_update(self) -> None:
        if self.is_covered():
            self._update_timer.pause()
            return
        super()._on_timer_update()


class ForwardHookInput(Input):
    """An Input told of each event as the app forwards it (`forwarded`), before it is queued:
    the app queues a whole burst of keys on the focused widget before any is handled, and
    only this private step sees them in time to move the focus between them."""

    def forwarded(self, event: events.Event) -> bool:
        """False keeps the event from this widget."""
        return True

    def _forward_event(self, event: events.Event) -> None:
        if self.forwarded(event):
            super()._forward_event(event)


class QuietApp(App[int]):
    """An App that never prints to the process's terminal and hands its crashes to `crashed_on`.

    In a server the process's stderr is the server's, and a traceback may hold other people's
    data in its locals: Textual has no public hook for either.
    """

    def crashed_on(self, error: Exception) -> None:
        """Called once for an unhandled exception, before the app closes."""

    def _print_error_renderables(self) -> None:
        self._exit_renderables.clear()

    def _handle_exception(self, error: Exception) -> None:
        # What Textual's own handler does, less the traceback it renders for the terminal.
        self.crashed_on(error)
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()


def console_ignoring_environment(**options: Any) -> Console:
    """A Rich console that reads nothing from the server's environment (TERM, COLUMNS,
    NO_COLOR, ...): each session follows its own client's terminal. Rich takes the
    environment to read only through a private argument."""
    return Console(_environ={}, **options)


def add_line_filter(app: App[Any], line_filter: LineFilter) -> None:
    """Textual picks an app's filters from the server's environment (NO_COLOR); a session
    follows its own client's terminal, and there is no public way to add one."""
    app._filters.append(line_filter)


# -- process-wide patches -----------------------------------------------------------------------

def _no_redirect(_target: Any) -> nullcontext[None]:
    return nullcontext()


def _render_style(cls: type[Strip], style: Style, text: str, color_system: ColorSystem) -> str:
    ansi = Strip.render_ansi(style, color_system)
    output = f"\x1b[{ansi}m{text}\x1b[0m" if ansi else text
    # Rich keeps a style's hyperlink only in these private fields.
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
    """Idempotent: patches Textual for many apps in one process (see the module's docstring)."""
    textual.app.redirect_stdout = _no_redirect  # type: ignore[assignment]
    textual.app.redirect_stderr = _no_redirect  # type: ignore[assignment]
    Strip.render_style = classmethod(_render_style)  # type: ignore[method-assign,assignment]
    Stylesheet._parse_rules = _parse_rules  # type: ignore[method-assign]
