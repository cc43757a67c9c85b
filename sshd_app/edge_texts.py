"""What the SSH edge says before it knows the client's language (LANG arrives only with the
session, after login): German first, then English."""

from __future__ import annotations

from tui.i18n import LANGUAGES, Translator


def in_both_languages(key: str) -> str:
    return " / ".join(Translator(language)(key) for language in LANGUAGES)
