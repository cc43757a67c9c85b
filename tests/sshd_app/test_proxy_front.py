"""PROXY protocol v2 on a real server and real clients: behind a trusted balancer the limits,
the fail2ban line and the sessions see the client the header names; a PROXY header from anyone
else, or anything but a valid header from the balancer, closes the connection.

On 127.0.0.1 the test is both balancer and client: trusting "127.0.0.1/32" makes it the one,
trusting only 10.0.0.0/8 (or nothing) makes it an ordinary untrusted client.
"""

from __future__ import annotations

import asyncio
import logging

import asyncssh
import pytest

from sshd_app import proxy_front
from sshd_app.connection_gate import REFUSAL
from sshd_app.logging_setup import line_formatter
from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.server_process import ServerProcess
from tests.sshd_app.proxy_headers import (
    connected_socket,
    everything_until_closed,
    ssh_through,
    v1_header,
    v2_header,
    v2_local,
)
from tests.sshd_app.test_login_limits import _host

TRUSTING_US = pytest.mark.settings(trusted_proxies=("127.0.0.1/32",))
TRUSTING_OTHERS = pytest.mark.settings(trusted_proxies=("10.0.0.0/8",))
CLIENT = "203.0.113.7"
BANNER = b"SSH-2.0-wardroom\r\n"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = line_formatter()
    return [formatter.format(r) for r in caplog.records if r.name.startswith("wardroom")]


async def _wrong_password(port: int, header: bytes) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await ssh_through(port, header, "anna", "wrong-password!")


@TRUSTING_US
async def test_behind_a_trusted_balancer_everything_sees_the_headers_client(wardroom, caplog):
    caplog.set_level(logging.INFO)
    await wardroom.add_account("anna", Role.CLIENT)
    await _wrong_password(wardroom.port, v2_header(CLIENT, 40001))
    failures = [line for line in _lines(caplog) if "auth failure" in line]
    assert [_host(line) for line in failures] == [CLIENT]  # what fail2ban would ban
    assert wardroom.server.login_throttle.address_delay(CLIENT) == 0  # counted, still free

    conn = await ssh_through(wardroom.port, v2_header("2001:db8::7", 40002), "anna", PASSWORD)
    try:
        # The session's own address, which the registration limit and login delays take.
        assert {c.peer for c in wardroom.server.connections} == {"2001:db8::7"}
    finally:
        conn.close()


@pytest.mark.settings(trusted_proxies=("127.0.0.1/32",), max_pending_logins_per_address=2)
async def test_the_per_address_limit_counts_the_headers_client_not_the_balancer(wardroom):
    held = [await connected_socket(wardroom.port, v2_header(CLIENT, 40000 + n))
            for n in range(2)]
    try:
        await asyncio.sleep(0.2)
        assert wardroom.server.gate.pending(CLIENT) == 2
        assert wardroom.server.gate.pending("127.0.0.1") == 0
        third = await connected_socket(wardroom.port, v2_header(CLIENT, 40003))
        assert await everything_until_closed(third) == REFUSAL
        # Another client behind the same balancer is not affected.
        other = await connected_socket(wardroom.port, v2_header("198.51.100.9", 40004))
        loop = asyncio.get_running_loop()
        assert (await asyncio.wait_for(loop.sock_recv(other, 64), 10)).startswith(b"SSH-2.0-")
        other.close()
    finally:
        for sock in held:
            sock.close()


@TRUSTING_US
@pytest.mark.parametrize("how", ["with-ssh-in-one-write", "byte-by-byte"])
async def test_the_header_may_arrive_in_any_pieces(wardroom, how):
    header = v2_header(CLIENT, 40001)
    loop = asyncio.get_running_loop()
    if how == "byte-by-byte":
        sock = await connected_socket(wardroom.port, b"")
        for byte in header:
            await loop.sock_sendall(sock, bytes([byte]))
            await asyncio.sleep(0.005)
    else:
        sock = await connected_socket(wardroom.port, header + b"SSH-2.0-OpenSSH_9.9\r\n")
    try:
        async with asyncio.timeout(10):
            assert (await loop.sock_recv(sock, 64)).startswith(BANNER)
        await asyncio.sleep(0.1)
        assert wardroom.server.gate.pending(CLIENT) == 1
    finally:
        sock.close()


@TRUSTING_US
async def test_a_local_header_is_the_balancers_own_check_and_keeps_its_address(wardroom,
                                                                            caplog):
    caplog.set_level(logging.INFO)
    await wardroom.add_account("anna", Role.CLIENT)
    await _wrong_password(wardroom.port, v2_local())
    failures = [line for line in _lines(caplog) if "auth failure" in line]
    assert [_host(line) for line in failures] == ["127.0.0.1"]
    (await ssh_through(wardroom.port, v2_local(), "anna", PASSWORD)).close()


