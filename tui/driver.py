"""A Textual driver that draws on an SSH channel instead of the server's own terminal.

Unlike LinuxDriver it installs no signal handlers, touches no termios and starts no threads:
input arrives as bytes from the channel on the event loop and is parsed right there.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from typing import Any, Protocol

from textual import events
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

from tui.console_glyphs import for_terminal
from tui.paste import PasteSplitter
from tui.textual_compat import ParseError, XTermParser, escape_deadline, get_time

log = logging.getLogger(__name__)

# How long an ESC at the end of a chunk waits for the rest of a paste-start marker.
PASTE_START_WAIT = 0.02
# Input events an app may have waiting before more input is dropped. No person types this far
# ahead (a paste is one event); a flood would otherwise queue without bound and keep the shared
# event loop busy for every session (measured: 5,000 random chunks queued 18,700 events).
MAX_QUEUED_EVENTS = 1000


class TerminalPort(Protocol):
    """The session's side of the channel, as the driver needs it."""

    size: tuple[int, int]

    def write(self, data: bytes) -> None: ...

    def attach(self, driver: ChannelDriver) -> None: ...


class ChannelDriver(Driver):
    def __init__(self, app: Any, *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._session_app = app
        self._event_loop = asyncio.get_running_loop()
        self._port: TerminalPort = app.terminal_port
        self._glyphs = for_terminal(app.context.term)
        self._size = self._port.size
        self._parser = XTermParser()
        self._pastes = PasteSplitter()
        self._release: asyncio.TimerHandle | None = None
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        self._input_enabled = False
        self._tick: asyncio.TimerHandle | None = None
        self._port.attach(self)

    @property
    def can_suspend(self) -> bool:
        return False

    def send_message(self, message: Message) -> None:
        # Already on the app's loop: post directly instead of via run_coroutine_threadsafe.
        self._session_app.post_message(message)

    def write(self, data: str) -> None:
        if self._glyphs is not None:
            data = data.translate(self._glyphs)
        self._port.write(data.encode("utf-8", errors="replace"))

    def flush(self) -> None:
        """Writes go straight to the channel, which buffers them."""

    def start_application_mode(self) -> None:
        self.write(
            "\x1b[?1049h"  # alternate screen
            "\x1b[?25l"  # hide cursor
            "\x1b[?1000h\x1b[?1006h"  # clicks and wheel only: no motion reports (idle CPU)
            "\x1b[?2004h"  # bracketed paste
            "\x1b[?7l"  # no line wrap
        )
        self._input_enabled = True
        self._send_resize()

    def disable_input(self) -> None:
        self._input_enabled = False
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if self._release is not None:
            self._release.cancel()
            self._release = None

    def stop_application_mode(self) -> None:
        self.disable_input()
        self.write(
            "\x1b[?1000l\x1b[?1006l"
            "\x1b[?2004l"
            "\x1b[?7h"
            "\x1b[?1049l"  # back to the normal screen the user had before
            "\x1b[?25h"
            "\x1b[0m"
        )

    def open_url(self, url: str, new_tab: bool = True) -> None:
        """Never open anything on the server."""

    def deliver_binary(self, *args: Any, **kwargs: Any) -> None:
        """Never write files on the server for a session."""

    # -- called by the session ------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if not self._input_enabled:
            return
        if self._session_app.message_queue_size > MAX_QUEUED_EVENTS:
            return
        text = self._decode(data)
        if not text:
            return
        try:
            for piece in self._pastes.feed(text):
                if isinstance(piece, events.Paste):
                    self.process_message(piece)
                    continue
                for event in self._parser.feed(piece):
                    self.process_message(event)
        except ParseError:
            log.debug("unparseable input dropped")
            self._parser = XTermParser()
        if self._pastes.holding and self._release is None:
            self._release = self._event_loop.call_later(PASTE_START_WAIT, self._release_held)
        self._schedule_tick()

    def _release_held(self) -> None:
        self._release = None
        if self._input_enabled and self._pastes.holding:
            for event in self._parser.feed(self._pastes.release()):
                self.process_message(event)
            self._schedule_tick()

    def resize(self, width: int, height: int) -> None:
        self._size = (width, height)
        if self._input_enabled:
            self._send_resize()

    def _send_resize(self) -> None:
        width, height = self._size
        size = Size(width, height)
        self.send_message(events.Resize(size, size))

    def _schedule_tick(self) -> None:
        """A lone Escape is only known to be one after the parser's timeout: tick then."""
        deadline = escape_deadline(self._parser)
        if deadline is None or self._tick is not None:
            return
        self._tick = self._event_loop.call_later(max(deadline - get_time(), 0) + 0.005,
                                                 self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        if not self._input_enabled:
            return
        for event in self._parser.tick():
            self.process_message(event)
        self._schedule_tick()
