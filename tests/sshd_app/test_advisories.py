"""One regression test per past SSH advisory that applies to a server built on asyncssh.

- CVE-2023-48795 (Terrapin): the server must offer strict key exchange.
- CVE-2023-46446 (asyncssh "rogue session"): a channel opened before authentication has
  completed must not give a session.
- The unsigned-offer auth bypass (an offered key is not a proof) is covered for password logins
  in test_login.py; here for the second factor, where a key can be a first factor.
"""

from __future__ import annotations

import asyncio
import struct
from datetime import timedelta

import asyncssh
import pyotp
import pytest
from asyncssh.packet import String, UInt32

from sshd_app.auth import WardroomSSHServer
from sshd_app.config import Settings
from store.accounts.roles import Role
from store.accounts.second_factor import new_secret

MSG_KEXINIT, MSG_CHANNEL_OPEN = 20, 90


async def _server_kexinit(port: int) -> list[str]:
    """The server's key exchange algorithms, read from its (unencrypted) KEXINIT."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"SSH-2.0-advisory_test\r\n")
        version = await asyncio.wait_for(reader.readline(), 10)
        assert version.startswith(b"SSH-2.0-")
        length = struct.unpack(">I", await reader.readexactly(4))[0]
        packet = await reader.readexactly(length)
        payload = packet[1:length - packet[0]]
        assert payload[0] == MSG_KEXINIT
        name_list_length = struct.unpack(">I", payload[17:21])[0]
        return payload[21:21 + name_list_length].decode().split(",")
    finally:
        writer.close()


async def test_terrapin_strict_kex_is_offered(wardroom):
    kex = await _server_kexinit(wardroom.port)
    assert "kex-strict-s-v00@openssh.com" in kex
    assert kex[0] == "mlkem768x25519-sha256"


async def test_rogue_session_before_auth_gets_nothing(wardroom, monkeypatch):
    await wardroom.add_account("anna", Role.CLIENT)
    opened: list[str] = []
    real_session_requested = WardroomSSHServer.session_requested

    def counting(self):
        opened.append("session")
        return real_session_requested(self)

    monkeypatch.setattr(WardroomSSHServer, "session_requested", counting)

    class RogueClient(asyncssh.SSHClient):
        def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
            self._conn = conn

        def password_auth_requested(self) -> str:
            # Slip a session channel open in while authentication is still going on.
            self._conn.send_packet(MSG_CHANNEL_OPEN, String(b"session"), UInt32(0),
                                   UInt32(2 * 1024 * 1024), UInt32(32768))
            return "wrong-password!"

    with pytest.raises((asyncssh.Error, ConnectionError)):
        await asyncssh.create_connection(
            RogueClient, "127.0.0.1", wardroom.port, username="anna", known_hosts=None,
            client_keys=None, agent_path=None, preferred_auth="password")
    await asyncio.sleep(0.1)
    assert opened == [] and not wardroom.server.sessions


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.second_factor_required = True
    return settings


async def test_unsigned_or_badly_signed_key_is_no_first_factor(wardroom):
    """A key is never more than a second factor: the password is always asked. A key the
    client cannot sign for counts for nothing: the impostor who knows the code but not the
    password gets nowhere."""
    boss = await wardroom.add_account("boss", Role.ADMIN)
    secret = new_secret()
    await wardroom.services.second_factors.enrol(boss, secret,
                                                 pyotp.TOTP(secret).at(wardroom.clock.now()))
    wardroom.clock.advance(timedelta(seconds=30))
    admin_key = asyncssh.generate_private_key("ssh-ed25519")
    await wardroom.services.public_keys.add(boss, admin_key.export_public_key("openssh").decode())
    impostor = asyncssh.load_keypairs([asyncssh.generate_private_key("ssh-ed25519")])[0]
    impostor.public_data = admin_key.public_data  # claims the admin's key, cannot sign for it
    prompts: list[str] = []
    offered: list[bool] = []

    class Impostor(asyncssh.SSHClient):
        def public_key_auth_requested(self):
            if offered:
                return None
            offered.append(True)
            return impostor

        def kbdint_auth_requested(self) -> str:
            return ""

        def kbdint_challenge_received(self, name, instructions, lang, asked):
            prompts.extend(prompt for prompt, _echo in asked)
            # Knows the admin's current code (shoulder-surfed), not the password.
            return [pyotp.TOTP(secret).at(wardroom.clock.now()) for _ in asked]

    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.create_connection(
            Impostor, "127.0.0.1", wardroom.port, username="boss", known_hosts=None,
            client_keys=None, agent_path=None,
            preferred_auth="publickey,keyboard-interactive")
    assert offered and prompts and all("Code" not in prompt for prompt in prompts), prompts
    assert not any(c.identity.account for c in wardroom.server.connections)