@TRUSTING_OTHERS
@pytest.mark.parametrize("header", [v2_header(CLIENT, 40001), v1_header(CLIENT, 40001)],
                         ids=["v2", "v1"])
async def test_a_proxy_header_from_an_untrusted_address_is_refused(wardroom, caplog, header):
    caplog.set_level(logging.INFO)
    sock = await connected_socket(wardroom.port, header)
    # The banner went out as the connection opened; nothing after it, and no SSH was spoken.
    assert await everything_until_closed(sock) == BANNER
    assert ("connection from 127.0.0.1 closed: a PROXY header from an address not in "
            "trusted_proxies") in "\n".join(_lines(caplog))
    assert all(CLIENT not in line for line in _lines(caplog))  # never taken as an address
    assert all(_host(line) is None for line in _lines(caplog))
    await asyncio.sleep(0.1)
    assert wardroom.server.gate.pending("127.0.0.1") == 0


async def test_without_the_setting_a_proxy_header_is_refused_and_ssh_is_unchanged(wardroom,
                                                                                caplog):
    caplog.set_level(logging.INFO)
    sock = await connected_socket(wardroom.port, v2_header(CLIENT, 40001))
    assert await everything_until_closed(sock) == BANNER
    assert "a PROXY header from an address not in trusted_proxies" in "\n".join(_lines(caplog))
    await wardroom.add_account("anna", Role.CLIENT)
    (await asyncssh.connect("127.0.0.1", wardroom.port, username="anna", password=PASSWORD,
                            known_hosts=None, client_keys=[], agent_path=None,
                            preferred_auth="password")).close()


@TRUSTING_US
@pytest.mark.parametrize(("first_bytes", "said"), [
    (b"SSH-2.0-OpenSSH_9.9\r\n", "no PROXY v2 header"),
    (v1_header(CLIENT, 40001), "a PROXY v1 header"),
    (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x08\x00" + bytes(64), "bytes (at most"),
    (b"\r\n\r\n\x00\r\nQUIT\n\x21\x12\x00\x0c" + bytes(12), "not TCP over IPv4 or IPv6"),
], ids=["ssh", "v1", "too-long", "udp"])
async def test_a_trusted_peer_without_a_valid_header_is_refused(wardroom, caplog, first_bytes,
                                                                said):
    caplog.set_level(logging.INFO)
    sock = await connected_socket(wardroom.port, first_bytes)
    assert await everything_until_closed(sock) == b""  # no SSH started at all
    refusals = [line for line in _lines(caplog) if "(trusted proxy) closed" in line]
    assert len(refusals) == 1 and said in refusals[0]
    assert all(_host(line) is None for line in _lines(caplog))  # fail2ban never bans the balancer


@TRUSTING_US
async def test_a_trusted_peer_that_stops_inside_its_header_is_refused(wardroom, caplog,
                                                                     monkeypatch):
    monkeypatch.setattr(proxy_front, "HEADER_TIMEOUT_SECONDS", 0.3)
    caplog.set_level(logging.INFO)
    truncated = v2_header(CLIENT, 40001)[:20]
    silent = await connected_socket(wardroom.port, truncated)
    assert await everything_until_closed(silent, timeout=5) == b""
    assert "no PROXY v2 header within 0.3 s" in "\n".join(_lines(caplog))

    closing = await connected_socket(wardroom.port, truncated)
    closing.shutdown(2 - 1)  # SHUT_WR: the balancer hangs up half-way
    assert await everything_until_closed(closing, timeout=5) == b""
    assert "closed within its PROXY v2 header" in "\n".join(_lines(caplog))


async def test_workers_see_the_headers_client(tmp_path, host_keys_dir):
    """Under `serve --workers 2` each worker reads the header itself: the client reaches the
    log line fail2ban reads, whichever worker the kernel gave the connection to."""
    config = tmp_path / "wardroom.toml"
    config.write_text('trusted_proxies = ["127.0.0.1/32"]\n')
    server = ServerProcess(tmp_path / "w.db", host_keys_dir, "--workers", "2",
                           "--config", str(config))
    await server.start()
    try:
        for n in range(4):
            await _wrong_password(server.port, v2_header(f"203.0.113.{10 + n}", 40000 + n))
        for _ in range(100):
            if server.log.count(b"auth failure from 203.0.113.") >= 4:
                break
            await asyncio.sleep(0.05)
        log = server.log.decode()
        for n in range(4):
            assert f"auth failure from 203.0.113.{10 + n}\n" in log
        assert "auth failure from 127.0.0.1" not in log
    finally:
        await server.stop()
