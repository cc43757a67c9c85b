"""Username rules: 3–32 characters of a-z, 0-9, '.', '_' and '-', lowercase."""

from __future__ import annotations

import re

_RULE = re.compile(r"[a-z0-9._-]{3,32}")
# Names that the SSH edge routes specially or that would confuse people reading a log.
RESERVED = frozenset({"register", "root", "admin-bot", "wardroom", "system", "nobody"})


class InvalidUsername(ValueError):
    """The name breaks the username rules."""


def is_valid_username(name: str) -> bool:
    return bool(_RULE.fullmatch(name)) and name not in RESERVED and not name.startswith(".")


def check_username(name: str) -> str:
    if not is_valid_username(name):
        raise InvalidUsername(name)
    return name
