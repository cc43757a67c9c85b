"""The privacy notice wardroom ships (German and English)."""

from __future__ import annotations

from importlib import resources

SHIPPED_VERSION = "1"


def shipped_notice(language: str) -> str:
    name = "notice.en.md" if language == "en" else "notice.de.md"
    return resources.files("store.policy").joinpath(name).read_text(encoding="utf-8")
