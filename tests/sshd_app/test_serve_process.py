"""`wardroom serve` as a process: first start, host keys, signals, create-admin."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys

import pytest

from tests.server_process import ServerProcess
from tests.sshclient import connect

PASSWORD = "a-long-admin-password"


async def _wardroom(*args: str, stdin: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sshd_app.cli", *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate(stdin.encode() + b"\n")
    assert process.returncode == 0, err
    return out


async def _create_admin(db, name: str = "alice") -> None:
    out = await _wardroom("create-admin", name, "--db", str(db), "--password-stdin",
                          stdin=PASSWORD)
    assert out.strip().isdigit()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_signal_tells_users_and_exits_0(tmp_path, host_keys_dir, signum):
    db = tmp_path / "w.db"
    await _create_admin(db)
    # A client account (staff would first have to enrol a second factor).
    await _wardroom("admin", "--db", str(db), "user", "add", "carla", "--role", "client",
                    "--password-stdin", stdin=PASSWORD)
    server = ServerProcess(db, host_keys_dir)
    await server.start()
    try:
        client = await connect(server.port, "carla", PASSWORD)
        await client.wait_for("Annehmen")  # a new account first accepts the privacy notice
        client.send("a")
        await client.wait_for("Wiederherstellungscode")  # then notes its recovery code, once
        client.send("\r")
        await client.wait_for("carla")
        hub_socket = tmp_path / "w.db.hub"  # for `wardroom admin` on the host
        assert hub_socket.is_socket() and hub_socket.stat().st_mode & 0o777 == 0o600
        server.signal(signum)
        assert await server.wait() == 0
        assert not hub_socket.exists()
        await client.wait_closed()
        raw = bytes(client.raw).decode("utf-8", "replace")
        assert "gewartet" in raw  # told why, in the user's language
        assert raw.rfind("\x1b[?1049l") > raw.rfind("\x1b[?1049h")  # terminal restored
        await client.close()
    finally:
        await server.stop()
    assert b"Traceback" not in server.log


async def test_first_start_generates_private_host_keys(tmp_path):
    keys = tmp_path / "keys"
    server = ServerProcess(tmp_path / "w.db", keys)
    await server.start()
    try:
        log = server.log.decode()
        for name in ("ssh_host_ed25519_key", "ssh_host_rsa_key"):
            mode = stat.S_IMODE(os.stat(keys / name).st_mode)
            assert mode == 0o600, (name, oct(mode))
        assert log.count("SHA256:") == 2
        rsa = (keys / "ssh_host_rsa_key.pub").read_text()
        import asyncssh

        assert asyncssh.import_public_key(rsa).pyca_key.key_size == 4096
    finally:
        server.signal(signal.SIGTERM)
        assert await server.wait() == 0


async def test_create_admin_refuses_short_passwords_and_bad_names(tmp_path):
    for name, password, expected in [("alice", "short", b"password"),
                                     ("Bad Name", PASSWORD, b"invalid username")]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sshd_app.cli", "create-admin", name, "--db",
            str(tmp_path / "w.db"), "--password-stdin", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await process.communicate(password.encode() + b"\n")
        assert process.returncode == 1
        assert expected in err
