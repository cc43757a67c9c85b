"""The running wardroom server: listens, owns the sessions, shuts down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import asyncssh

from sshd_app import kex_guess
from sshd_app.config import Settings
from sshd_app.connection_gate import ConnectionGate, GatedListener
from sshd_app.host_keys import ensure_host_keys
from sshd_app.idle_watch import IdleWatch
from sshd_app.login_throttle import LoginThrottle
from sshd_app.login_turns import LoginTurns, TurnKeeper
from sshd_app.proxy_protocol import TrustedProxies
from sshd_app.registration_limit import RegistrationLimit
from sshd_app.schedules import Schedules
from store.services import Services
from tui import textual_compat

if TYPE_CHECKING:
    from sshd_app.auth import WardroomSSHServer
    from sshd_app.session import WardroomSession

log = logging.getLogger("wardroom.server")

# Post-quantum hybrid first; curve25519 only for clients older than OpenSSH 9.9.
KEX_PQ = ("mlkem768x25519-sha256",)
KEX_COMPAT = ("curve25519-sha256", "curve25519-sha256@libssh.org")
CIPHERS = ("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
           "aes256-ctr", "aes192-ctr", "aes128-ctr")
MACS = ("hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com")
RSA_HOST_KEY_ALGS = (b"rsa-sha2-512", b"rsa-sha2-256")
# What user keys may sign with (and what server-sig-algs announces): never SHA-1 `ssh-rsa`.
USER_SIGNATURE_ALGS = (b"ssh-ed25519", b"rsa-sha2-512", b"rsa-sha2-256")
# The identification line names neither the library nor its version.
SERVER_VERSION = "wardroom"
SHUTDOWN_GRACE_SECONDS = 3.0


def install_library_patches() -> None:
    """Process-wide patches, installed by `serve`, each worker and the test fixtures before the
    first connection, never by importing: dbclient guesses its key exchange and asyncssh would
    judge that guess wrongly (kex_guess.py); Textual assumes one app owns the process
    (tui/textual_compat.py)."""
    kex_guess.install()
    textual_compat.install()


def stop_requested() -> asyncio.Event:
    """Set by SIGTERM or SIGINT: the server then stops the way `stop` describes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _host_keypairs(keys: list[asyncssh.SSHKey]) -> list[asyncssh.SSHKeyPair]:
    """Load the keys as key pairs; the RSA one is never offered as SHA-1 `ssh-rsa`."""
    pairs = list(asyncssh.load_keypairs(keys))
    for pair in pairs:
        if pair.algorithm == b"ssh-rsa":
            pair.host_key_algorithms = RSA_HOST_KEY_ALGS  # type: ignore[misc]
            pair.sig_algorithms = RSA_HOST_KEY_ALGS  # type: ignore[misc]
    return pairs


class WardroomServer:
    """`worker`: this server's number under `serve --workers N` (it shares the port with the
    other workers, and the parent runs the schedules); None when it is the only process."""

    def __init__(self, settings: Settings, services: Services,
                 worker: int | None = None) -> None:
        self.settings = settings
        self.services = services
        self.worker = worker
        self.sessions: set[WardroomSession] = set()
        self.connections: set[WardroomSSHServer] = set()
        # Counted together with every other worker's, through the hub.
        self.registrations = RegistrationLimit(services.clock, hub=services.hub)
        self.login_throttle = LoginThrottle(hub=services.hub)
        self.login_turns = LoginTurns(services.hub)
        # The turns of every worker are granted by one keeper: here, unless this is one of
        # the workers of `serve --workers N`, whose parent keeps them (sshd_app.workers).
        self.turn_keeper = (TurnKeeper(services.hub, self.login_throttle)
                            if worker is None else None)
        self.idle_watch = IdleWatch(self.sessions, services.clock,
                                    timedelta(minutes=settings.idle_lock_minutes),
                                    timedelta(minutes=settings.idle_logout_minutes),
                                    self.connections)
        self.gate = ConnectionGate(settings.connection_rate_per_address,
                                   settings.max_pending_logins_per_address, hub=services.hub)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.schedules: Schedules | None = None

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return self._acceptor.get_port()

    async def start(self) -> None:
        from sshd_app.auth import WardroomSSHServer

        if self.worker is None:
            # Checked before anything listens: bad backup settings stop the start (ConfigError).
            self.schedules = Schedules(self.settings, self.services)

        keys = ensure_host_keys(Path(self.settings.host_keys))
        kex = KEX_PQ if self.settings.pq_only else KEX_PQ + KEX_COMPAT
        self._acceptor = await asyncssh.create_server(
            lambda: WardroomSSHServer(self),
            self.settings.host,
            self.settings.port,
            # wardroom listens itself, so the gate refuses a flood before any key exchange.
            tunnel=GatedListener(self.gate, TrustedProxies(self.settings.trusted_proxies),
                                 reuse_port=self.worker is not None),
            server_host_keys=_host_keypairs(keys),
            kex_algs=list(kex),
            encryption_algs=list(CIPHERS),
            mac_algs=list(MACS),
            compression_algs=["none"],
            signature_algs=[alg.decode() for alg in USER_SIGNATURE_ALGS],
            server_version=SERVER_VERSION,
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            sftp_factory=None,
            login_timeout=self.settings.login_timeout_seconds,
            keepalive_interval=60,
            keepalive_count_max=3,
        )
        self.idle_watch.start()
        if self.schedules is not None:
            self.schedules.start()
            log.info("listening on %s:%d", self.settings.host, self.port)
        else:
            log.info("worker %d serving on %s:%d", self.worker, self.settings.host, self.port)

    def connection_opened(self, connection: WardroomSSHServer) -> None:
        self.connections.add(connection)

    def connection_closed(self, connection: WardroomSSHServer) -> None:
        self.connections.discard(connection)

    async def stop(self) -> None:
        """Stop accepting, tell everyone, end sessions, close connections, flush the db."""
        if self._acceptor is not None:
            self._acceptor.close()
        if self.schedules is not None:
            await self.schedules.stop()
        await self.idle_watch.stop()
        for session in list(self.sessions):
            session.end("session.shutdown")
        running = [s.task for s in self.sessions if s.task is not None]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        for connection in list(self.connections):
            connection.close_connection("Server shutting down")
        if self._acceptor is not None:
            await self._acceptor.wait_closed()
        await asyncio.sleep(0.1)
        log.info("stopped")
