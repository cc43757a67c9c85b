"""PROXY protocol version 2 headers (HAProxy's proxy-protocol.txt, section 2.2), read with strict
bounds, and the addresses trusted to send them.

Only what wardroom needs is read: the command, and for TCP over IPv4 or IPv6 the client's
address and port. The TLVs after the addresses are skipped, never parsed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
_FIXED_BYTES = 16  # signature, version and command, family and transport, length
# HAProxy sends 12 (IPv4) or 36 (IPv6) address bytes and a few TLVs; the format allows 64 KiB.
# A longer block is refused rather than buffered for a connection nobody has admitted yet.
MAX_BLOCK_BYTES = 1024
MAX_HEADER_BYTES = _FIXED_BYTES + MAX_BLOCK_BYTES
_LOCAL, _PROXY = 0x0, 0x1
_TCP_IPV4, _TCP_IPV6 = 0x11, 0x21  # family in the high half of the byte, transport in the low

Peer = tuple[str, int]
Network = IPv4Network | IPv6Network


class BadProxyHeader(ValueError):
    """What arrived is not a PROXY v2 header wardroom accepts; the message says why."""


@dataclass(frozen=True)
class ProxyHeader:
    """`length`: the bytes the header took. `client`: the address the balancer accepted the
    connection from; None for LOCAL (the balancer's own connection, a health check)."""

    length: int
    client: Peer | None


def read_v2(data: bytes) -> ProxyHeader | None:
    """The header at the start of `data`, or None while it is still incomplete.

    Refuses as early as the bytes allow, so a peer that sends anything else waits for nothing.
    """
    if not V2_SIGNATURE.startswith(data[:len(V2_SIGNATURE)]):
        if data.startswith(V1_PREFIX[:len(data)]):
            raise BadProxyHeader("a PROXY v1 header (only v2 is accepted)")
        raise BadProxyHeader("no PROXY v2 header")
    if len(data) < _FIXED_BYTES:
        return None
    version, command = data[12] >> 4, data[12] & 0x0F
    if version != 2:
        raise BadProxyHeader(f"PROXY header version {version}")
    if command not in (_LOCAL, _PROXY):
        raise BadProxyHeader(f"unknown PROXY command {command}")
    length = int.from_bytes(data[14:16], "big")
    if length > MAX_BLOCK_BYTES:
        raise BadProxyHeader(f"PROXY header of {_FIXED_BYTES + length} bytes "
                             f"(at most {MAX_HEADER_BYTES})")
    if len(data) < _FIXED_BYTES + length:
        return None
    if command == _LOCAL:
        return ProxyHeader(_FIXED_BYTES + length, None)
    block = data[_FIXED_BYTES:_FIXED_BYTES + length]
    return ProxyHeader(_FIXED_BYTES + length, _source(data[13], block))


def _source(family: int, block: bytes) -> Peer:
    """The source address and port of a PROXY command's address block."""
    if family == _TCP_IPV4 and len(block) >= 12:
        address: IPv4Address | IPv6Address = IPv4Address(block[0:4])
        port = block[8:10]
    elif family == _TCP_IPV6 and len(block) >= 36:
        address = IPv6Address(block[0:16])
        port = block[32:34]
        # An IPv4 client seen through an IPv6 socket: limits and fail2ban know it as IPv4.
        address = address.ipv4_mapped or address
    elif family in (_TCP_IPV4, _TCP_IPV6):
        raise BadProxyHeader(f"PROXY address block of {len(block)} bytes is too short")
    else:
        # UNSPEC, UDP and UNIX sockets name no TCP client; the spec lets a receiver refuse them.
        raise BadProxyHeader(f"PROXY header for family/transport 0x{family:02x}, "
                             "not TCP over IPv4 or IPv6")
    return str(address), int.from_bytes(port, "big")


def begins_proxy_header(data: bytes) -> bool | None:
    """Whether `data` (not empty) starts with a PROXY header of either version; None while it
    is too short to tell. An SSH client's first byte ('S') already tells."""
    signatures = (V2_SIGNATURE, V1_PREFIX)
    if any(data.startswith(signature) for signature in signatures):
        return True
    if any(signature.startswith(data) for signature in signatures):
        return None
    return False


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR networks as written in `trusted_proxies`; ValueError for a bad one
    (also for host bits set, "10.0.0.1/8", which is more often a typo than meant)."""
    return tuple(ip_network(entry) for entry in entries)


class TrustedProxies:
    """The balancers whose PROXY headers are believed; empty: none are."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._networks = trusted_networks(entries)

    def trusts(self, address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped  # a dual-stack socket shows IPv4 peers this way
        return any(parsed in network for network in self._networks)
