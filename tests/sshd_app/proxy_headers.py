"""PROXY protocol headers as a balancer sends them, built here byte by byte from the
specification (not with wardroom's parser), and a client that sends one before SSH."""

from __future__ import annotations

import asyncio
import socket
from ipaddress import ip_address

import asyncssh

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(client: str, client_port: int, server_port: int = 2222, *,
              tlvs: bytes = b"") -> bytes:
    """A PROXY command for TCP from `client` (IPv4 or IPv6) to this machine's loopback
    address, with optional raw TLV bytes after the addresses."""
    source = ip_address(client)
    destination = ip_address("127.0.0.1" if source.version == 4 else "::1")
    family = 0x11 if source.version == 4 else 0x21
    block = (source.packed + destination.packed + client_port.to_bytes(2, "big")
             + server_port.to_bytes(2, "big") + tlvs)
    return V2_SIGNATURE + bytes([0x21, family]) + len(block).to_bytes(2, "big") + block


def v2_local() -> bytes:
    """What HAProxy's health checks send with `check-send-proxy`: LOCAL, family UNSPEC."""
    return V2_SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])


def v1_header(client: str, client_port: int) -> bytes:
    return f"PROXY TCP4 {client} 127.0.0.1 {client_port} 2222\r\n".encode()


async def connected_socket(port: int, first_bytes: bytes) -> socket.socket:
    """A TCP connection to 127.0.0.1:`port` that has sent `first_bytes`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    if first_bytes:
        await loop.sock_sendall(sock, first_bytes)
    return sock


async def everything_until_closed(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """What the server sends before it closes the connection."""
    loop = asyncio.get_running_loop()
    received = bytearray()
    async with asyncio.timeout(timeout):
        while chunk := await loop.sock_recv(sock, 4096):
            received += chunk
    sock.close()
    return bytes(received)


async def ssh_through(port: int, header: bytes, username: str,
                      password: str) -> asyncssh.SSHClientConnection:
    """An SSH login whose connection begins with `header`, as one through a balancer does."""
    sock = await connected_socket(port, header)
    return await asyncssh.connect(sock=sock, username=username, password=password,
                                  known_hosts=None, client_keys=[], agent_path=None,
                                  preferred_auth="password")
