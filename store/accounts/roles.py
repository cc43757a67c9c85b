"""The three roles of wardroom."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLIENT = "client"
    COUNSELLOR = "counsellor"
    ADMIN = "admin"
