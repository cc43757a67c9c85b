"""The PROXY v2 parser and the trusted list: what is accepted, what is refused, and that no
input makes it do anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sshd_app.proxy_protocol import (
    MAX_HEADER_BYTES,
    BadProxyHeader,
    ProxyHeader,
    TrustedProxies,
    begins_proxy_header,
    read_v2,
)
from tests.sshd_app.proxy_headers import V2_SIGNATURE, v1_header, v2_header, v2_local


def test_tcp_over_ipv4_names_the_client():
    header = v2_header("203.0.113.7", 40001)
    assert read_v2(header + b"SSH-2.0-x\r\n") == ProxyHeader(len(header), ("203.0.113.7", 40001))


def test_tcp_over_ipv6_names_the_client_and_ipv4_mapped_ones_as_ipv4():
    header = v2_header("2001:db8::7", 40002)
    assert read_v2(header) == ProxyHeader(len(header), ("2001:db8::7", 40002))
    mapped = v2_header("::ffff:203.0.113.7", 40003)
    assert read_v2(mapped) == ProxyHeader(len(mapped), ("203.0.113.7", 40003))


def test_tlvs_after_the_addresses_are_skipped():
    header = v2_header("203.0.113.7", 40001, tlvs=b"\x05\x00\x04uuid")  # PP2_TYPE_UNIQUE_ID
    assert read_v2(header + b"SSH-") == ProxyHeader(len(header), ("203.0.113.7", 40001))


def test_local_is_the_balancers_own_connection():
    assert read_v2(v2_local()) == ProxyHeader(16, None)


def test_an_incomplete_header_waits_for_more():
    header = v2_header("203.0.113.7", 40001)
    for cut in range(len(header)):
        assert read_v2(header[:cut]) is None


def _with(byte_12: int = 0x21, byte_13: int = 0x11, block: bytes = bytes(12)) -> bytes:
    return V2_SIGNATURE + bytes([byte_12, byte_13]) + len(block).to_bytes(2, "big") + block


@pytest.mark.parametrize(("data", "said"), [
    (b"SSH-2.0-OpenSSH_9.9\r\n", "no PROXY v2 header"),
    (b"\r\n\r\n\x00\r\nQUIZ", "no PROXY v2 header"),
    (v1_header("203.0.113.7", 40001), "PROXY v1 header"),
    (_with(byte_12=0x31), "version 3"),
    (_with(byte_12=0x22), "unknown PROXY command 2"),
    (_with(byte_13=0x12), "not TCP over IPv4 or IPv6"),  # UDP
    (_with(byte_13=0x31, block=bytes(216)), "not TCP over IPv4 or IPv6"),  # a Unix socket
    (_with(byte_13=0x00, block=b""), "not TCP over IPv4 or IPv6"),  # PROXY with UNSPEC
    (_with(block=bytes(4)), "too short"),
    (_with(byte_13=0x21, block=bytes(12)), "too short"),
    (V2_SIGNATURE + b"\x21\x11\xff\xff", f"at most {MAX_HEADER_BYTES}"),
])
def test_anything_else_is_refused_with_a_reason(data, said):
    with pytest.raises(BadProxyHeader, match=said):
        read_v2(data)


def test_a_header_too_long_is_refused_before_it_is_read():
    # Only the fixed 16 bytes have arrived: nothing more is waited for.
    with pytest.raises(BadProxyHeader):
        read_v2(V2_SIGNATURE + b"\x21\x11\x04\x01")


@given(st.binary(max_size=MAX_HEADER_BYTES + 64))
def test_no_input_does_anything_but_answer_wait_or_refuse(data):
    try:
        header = read_v2(data)
    except BadProxyHeader:
        return
    assert header is None or 16 <= header.length <= min(len(data), MAX_HEADER_BYTES)


@given(st.binary(max_size=64))
def test_anything_after_the_signature_waits_is_read_or_is_refused(tail):
    try:
        read_v2(V2_SIGNATURE + tail)
    except BadProxyHeader:
        pass


@pytest.mark.parametrize(("data", "verdict"), [
    (b"S", False), (b"SSH-2.0-OpenSSH_9.9\r\n", False),
    (b"P", None), (b"PROXY", None), (b"PROXY TCP4 ", True),
    (b"\r\n\r\n", None), (V2_SIGNATURE, True), (b"\r\n\r\n\x00\r\nQUIZ", False),
])
def test_the_first_bytes_tell_a_proxy_header_from_ssh(data, verdict):
    assert begins_proxy_header(data) is verdict


def test_trusted_addresses_and_networks():
    trusted = TrustedProxies(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])
    assert trusted.trusts("10.1.2.3") and trusted.trusts("192.0.2.7")
    assert trusted.trusts("::ffff:10.1.2.3")  # an IPv4 balancer on a dual-stack socket
    assert trusted.trusts("2001:db8::1")
    assert not trusted.trusts("192.0.2.8") and not trusted.trusts("127.0.0.1")
    assert not trusted.trusts("?")
    assert not TrustedProxies([]).trusts("127.0.0.1")
