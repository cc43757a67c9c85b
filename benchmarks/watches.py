"""Noting the moment a text first reaches a benchmark client, checked on every chunk it
receives: on a pyte screen (what a person would see), or as bytes in the raw stream (no
terminal emulation, so 200 clients cost the load generator little)."""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from typing import Protocol

from tests.sshclient import TerminalClient


class Watch(Protocol):
    def expect(self, needle: str) -> asyncio.Future[float]: ...


class _Waiting:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[float]] = {}

    def _arrived(self, found: list[str]) -> None:
        for needle in found:
            self._waiting.pop(needle).set_result(time.perf_counter())

    def _wait(self, needle: str) -> asyncio.Future[float]:
        arrived = asyncio.get_running_loop().create_future()
        self._waiting[needle] = arrived
        return arrived


class ScreenWatch(_Waiting):
    """The text on the client's pyte screen; the screen keeps being fed."""

    def __init__(self, client: TerminalClient) -> None:
        super().__init__()
        self._client = client
        self._feed = client.stream.feed
        client.stream = self  # type: ignore[assignment]  # the client's reader feeds us now

    def feed(self, data: bytes) -> None:
        self._feed(data)
        if self._waiting:
            text = self._client.text()
            self._arrived([n for n in self._waiting if n in text])

    def expect(self, needle: str) -> asyncio.Future[float]:
        if needle in self._client.text():
            shown = asyncio.get_running_loop().create_future()
            shown.set_result(time.perf_counter())
            return shown
        return self._wait(needle)


class RawWatch(_Waiting):
    """The text as bytes in what the client receives from now on, its pyte screen no longer
    fed. The needle must be a marker the server writes in one run (no spaces or styling inside
    it, and nowhere before it was sent): the box's echo for the sender, the room for the
    receiver."""

    def __init__(self, client: TerminalClient) -> None:
        super().__init__()
        self._tail = b""  # the end of the last chunk: a marker may straddle two chunks
        client.stream = self  # type: ignore[assignment]
        # The client keeps every byte for tests that read them; here nothing does.
        client.raw = _Discard()  # type: ignore[assignment]

    def feed(self, data: bytes) -> None:
        if self._waiting:
            seen = self._tail + data
            self._arrived([n for n in self._waiting if n.encode() in seen])
        self._tail = data[-64:]

    def expect(self, needle: str) -> asyncio.Future[float]:
        return self._wait(needle)


class _Discard:
    def extend(self, data: bytes) -> None:
        pass


WATCHES: dict[str, type[RawWatch] | type[ScreenWatch]] = {"raw": RawWatch, "screen": ScreenWatch}


def add_client_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", choices=sorted(WATCHES), default="raw",
                        help="raw: markers found in the received bytes (light); screen: "
                             "every client keeps a pyte screen (most of a core for 200)")


def own_cpu_seconds() -> float:
    """CPU time (user + system) of this process: the load generator itself."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime
