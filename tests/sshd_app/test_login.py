"""Logging in over real SSH: passwords, keys, refusals, and the identity that gets bound."""

from __future__ import annotations

import asyncio
import re

import asyncssh
import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import connect, run_command


async def _refused(port: int, username: str, password: str) -> str:
    with pytest.raises(asyncssh.PermissionDenied) as caught:
        await connect(port, username, password)
    return caught.value.reason


async def test_wrong_password_is_refused(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    await _refused(wardroom.port, "anna", "not-the-password")


async def test_unknown_user_gets_no_session(wardroom):
    await _refused(wardroom.port, "nobody-here", PASSWORD)
    assert not wardroom.server.sessions


@pytest.mark.parametrize("username", [
    # (Full-width "ａｎｎａ" is folded to "anna" by SSH's SASLprep and then needs anna's
    # password like any login as anna; upper-case forms stay distinct and are refused.)
    "x" * 300, "../etc/passwd", "ＡＮＮＡ", "an na", "a;b", "anna'--", "Anna",
])
async def test_hostile_usernames_get_the_same_refusal(wardroom, username):
    await wardroom.add_account("anna", Role.CLIENT)
    reason_hostile = await _refused(wardroom.port, username, PASSWORD)
    reason_wrong = await _refused(wardroom.port, "anna", "wrong-password!")
    # The client words the refusal with the name it sent; the server's answer is the same.
    def shape(reason: str) -> str:
        return re.sub(r"for user .* on host", "for user <name> on host", reason)

    assert shape(reason_hostile) == shape(reason_wrong)


@pytest.mark.parametrize("username", ["anna\x1b[2J", "\u202eanna", "an\x00na", "x" * 2000])
async def test_unsendable_usernames_are_cut_off_before_any_lookup(wardroom, username):
    """Control characters, bidi overrides and huge names are refused by the protocol layer
    (asyncssh's SASLprep) before wardroom looks anything up; the server keeps serving."""
    await wardroom.add_account("anna", Role.CLIENT)
    options = asyncssh.SSHClientConnectionOptions(username="placeholder", password="x" * 12,
                                                  known_hosts=None, client_keys=[],
                                                  agent_path=None)
    options.username = username  # the client library would refuse to send it otherwise
    with pytest.raises((asyncssh.Error, OSError)):
        await asyncssh.connect("127.0.0.1", wardroom.port, options=options)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("anna")
    finally:
        await client.close()


async def test_disabled_account_is_refused(wardroom):
    account = await wardroom.add_account("anna", Role.CLIENT)
    await wardroom.services.db.execute("UPDATE account SET disabled = 1 WHERE id = ?",
                                       (account.id,))
    await _refused(wardroom.port, "anna", PASSWORD)


async def test_three_failures_end_the_connection(wardroom):
    """asyncssh itself would let a client guess on and on over one connection."""
    await wardroom.add_account("anna", Role.CLIENT)
    attempts = 0

    class Guesser(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            nonlocal attempts
            attempts += 1
            return f"guess-number-{attempts}"

    with pytest.raises((asyncssh.PermissionDenied, asyncssh.DisconnectError,
                        ConnectionError)):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                               known_hosts=None, client_factory=Guesser, client_keys=[],
                               agent_path=None, preferred_auth="password")
    assert attempts <= 3


async def _with_key(wardroom, name: str, role: Role) -> asyncssh.SSHKey:
    account = await wardroom.add_account(name, role)
    key = asyncssh.generate_private_key("ssh-ed25519")
    await wardroom.services.public_keys.add(account, key.export_public_key("openssh").decode())
    return key


@pytest.mark.settings(second_factor_required=True)
async def test_public_key_and_password_log_in_and_count_as_the_second_factor(wardroom):
    key = await _with_key(wardroom, "kim", Role.COUNSELLOR)
    client = await connect(wardroom.port, "kim", PASSWORD, client_keys=[key],
                           preferred_auth="publickey,password")
    try:
        # No TOTP enrolment is asked: the key was the second factor.
        await client.wait_for("Ihre Beratungen")
    finally:
        await client.close()


async def test_public_key_alone_never_logs_in(wardroom):
    """No secret reaches the server with a key, so it could open no sealed room."""
    key = await _with_key(wardroom, "kim", Role.COUNSELLOR)
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="kim", known_hosts=None,
                               client_keys=[key], agent_path=None, preferred_auth="publickey")
    assert not any(c.identity.account for c in wardroom.server.connections)


