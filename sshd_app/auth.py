"""The per-connection SSH server object: authentication and what a connection may open."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncssh

from sshd_app.asyncssh_compat import PublicKeyCheck, wrap_public_key_check
from sshd_app.edge_texts import in_both_languages
from sshd_app.proxy_front import client_peer
from sshd_app.server import USER_SIGNATURE_ALGS
from sshd_app.session import WardroomSession
from store.accounts.accounts import Account, Login
from store.accounts.second_factor import second_factor_required
from store.sealing.keyring import Keyring

if TYPE_CHECKING:
    from sshd_app.server import WardroomServer

log = logging.getLogger("wardroom.auth")

REGISTER_USER = "register"
CODE_CHALLENGE = ("wardroom", "Zweiter Faktor / second factor", "",
                  [("Code (App oder Wiederherstellungscode / app or recovery code): ", False)])


def _signature_algorithm(signature: bytes) -> bytes:
    """The algorithm name an SSH signature blob starts with (an SSH string), or b""."""
    if len(signature) < 4:
        return b""
    length = int.from_bytes(signature[:4], "big")
    return signature[4:4 + length]


class ConnectionIdentity:
    """Who a connection is, bound only when authentication has completed."""

    def __init__(self) -> None:
        self.account: Account | None = None
        # Opened by the password at login; only these open the account's rooms.
        self.keys: Keyring | None = None
        self.registering = False
        # A counsellor or staff account without a second factor yet: enrolment comes first.
        self.must_enrol_second_factor = False


class WardroomSSHServer(asyncssh.SSHServer):
    """One per connection. Identity is bound in auth_completed from the method that succeeded.

    A public key that was merely offered (validate_public_key answers "acceptable" before any
    signature is checked) proves nothing, so it is never recorded as a proof.

    Every proof is recorded before asyncssh sends "success", and auth_completed binds it before
    its first await: the client may open its session channel the moment it reads "success",
    and that session must find the identity complete.
    """

    def __init__(self, server: WardroomServer) -> None:
        self._server = server
        self._conn: asyncssh.SSHServerConnection | None = None
        self.identity = ConnectionIdentity()
        self.peer = "?"
        # Names this connection in the server log instead of the person: random, and written
        # nowhere else (not the statistics' visit id), so the log joins to no account.
        self.log_id = secrets.token_hex(4)
        self._peername: tuple[Any, ...] = ("?", 0)
        self._failures = 0
        self._proof: Login | None = None
        self._proof_has_second_factor = False
        # A registered key whose signature checked out: a second factor, never a login alone
        # (no secret reaches the server with it, so it could open no room).
        self._key_proof: str | None = None
        # Password passed for this account; the code is next.
        self._awaiting_code: Login | None = None
        self._register_proof = False
        self.sessions: set[WardroomSession] = set()  # open session channels
        self.interactive: WardroomSession | None = None  # the one running the TUI, if any
        self.idle_since: datetime = server.services.clock.now()  # for the visitor's idle limit

    # -- connection lifecycle -------------------------------------------------------------
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._peername = client_peer(conn)
        self.peer = self._peername[0]
        self._server.connection_opened(self)
        self._hold_signed_keys_for_code(conn)

    def _hold_signed_keys_for_code(self, conn: asyncssh.SSHServerConnection) -> None:
        """Record a verified key as a second factor, and answer it with "failure".

        asyncssh has no "partial success", and its SSHServer callbacks cannot tell the signed
        request from the mere offer. This wraps the connection's own check, which sees the
        signature's result. A valid signature is answered with "failure" whatever the account,
        so the client goes on to the password (password or keyboard-interactive), which then
        counts the key as its second factor. Should asyncssh stop calling this, keys are simply
        never counted (closed).
        """

        def wrap(check: PublicKeyCheck) -> PublicKeyCheck:
            async def validate(username: str, key_data: bytes, msg: bytes,
                               signature: bytes) -> bool:
                if msg and _signature_algorithm(signature) not in USER_SIGNATURE_ALGS:
                    # asyncssh checks any signature the key type can make, SHA-1 `ssh-rsa` too.
                    return False
                valid = await check(username, key_data, msg, signature)
                if not msg:
                    return valid  # the offer: "acceptable", so the client signs
                if valid:
                    self._key_proof = username
                return False

            return validate

        wrap_public_key_check(conn, wrap)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connection_closed(self)

    # -- authentication -------------------------------------------------------------------
    def begin_auth(self, username: str) -> bool:
        # True means "authentication is required"; False would let anyone in.
        return True

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        if username == REGISTER_USER and self._server.settings.registration:
            # Registration needs no secret; any password (even empty) opens the form.
            self._register_proof = True
            return True
        login = await self._first_factor(username, password)
        if login is None:
            return False
        if self._key_proof == username:
            self._proven(login, has_second_factor=True)
            return True
        if await self._has_second_factor(login.account):
            # The password method cannot ask for a code: refused like a wrong password, and
            # keyboard-interactive (which can) remains.
            return await self._fail(username)
        if await self._needs_key(login.account):
            return await self._fail(username)
        self._proven(login, has_second_factor=False)
        return True

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str):
        if username == REGISTER_USER and self._server.settings.registration:
            return ("wardroom", "", "", [])
        if self._awaiting_code is not None and self._awaiting_code.account.username == username:
            return CODE_CHALLENGE
        return ("", "", "", [("Passwort / password: ", False)])

    async def validate_kbdint_response(self, username: str, responses) -> bool:
        if username == REGISTER_USER and self._server.settings.registration:
            self._register_proof = True
            return True
        if len(responses) != 1:
            return await self._fail(username)
        if self._awaiting_code is not None and self._awaiting_code.account.username == username:
            return await self._second_factor(self._awaiting_code, responses[0])
        login = await self._first_factor(username, responses[0])
        if login is None:
            return False
        if self._key_proof == username:
            self._proven(login, has_second_factor=True)
            return True
        if await self._has_second_factor(login.account):
            self._awaiting_code = login
            return CODE_CHALLENGE  # type: ignore[return-value]
        if await self._needs_key(login.account):
            return await self._fail(username)
        self._proven(login, has_second_factor=False)
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Called for the unsigned offer and again for the signed request: grants nothing here.
        openssh = key.export_public_key("openssh").decode()
        return await self._server.services.public_keys.is_authorized(username, openssh)

    async def _first_factor(self, username: str, password: str) -> Login | None:
        await self._wait_out_address_failures()
        async with self._server.login_turns.turn(username):
            login = await self._server.services.accounts.authenticate(username, password)
            if login is None:
                await self._fail(username)
        return login

    async def _second_factor(self, login: Login, code: str) -> bool:
        # Codes take the account's turns too: a wrong one counts like a wrong password.
        await self._wait_out_address_failures()
        async with self._server.login_turns.turn(login.account.username):
            if await self._server.services.second_factors.verify(login.account, code,
                                                                 login.keys):
                self._proven(login, has_second_factor=True)
                return True
            return await self._fail(login.account.username)

    def _proven(self, login: Login, *, has_second_factor: bool) -> None:
        self._proof = login
        self._proof_has_second_factor = has_second_factor

    async def _has_second_factor(self, account: Account) -> bool:
        return await self._server.services.second_factors.is_enrolled(account.id)

    async def _needs_key(self, account: Account) -> bool:
        """An account with registered keys (and no TOTP) logs in with key and password."""
        return await self._server.services.public_keys.has_any(account.id)

    async def _wait_out_address_failures(self) -> None:
        """Earlier failures from this address make each of its attempts wait (never refuse);
        the account's delay comes with its turn."""
        delay = self._server.login_throttle.address_delay(self.peer)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _fail(self, username: str) -> bool:
        self._failures += 1
        self._server.login_throttle.failed(self.peer, username)
        # One stable line an operator's fail2ban can match. The name tried is left out: it is
        # often a real person's name, or a password typed into the wrong field.
        log.warning("auth failure from %s", self.peer)
        if self._failures >= self._server.settings.max_auth_attempts and self._conn:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                  in_both_languages("edge.too_many_failures"))
        return False

    async def auth_completed(self) -> None:
        assert self._conn is not None
        username = self._conn.get_extra_info("username")
        # The proof is for exactly the username that authenticated, whichever method gave it.
        if self._proof is not None and self._proof.account.username == username:
            account = self.identity.account = self._proof.account
            self.identity.keys = self._proof.keys
            self.identity.must_enrol_second_factor = (
                self._server.settings.second_factor_required
                and second_factor_required(account.role)
                and not self._proof_has_second_factor)
        elif self._register_proof and username == REGISTER_USER:
            self.identity.registering = True
        else:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                  "Login failed")
            return
        if self.identity.registering:
            # A visitor counts as a login still pending until an account exists
            # (registered()), so one address cannot hold more forms open than logins.
            self.idle_since = self._server.services.clock.now()
        else:
            self._server.gate.release(self._peername)
        if self.identity.account is not None:
            self._server.login_throttle.succeeded(self.peer, self.identity.account.username)
        who = self.identity.account.username if self.identity.account else REGISTER_USER
        role = self.identity.account.role.value if self.identity.account else REGISTER_USER
        log.info("login %s, connection %s", role, self.log_id)
        if self.identity.account is not None:
            await self._server.services.accounts.note_login(self.identity.account.id)
        if self.identity.account is not None and self.identity.account.is_admin:
            await self._server.services.audit.write(who, "staff.login", self.identity.account.id)

    # -- channels ---------------------------------------------------------------------------
    def session_requested(self) -> asyncssh.SSHServerSession | bool:
        if self.identity.registering and self.sessions:
            return False  # a visitor has one form; each further channel would cost memory
        return WardroomSession(self._server, self)

    def claim_interactive(self, session: WardroomSession) -> bool:
        """One interactive session per connection: True if `session` may run the TUI."""
        if self.interactive is not None and self.interactive is not session:
            return False
        self.interactive = session
        return True

    def session_closed(self, session: WardroomSession) -> None:
        self.sessions.discard(session)
        if self.interactive is session:
            self.interactive = None
        self.idle_since = self._server.services.clock.now()

    def registered(self) -> None:
        """The visitor made an account: no longer a pending login."""
        self._server.gate.release(self._peername)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str,
                             orig_port: int) -> bool:
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        return False

    def close_connection(self, reason: str) -> None:
        if self._conn is not None:
            self._conn.disconnect(asyncssh.DISC_BY_APPLICATION, reason)
