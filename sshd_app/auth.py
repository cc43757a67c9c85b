"""The per-connection SSH server object: authentication and what a connection may open."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import asyncssh

from sshd_app.session import WardroomSession
from store.accounts import Account
from store.text import sanitize_line

if TYPE_CHECKING:
    from sshd_app.server import WardroomServer

log = logging.getLogger("wardroom.auth")

REGISTER_USER = "register"


class ConnectionIdentity:
    """Who a connection is, bound only when authentication has completed."""

    def __init__(self) -> None:
        self.account: Account | None = None
        self.registering = False


class WardroomSSHServer(asyncssh.SSHServer):
    """One per connection. Identity is bound in auth_completed from the method that succeeded.

    A public key that was merely offered (validate_public_key answers "acceptable" before any
    signature is checked) proves nothing, so it is never recorded as a proof.
    """

    def __init__(self, server: WardroomServer) -> None:
        self._server = server
        self._conn: asyncssh.SSHServerConnection | None = None
        self.identity = ConnectionIdentity()
        self.peer = "?"
        self._failures = 0
        self._password_proof: Account | None = None
        self._register_proof = False

    # -- connection lifecycle -------------------------------------------------------------
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername")
        self.peer = peer[0] if peer else "?"
        self._server.connection_opened(self)

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
        return await self._check_password(username, password)

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str):
        if username == REGISTER_USER and self._server.settings.registration:
            return ("wardroom", "", "", [])
        return ("", "", "", [("Passwort / password: ", False)])

    async def validate_kbdint_response(self, username: str, responses) -> bool:
        if username == REGISTER_USER and self._server.settings.registration:
            self._register_proof = True
            return True
        if len(responses) != 1:
            return await self._fail(username)
        return await self._check_password(username, responses[0])

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Called for the unsigned offer and again for the signed request: grants nothing here.
        openssh = key.export_public_key("openssh").decode()
        return await self._server.services.accounts.key_is_authorized(username, openssh)

    async def _check_password(self, username: str, password: str) -> bool:
        if username == REGISTER_USER and self._server.settings.registration:
            # Registration needs no secret; any password (even empty) opens the form.
            self._register_proof = True
            return True
        account = await self._server.services.accounts.check_password(username, password)
        if account is None:
            return await self._fail(username)
        self._password_proof = account
        return True

    async def _fail(self, username: str) -> bool:
        self._failures += 1
        # One stable line an operator's fail2ban can match; the name is sanitised and cut.
        log.warning("auth failure from %s for user %r", self.peer,
                    sanitize_line(username)[:64])
        if self._failures >= self._server.settings.max_auth_attempts and self._conn:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                  "Too many failed login attempts")
        return False

    async def auth_completed(self) -> None:
        assert self._conn is not None
        username = self._conn.get_extra_info("username")
        if self._password_proof is not None and self._password_proof.username == username:
            self.identity.account = self._password_proof
        elif self._register_proof and username == REGISTER_USER:
            self.identity.registering = True
        else:
            # Neither password nor registration finished auth, so a signed public key did,
            # and it did so for exactly this username.
            self.identity.account = await self._server.services.accounts.by_username(username)
        if self.identity.account is None and not self.identity.registering:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                  "Login failed")
            return
        who = self.identity.account.username if self.identity.account else REGISTER_USER
        log.info("login %s from %s", who, self.peer)
        if self.identity.account is not None and self.identity.account.is_admin:
            await self._server.services.audit.write(who, "staff.login", self.identity.account.id)

    # -- channels ---------------------------------------------------------------------------
    def session_requested(self) -> asyncssh.SSHServerSession:
        return WardroomSession(self._server, self)

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