async def test_account_with_a_key_needs_it_beside_the_password(wardroom):
    await _with_key(wardroom, "kim", Role.COUNSELLOR)
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="kim", password=PASSWORD,
                               known_hosts=None, client_keys=[], agent_path=None,
                               preferred_auth="password")


async def test_unknown_public_key_is_refused(wardroom):
    await wardroom.add_account("kim", Role.COUNSELLOR)
    key = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="kim", known_hosts=None,
                               client_keys=[key], agent_path=None, preferred_auth="publickey")


async def test_offered_but_unsigned_key_grants_nothing(wardroom):
    """Regression: offer the admin's key without being able to sign it, then log in with a
    password as someone else. The session must belong to that someone else, not the admin."""
    admin = await wardroom.add_account("boss", Role.ADMIN)
    await wardroom.add_account("bob", Role.CLIENT)
    admin_key = asyncssh.generate_private_key("ssh-ed25519")
    await wardroom.services.public_keys.add(admin, admin_key.export_public_key("openssh").decode())
    impostor = asyncssh.load_keypairs([asyncssh.generate_private_key("ssh-ed25519")])[0]
    impostor.public_data = admin_key.public_data  # claims the admin's key, cannot sign for it
    offered: list[str] = []

    class Switcher(asyncssh.SSHClient):
        def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
            self._conn = conn

        def public_key_auth_requested(self):
            if offered:
                return None
            offered.append("boss")
            return impostor

        def password_auth_requested(self) -> str:
            self._conn._username = "bob"  # the next request names another user
            return PASSWORD

    conn, _ = await asyncssh.create_connection(
        Switcher, "127.0.0.1", wardroom.port, username="boss", known_hosts=None,
        client_keys=None, agent_path=None, preferred_auth="publickey,password")
    try:
        assert offered == ["boss"]
        result = await conn.run("admin user list", check=False)
        assert result.exit_status == 77
        assert all(c._connection.identity.account.username == "bob"
                   for c in wardroom.server.sessions) if wardroom.server.sessions else True
    finally:
        conn.close()
    bound = [c.identity.account.username for c in wardroom.server.connections
             if c.identity.account]
    assert "boss" not in bound


async def test_exec_unknown_command_exits_2(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    result = await run_command(wardroom.port, "anna", "rm -rf /", password=PASSWORD)
    assert result.exit_status == 2
    assert "unbekannter Befehl 'rm -rf /'" in result.stderr  # German unless LANG asks


async def _anna_runs(wardroom, command: str | None, env: dict[str, str]):
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                                password=PASSWORD, known_hosts=None, client_keys=[],
                                agent_path=None) as conn:
        return await conn.run(command, input="", check=False, term_type=None, env=env)


@pytest.mark.parametrize(("env", "said"), [
    ({}, "unbekannter Befehl"), ({"LANG": "en_GB.UTF-8"}, "unknown command"),
    ({"LANG": "de_DE.UTF-8"}, "unbekannter Befehl")])
async def test_the_unknown_command_error_speaks_the_clients_language(wardroom, env, said):
    await wardroom.add_account("anna", Role.CLIENT)
    result = await _anna_runs(wardroom, "hilfe", env)
    assert result.exit_status == 2 and said in result.stderr


@pytest.mark.parametrize(("env", "said"), [
    ({}, "Bitte verbinden Sie sich mit einem interaktiven Terminal"),
    ({"LANG": "en_US.UTF-8"}, "please connect with an interactive terminal")])
async def test_shell_without_pty_exits_2(wardroom, env, said):
    await wardroom.add_account("anna", Role.CLIENT)
    result = await _anna_runs(wardroom, None, env)
    assert result.exit_status == 2
    assert said in result.stderr
    assert result.stderr.count("\n") == 1


async def test_sftp_subsystem_and_forwarding_are_refused(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                                password=PASSWORD, known_hosts=None, client_keys=[],
                                agent_path=None) as conn:
        with pytest.raises((asyncssh.SFTPError, asyncssh.ChannelOpenError,
                            asyncssh.ProcessError, OSError)):
            async with conn.start_sftp_client():
                pass
        with pytest.raises((asyncssh.ChannelOpenError, OSError)):
            await conn.open_connection("127.0.0.1", 22)
        with pytest.raises((asyncssh.ChannelListenError, OSError)):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)
        result = await asyncio.wait_for(conn.run("whoami", check=False), 10)
        assert result.exit_status == 2
