"""Keys are named in the session's language, as printed on the keyboard (issue 16)."""

from __future__ import annotations

import pytest

from tui.i18n import Translator
from tui.key_names import key_name


@pytest.mark.parametrize(("language", "key", "shown"), [
    ("de", "ctrl+q", "Strg+Q"), ("de", "ctrl+j", "Strg+J"), ("de", "enter", "Eingabe"),
    ("de", "escape", "Esc"), ("de", "f1", "F1"), ("de", "pageup", "Bild↑"), ("de", "a", "a"),
    ("en", "ctrl+q", "Ctrl+Q"), ("en", "enter", "Enter"), ("en", "alt+enter", "Alt+Enter"),
    ("en", "escape", "Esc"), ("en", "f2", "F2"),
])
def test_a_key_is_named_as_on_the_keyboard(language, key, shown):
    assert key_name(key, Translator(language)) == shown
