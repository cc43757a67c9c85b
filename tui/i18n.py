"""Message catalogs (German default, English): every text a screen shows comes from here."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from tui.textual_compat import binding_table

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"


class MissingMessage(KeyError):
    """A screen asked for a key that a catalog does not have."""


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, into)
        else:
            into[full] = str(value)


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of one language, from every `locales/<lang>/*.toml` (one file per area)."""
    if language not in LANGUAGES:
        raise ValueError(language)
    messages: dict[str, str] = {}
    folder = resources.files("tui").joinpath("locales", language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten("", tomllib.loads(entry.read_text(encoding="utf-8")), messages)
    return messages


class Translator:
    """`t("home.title", name=...)`: a message in the session's language."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._messages = catalog(self.language)

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self._messages[key]
        except KeyError:
            raise MissingMessage(key) from None
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._messages


def translate_bindings(node: Any, t: Translator) -> None:
    """Replace catalog keys in a node's binding descriptions with this session's words."""
    table = binding_table(node)
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=t(b.description)) if t.has(b.description) else b
            for b in bindings
        ]
