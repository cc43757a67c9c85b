"""Every private Textual (and Rich) name in tui/textual_compat.py still exists with the shape used
there; a failure lists each one that moved, one line each."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

from rich.console import Console
from rich.style import Style
from textual.app import App, ComposeResult
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

from tests.library_internals import attribute, importable, keyword, method, moved


def test_private_modules_and_methods():
    from textual._compositor import Compositor
    from textual._xterm_parser import XTermParser

    failures = moved([
        importable("textual._compositor", "ChopsUpdate", "Compositor", "LayoutUpdate"),
        importable("textual._parser", "ParseError"),
        importable("textual._time", "get_time"),
        importable("textual._xterm_parser", "XTermParser"),
        method(XTermParser, "feed", "self", "data"),
        method(XTermParser, "tick", "self"),
        attribute(XTermParser(), "_timeout_time", (float, type(None))),
        method(Compositor, "_get_renders", "self", "crop"),
        method(Screen, "_compositor_refresh", "self"),
        method(Screen, "_screen_resized", "self", "size"),
        method(Screen, "_on_timer_update", "self"),
        method(Input, "_forward_event", "self", "event"),
        method(App, "_print_error_renderables", "self"),
        method(App, "_handle_exception", "self", "error"),
        method(App, "_close_messages_no_wait", "self"),
        method(ScrollView, "_refresh_scrollbars", "self"),
        method(Stylesheet, "_parse_rules", "self", "css", "read_from", "is_default_rules",
               "tie_breaker", "scope"),
        attribute(Stylesheet(), "_variables", dict),
        method(Strip, "render_style", "style", "text", "color_system"),
        method(Strip, "render_ansi", "style", "color_system"),
        attribute(Style(link="https://example.org"), "_link", str),
        attribute(Style(link="https://example.org"), "_link_id", str),
        keyword(Console, "_environ"),
        # App._process_messages looks these up in textual.app's namespace when it runs.
        importable("textual.app", "redirect_stdout", "redirect_stderr"),
        None if "redirect_stdout(" in inspect.getsource(App._process_messages)
        else "App._process_messages: no longer calls redirect_stdout (the patch is moot)",
    ])
    assert not failures, "\n" + failures


class _Probe(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("probe")


async def test_private_state_of_a_running_app():
    from textual._compositor import Compositor

    app = _Probe()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen, widget = app.screen, app.query_one(Static)
        failures = moved([
            attribute(app, "_bindings.key_to_bindings", dict),
            attribute(screen, "_bindings.key_to_bindings", dict),
            attribute(widget, "_bindings.key_to_bindings", dict),
            attribute(app, "_filters", list),
            attribute(app, "_exit_renderables", list),
            attribute(app, "_return_code", (int, type(None))),
            attribute(app, "_exception", (BaseException, type(None))),
            attribute(app, "_exception_event", asyncio.Event),
            attribute(app, "_batch_count", int),
            attribute(screen, "_compositor", Compositor),
            attribute(screen, "_compositor._dirty_regions", set),
            attribute(screen, "_dirty_widgets", set),
            attribute(screen, "_layout_required", bool),
            attribute(screen, "_update_timer", Timer),
            attribute(widget, "_repaint_regions", set),
            attribute(widget, "_styles_cache.clear", Callable),
        ])
    assert not failures, "\n" + failures
