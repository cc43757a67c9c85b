"""Username rules: 3–32 characters of a-z, 0-9, '.', '_' and '-', lowercase."""

from __future__ import annotations

import re
import unicodedata

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


# German letters spelled out as people do in addresses; a space becomes a dot.
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "."})


def suggest_username(name: str) -> str | None:
    """A valid name close to one typed against the rules ("Jürgen" -> "juergen", "Anna
    Müller" -> "anna.mueller"), or None when nothing sensible is left."""
    spelled = unicodedata.normalize("NFKD", name.strip().lower().translate(_SPELLED_OUT))
    kept = "".join(c for c in spelled if c in "abcdefghijklmnopqrstuvwxyz0123456789._-")
    kept = re.sub(r"[._-]{2,}", ".", kept).strip("._-")[:32]
    return kept if kept != name and is_valid_username(kept) else None
