"""The SSH transport as ssh-audit sees it: no failure, no warning but the compatibility kex's."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import asyncssh
import pytest

from sshd_app.config import Settings
from store.accounts.roles import Role
from tests.conftest import PASSWORD

SSH_AUDIT = Path(sys.executable).with_name("ssh-audit")
PQ_NOTE = "does not provide protection against post-quantum attacks"
COMPAT_KEX = {"curve25519-sha256", "curve25519-sha256@libssh.org"}


async def _audit(port: int) -> tuple[int, dict]:
    process = await asyncio.create_subprocess_exec(
        str(SSH_AUDIT), "-j", "-p", str(port), "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert stdout, stderr.decode()
    return process.returncode or 0, json.loads(stdout)


def _findings(report: dict, level: str) -> dict[str, list[str]]:
    found = {}
    for section in ("kex", "key", "enc", "mac"):
        for entry in report[section]:
            notes = entry.get("notes", {}).get(level)
            if notes:
                found[entry["algorithm"]] = notes
    return found


async def test_ssh_audit_default_settings(wardroom):
    status, report = await _audit(wardroom.port)
    assert _findings(report, "fail") == {}
    assert report["cves"] == []
    warnings = _findings(report, "warn")
    # Only the curve25519 kex for pre-9.9 clients, and only for lacking post-quantum protection.
    assert set(warnings) == COMPAT_KEX, warnings
    assert all(notes == [PQ_NOTE] for notes in warnings.values())
    assert status == 2  # ssh-audit's "warnings" exit code, caused by those two alone
    kex = [entry["algorithm"] for entry in report["kex"]]
    assert kex[0] == "mlkem768x25519-sha256"
    assert "kex-strict-s-v00@openssh.com" in kex  # Terrapin countermeasure
    assert report["compression"] == ["none"]
    assert not any("DHEat" in note for note in report.get("additional_notes", []))


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    settings.pq_only = getattr(request, "param", False)
    return settings


@pytest.mark.parametrize("settings", [True], indirect=True)
async def test_ssh_audit_pq_only(wardroom):
    status, report = await _audit(wardroom.port)
    assert _findings(report, "fail") == {} and _findings(report, "warn") == {}
    assert status == 0
    kex = [entry["algorithm"] for entry in report["kex"]]
    assert not COMPAT_KEX & set(kex)
    assert "kex-strict-s-v00@openssh.com" in kex


async def test_host_keys_offered_without_sha1(wardroom):
    _status, report = await _audit(wardroom.port)
    keys = [entry["algorithm"] for entry in report["key"]]
    assert keys == ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]
    assert "ssh-rsa" not in keys


async def test_client_insisting_on_ssh_rsa_signatures_is_refused(wardroom):
    with pytest.raises((asyncssh.KeyExchangeFailed, asyncssh.DisconnectError, OSError)):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="x", password="y",
                               known_hosts=None, client_keys=[], agent_path=None,
                               server_host_key_algs=["ssh-rsa"])


async def test_rsa_host_key_is_4096_bits(wardroom):
    key = await asyncssh.get_server_host_key("127.0.0.1", wardroom.port,
                                             server_host_key_algs=["rsa-sha2-512"])
    assert key is not None and key.get_algorithm() == "ssh-rsa"
    assert key.pyca_key.key_size == 4096


async def test_version_string_names_neither_library_nor_version(wardroom):
    reader, writer = await asyncio.open_connection("127.0.0.1", wardroom.port)
    try:
        assert await asyncio.wait_for(reader.readline(), 10) == b"SSH-2.0-wardroom\r\n"
    finally:
        writer.close()


def _rsa_user_key(signature: bytes) -> tuple[asyncssh.SSHKeyPair, str]:
    """A key pair that signs only with `signature`, and its public key to register."""
    key = asyncssh.generate_private_key("ssh-rsa", key_size=3072)
    pair = asyncssh.load_keypairs([key])[0]
    pair.sig_algorithms = (signature,)  # type: ignore[misc]
    pair.set_sig_algorithm(signature)
    return pair, key.export_public_key("openssh").decode()


async def _key_login(port: int, pair: asyncssh.SSHKeyPair, signature: str):
    """The key beside the password, as an account with keys logs in."""
    return await asyncssh.connect("127.0.0.1", port, username="kim", password=PASSWORD,
                                  known_hosts=None, client_keys=[pair], agent_path=None,
                                  preferred_auth="publickey,password",
                                  signature_algs=[signature])


async def test_user_keys_signing_with_sha1_ssh_rsa_are_refused(wardroom):
    account = await wardroom.add_account("kim", Role.CLIENT)
    (sha1, sha1_public), (sha2, sha2_public) = (_rsa_user_key(b"ssh-rsa"),
                                                _rsa_user_key(b"rsa-sha2-256"))
    for public in (sha1_public, sha2_public):
        await wardroom.services.public_keys.add(account, public)
    with pytest.raises(asyncssh.PermissionDenied):
        await _key_login(wardroom.port, sha1, "ssh-rsa")
    async with await _key_login(wardroom.port, sha2, "rsa-sha2-256") as conn:
        # server-sig-algs, as the client read it: SHA-2 RSA and Ed25519 only.
        assert conn._server_sig_algs == {b"ssh-ed25519", b"rsa-sha2-512", b"rsa-sha2-256"}
