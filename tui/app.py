"""WardroomApp: the Textual app of one SSH session."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from textual.binding import Binding
from textual.filter import NoColor
from textual.message_pump import MessagePump

from store.accounts.roles import Role
from store.hub.hub import AccountClosed, Subscription, account_topic
from tui.context import SessionContext
from tui.driver import ChannelDriver, TerminalPort
from tui.i18n import Translator, translate_bindings
from tui.key_names import key_name
from tui.textual_compat import QuietApp, add_line_filter, console_ignoring_environment

log = logging.getLogger(__name__)


# How many times a client's last input is followed through the app's queues when it goes, and
# for how long at most (the session cancels what is left after 2 s, sshd_app/session.py).
SETTLE_ROUNDS = 3
SETTLE_SECONDS = 1.5


async def _handled_so_far(pump: MessagePump) -> None:
    """Return once `pump` has handled every message it had when this was called."""
    handled = asyncio.Event()
    if pump.call_later(handled.set):
        await handled.wait()


# The CSS variables of each theme, generated once per process: every session starts with the
# same theme, and generating them (a few hundred colours) was part of every login and kept a
# copy in every session.
_css_variables: dict[str, dict[str, str]] = {}


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class WardroomApp(QuietApp):
    CSS_PATH = "wardroom.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "wardroom"
    BINDINGS = [
        Binding("ctrl+q", "logout", "key.logout", priority=True),
        Binding("f1", "help", "help.key", priority=True),
        Binding("f2", "notice", "key.notice", priority=True),
        # Not a priority binding: a focused text field takes "?" as a character first.
        Binding("question_mark", "help", "help.key", show=False),
        # The terminal convention for "my screen is garbled": paint everything again.
        Binding("ctrl+l", "redraw", show=False, priority=True),
    ]

    def __init__(self, context: SessionContext, port: TerminalPort) -> None:
        self.terminal_port = port
        super().__init__(driver_class=ChannelDriver)
        self.context = context
        self.t = Translator(context.language)
        self.crashed = False
        self.farewell: str | None = None  # written to the terminal by the session after exit
        self.locked_at: datetime | None = None  # set by the idle lock until the password is typed
        self.unlock_failures = 0  # wrong passwords at this lock, whichever lock screen took them
        self._rearranging = False  # close_screen is taking screens off; it re-locks after
        self._account_events: Subscription | None = None
        # The console Textual builds reads the *server's* environment; each session gets
        # one that follows its own client's terminal instead.
        self.console = console_ignoring_environment(
            color_system=context.color_system or "standard",
            file=_Discard(),
            markup=False,
            highlight=False,
            emoji=False,
            legacy_windows=False,
            force_terminal=True,
            safe_box=False,
            soft_wrap=False,
        )
        self.no_color = context.color_system is None
        if self.no_color:
            add_line_filter(self, NoColor())
        translate_bindings(self, self.t)

    def get_css_variables(self) -> dict[str, str]:
        theme = self.current_theme.name
        variables = _css_variables.get(theme)
        if variables is None:
            variables = _css_variables[theme] = super().get_css_variables()
        self.theme_variables = variables
        return variables

    @property
    def services(self):
        return self.context.services

    async def on_mount(self) -> None:
        # Immediate: inside the push or pop that changed the stack, so the lock is back on
        # top before anything beneath it is painted.
        self.screen_change_signal.subscribe(self, self._keep_lock_on_top, immediate=True)
        if self.context.account is not None:
            self.follow_account()
            if self.context.keys is not None:
                # Rooms from before sealing are sealed now; the other participant's first key
                # pair gets its copies (a reset one waits for this person's yes in the room).
                await self.services.rooms.settle(self.context.account, self.context.keys)
        self.push_screen(await self.first_screen())

    def follow_account(self) -> None:
        """Listen for the session's account being erased or disabled elsewhere (TUI, admin
        command): then every session of it ends at once. Called at login, or on registering."""
        account = self.context.account
        assert account is not None
        if self._account_events is not None:
            self._account_events.cancel()
        self._account_events = self.services.hub.subscribe(account_topic(account.id),
                                                           self._on_account_event)

    def on_unmount(self) -> None:
        if self._account_events is not None:
            self._account_events.cancel()

    def _on_account_event(self, event: object) -> None:
        if isinstance(event, AccountClosed):
            key = f"session.{event.reason}"
            self.end_session(key if self.t.has(key) else "session.ended")

    async def first_screen(self) -> Any:
        """The next gate still to pass, else home; gates call it again once passed."""
        from tui.screens.consent import ConsentScreen
        from tui.screens.password_change import PasswordChangeScreen
        from tui.screens.register import RegisterScreen

        account = self.context.account
        if account is None:
            return RegisterScreen()
        # Consent comes before anything else, so no screen with data opens without it.
        pending = await self.services.policy.pending_for(account)
        if pending is not None:
            return ConsentScreen(pending)
        if account is not None and account.must_change_password:
            return PasswordChangeScreen(forced=True)
        recovery_gate = await self._recovery_gate()
        if recovery_gate is not None:
            return recovery_gate
        if self.context.must_enrol_second_factor:
            from tui.screens.totp_setup import TotpSetupScreen

            return TotpSetupScreen(forced=True)
        return self.home_screen()

    async def _recovery_gate(self) -> Any:
        """After a reset by staff: the offer to reopen earlier rooms with the recovery code;
        then a recovery code never shown yet (a new account, or the reset's new one)."""
        from tui.screens.recovery import RecoveryScreen
        from tui.screens.recovery_code import RecoveryCodeScreen

        account, keys = self.context.account, self.context.keys
        if account is None or keys is None:
            return None
        account_keys = self.services.account_keys
        if not self.context.recovery_offered:
            reset_on = await account_keys.reset_on(account.id)
            if (reset_on is not None and await account_keys.can_recover(account.id)
                    and await self.services.rooms.locked(account, keys)):
                return RecoveryScreen(gate=True, reset_on=reset_on)
        code = await account_keys.unshown_recovery_code(keys)
        if code is not None:
            return RecoveryCodeScreen(code, gate=True)
        return None

    def home_screen(self) -> Any:
        from tui.screens.admin_home import AdminHomeScreen
        from tui.screens.client_home import ClientHomeScreen
        from tui.screens.counsellor_home import CounsellorHomeScreen

        account = self.context.account
        assert account is not None
        return {
            Role.CLIENT: ClientHomeScreen,
            Role.COUNSELLOR: CounsellorHomeScreen,
            Role.ADMIN: AdminHomeScreen,
        }[account.role]()

    def get_key_display(self, binding: Binding) -> str:
        # Footers and help name keys in the session's language, as printed on the keyboard.
        return binding.key_display or key_name(binding.key, self.t)

    def action_logout(self) -> None:
        self.exit(0)

    def action_redraw(self) -> None:
        self.screen.refresh(layout=True)

    def action_help(self) -> None:
        """Help about the screen in front; pressed again on the help, it closes."""
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen.about(self.screen))

    def action_security(self) -> None:
        """Access & security: password, recovery code, SSH keys (from the homes and profile)."""
        from tui.screens.security import SecurityScreen

        if not isinstance(self.screen, SecurityScreen):
            self.push_screen(SecurityScreen())

    def action_notice(self) -> None:
        from tui.screens.notice import NoticeScreen

        if not isinstance(self.screen, NoticeScreen):
            self.push_screen(NoticeScreen())

    async def leave_after_input(self) -> None:
        """The client is gone: first handle the input that reached the server before it went
        (a message sent with Enter just before the terminal closed is stored), then end."""
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                # A key travels app -> screen -> focused widget, which posts to itself what
                # it means (Send), which bubbles to the screen, whose handler stores it: one
                # round through these queues per hop, each waiting for what came before.
                for _ in range(SETTLE_ROUNDS):
                    screen = self.screen_stack[-1] if self.screen_stack else None
                    for pump in (self, screen, screen and screen.focused):
                        if pump is not None:
                            await _handled_so_far(pump)
        except TimeoutError:
            log.info("input left unhandled when the client went")
        finally:
            self.exit(0)

    def end_session(self, reason_key: str) -> None:
        """Close the session from outside (shutdown, erasure): say why, then exit."""
        self.farewell = self.t(reason_key)
        self.exit(0)

    def lock(self, at: datetime) -> None:
        """Idle too long: the lock screen covers everything. (A visitor, who has nothing to
        unlock, is never locked: the SSH edge's idle watch ends its session instead.)"""
        from tui.screens.lock import LockScreen

        if self.locked_at is not None or self.context.account is None:
            return
        self.locked_at = at
        self.unlock_failures = 0
        self.push_screen(LockScreen())

    def _keep_lock_on_top(self, _active: object = None) -> None:
        """While locked, only the lock (or help and the notice opened over it) may be in front,
        whatever changed the screens: a room closed by booking end, a hub event, a gate."""
        from tui.screens.lock import LockScreen, shows_over_lock

        if self.locked_at is None or self._rearranging:
            return
        top = self.screen
        if isinstance(top, LockScreen):
            return
        below = [s for s in self.screen_stack if isinstance(s, LockScreen)]
        if below and shows_over_lock(top):
            return
        for lock in below:
            lock.superseded = True
        self.push_screen(LockScreen())

    def close_screen(self, screen: Any, result: object = None) -> None:
        """Take `screen` and every screen above it off the stack (access to it has ended);
        an idle lock among them is back on top before anything is painted."""
        self._rearranging = True
        try:
            while self.screen is not screen and screen in self.screen_stack:
                self.pop_screen()
            screen.dismiss(result)
        finally:
            self._rearranging = False
        self._keep_lock_on_top()

    def crashed_on(self, error: Exception) -> None:
        # The traceback goes to the server log, never to a screen (it may hold other
        # people's data in its locals); the user gets a short message from the session.
        log.error("session app crashed", exc_info=error)
        self.crashed = True
