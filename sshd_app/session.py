"""One SSH session channel: a pty shell runs the TUI, an exec runs a command, else refused."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING

import asyncssh

from sshd_app.exec_router import ExecIO, run_exec
from sshd_app.terminal import TerminalInfo, accepted_env, clamp_size
from tui.app import WardroomApp
from tui.context import SessionContext
from tui.driver import ChannelDriver
from tui.i18n import DEFAULT_LANGUAGE, Translator

if TYPE_CHECKING:
    from sshd_app.auth import WardroomSSHServer
    from sshd_app.server import WardroomServer

log = logging.getLogger(__name__)

# A client that stops reading is cut off once this much output waits for it.
WRITE_BUFFER_LIMIT = 1024 * 1024


class WardroomSession(asyncssh.SSHServerSession):
    def __init__(self, server: WardroomServer, connection: WardroomSSHServer) -> None:
        self._server = server
        self._connection = connection
        self._chan: asyncssh.SSHServerChannel | None = None
        self._terminal: TerminalInfo | None = None
        self._command: str | None = None
        self.task: asyncio.Task[None] | None = None
        self._driver: ChannelDriver | None = None
        self._pending_input: list[bytes] = []
        self._stdin: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._closed = False
        self.app: WardroomApp | None = None
        self._leaving: asyncio.Task[None] | None = None  # the app ending after the client went
        self.size: tuple[int, int] = (80, 24)
        self.last_input = server.services.clock.now()  # read by the server's idle sweep
        self._writable = asyncio.Event()  # cleared while the client has not read enough
        self._writable.set()
        self._t = Translator(DEFAULT_LANGUAGE)  # the client's language, once its env is known

    # -- asyncssh callbacks ---------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan
        self._connection.sessions.add(self)

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: object) -> bool:
        self.size = clamp_size(term_size[0], term_size[1])
        self._terminal = TerminalInfo(term=term_type or "", size=self.size)
        return True

    def shell_requested(self) -> bool:
        # One interactive session per connection: each TUI holds a whole app in memory.
        return self._connection.claim_interactive(self)

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused subsystem request %r", subsystem[:32])
        return False

    def session_started(self) -> None:
        assert self._chan is not None
        env = accepted_env(dict(self._chan.get_environment()))
        # German unless the client's LANG asks for English, as in the TUI.
        self._t = Translator(TerminalInfo(env=env).language or DEFAULT_LANGUAGE)
        if self._command is not None:
            self.task = asyncio.create_task(self._run_command(self._command))
        elif self._terminal is not None:
            self._terminal.env = env
            self.task = asyncio.create_task(self._run_tui(self._terminal))
        else:
            self._chan.write_stderr(f"{self._t('edge.no_pty')}\n".encode())
            self._chan.exit(2)

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self._command is not None:
            self._stdin.put_nowait(data)
        elif self._driver is not None:
            self.last_input = self._server.services.clock.now()
            self._driver.feed(data)
        elif len(self._pending_input) < 256:
            self._pending_input.append(data)

    def eof_received(self) -> bool:
        self._stdin.put_nowait(None)
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        self.size = clamp_size(width, height)
        if self._driver is not None:
            self._driver.resize(*self.size)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection.session_closed(self)
        self._abandon()

    def _abandon(self) -> None:
        """The client is gone (or cut off): stop the app without writing to it any more."""
        self._closed = True
        if self.app is not None and self.app.is_running and self._leaving is None:
            self._leaving = asyncio.create_task(self.app.leave_after_input())
        if self.task is not None and not self.task.done():
            # Give the app a moment to unwind cleanly, then cancel whatever is left.
            asyncio.get_running_loop().call_later(2.0, self.task.cancel)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def drain(self) -> None:
        """Wait until the client has read enough: long exec output (an export) keeps pace
        with its reader instead of piling up until the write-buffer limit cuts it off."""
        await self._writable.wait()

    # -- TerminalPort, used by the driver ---------------------------------------------------
    def attach(self, driver: ChannelDriver) -> None:
        self._driver = driver
        pending, self._pending_input = self._pending_input, []
        for chunk in pending:
            driver.feed(chunk)

    def write(self, data: bytes) -> None:
        chan = self._chan
        if self._closed or chan is None or chan.is_closing():
            return
        if chan.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            log.warning("client stopped reading; closing its session")
            chan.close()
            self._abandon()
            return
        chan.write(data)

    # -- the two kinds of session -----------------------------------------------------------
    async def _run_tui(self, terminal: TerminalInfo) -> None:
        identity = self._connection.identity
        context = SessionContext(
            services=self._server.services,
            account=identity.account,
            keys=identity.keys,
            color_system=terminal.color_system,
            term=terminal.term,
            language_hint=terminal.language,
            registration_open=self._server.settings.registration,
            public_address=self._server.settings.ssh_address,
            must_enrol_second_factor=identity.must_enrol_second_factor,
            claim_registration=(partial(self._server.registrations.claim, self._connection.peer)
                                if identity.registering else None),
            registered=self._connection.registered if identity.registering else None,
        )
        app = self.app = WardroomApp(context, port=self)
        self._server.sessions.add(self)
        status = 0
        try:
            await app.run_async()
            status = 1 if app.crashed else 0
        except asyncio.CancelledError:
            status = 1
        except Exception:
            log.exception("session failed")
            app.crashed = True
            status = 1
        finally:
            self._server.sessions.discard(self)
            self._driver = None
        self._finish(status, app.t("session.crashed") if app.crashed else app.farewell)

    async def _run_command(self, command: str) -> None:
        assert self._chan is not None
        chan = self._chan
        io = ExecIO(stdin=self._stdin, write=self._write_text,
                    write_error=lambda text: chan.write_stderr(text.encode("utf-8")),
                    drain=self.drain, t=self._t)
        try:
            status = await run_exec(command, self._connection.identity, self._server, io)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("command failed")
            io.write_error("wardroom: internal error; nothing was changed.\n")
            status = 1
        self._finish(status, None)

    def _write_text(self, text: str) -> None:
        self.write(text.encode("utf-8"))

    def _finish(self, status: int, message: str | None) -> None:
        chan = self._chan
        if chan is None or self._closed or chan.is_closing():
            return
        if message:
            chan.write(("\r\n" + message + "\r\n").encode("utf-8"))
        chan.exit(status)

    def end(self, reason_key: str) -> None:
        """End this session from outside (shutdown, erasure): the user is told why."""
        if self.app is not None and self.app.is_running:
            self.app.end_session(reason_key)
        elif self._chan is not None and not self._chan.is_closing():
            self._chan.close()
