"""The `ssh` command a screen tells a person to type, with the address they really connect to."""

from __future__ import annotations

import re

# Until the server says its address (tests, a screen built outside a session).
UNKNOWN_ADDRESS = "HOST"


def split_address(address: str) -> tuple[str, int | None]:
    """"host:2222" -> ("host", 2222); "[::1]:2222" -> ("::1", 2222); "host" -> ("host", None)."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return address, None


def ssh_command(address: str, user: str, command: str = "") -> str:
    """`ssh -p 2222 user@host command`; without -p for SSH's own port 22."""
    host, port = split_address(address or UNKNOWN_ADDRESS)
    words = ["ssh"]
    if port is not None and port != 22:
        words += ["-p", str(port)]
    words.append(f"{user}@{host}")
    if command:
        words.append(command)
    return " ".join(words)


# How a published text (the privacy notice) names a command for everyone: `ssh NAME@HOST …`.
_GENERIC = re.compile(r"\bssh (?:-p [0-9]+ )?([A-Z]+)@HOST\b")


def with_address(text: str, address: str) -> str:
    """`text` with each generic `ssh NAME@HOST` made the command people really type; the
    user part (NAME) stays, for the reader to put their own name in."""
    if not address:
        return text
    return _GENERIC.sub(lambda found: ssh_command(address, found.group(1)), text)
