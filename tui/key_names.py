"""Keys named as the user reads them on the keyboard: Strg+Q, Eingabe, Esc, F1 (Ctrl+Q … in
English), for the footer and the help, instead of Textual's ^q and ⏎."""

from __future__ import annotations

from tui.i18n import Translator


def key_name(key: str, t: Translator) -> str:
    """`key` as a Binding spells it ("ctrl+q", "enter", "f1", "a") in the session's words."""
    *modifiers, name = key.split("+")
    words = [t(f"key_name.{modifier}") for modifier in modifiers]
    if t.has(f"key_name.{name}"):
        words.append(t(f"key_name.{name}"))
    elif modifiers or (name[:1] == "f" and name[1:].isdigit()):
        words.append(name.upper())  # Strg+Q, F1: as printed on the key
    else:
        words.append(name)  # a letter alone stays lower case: upper case would read as Shift
    return "+".join(words)
