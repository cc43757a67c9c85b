"""Checks that a library's private names wardroom uses still exist with the shape it uses.

Each check returns None or one line naming what moved, so a failing test lists every missing
name at once (tests/tui/test_textual_compat.py, tests/sshd_app/test_asyncssh_compat.py).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any


def _label(owner: Any) -> str:
    return getattr(owner, "__qualname__", None) or type(owner).__qualname__


def importable(module: str, *names: str) -> list[str | None]:
    try:
        found = importlib.import_module(module)
    except ImportError as error:
        return [f"{module}: cannot be imported ({error})"]
    return [None if hasattr(found, name) else f"{module}.{name}: gone" for name in names]


def method(owner: type, name: str, *params: str) -> str | None:
    """`owner.name` exists and takes exactly `params` (with self for a plain method, without cls
    for a classmethod)."""
    if not hasattr(owner, name):
        return f"{_label(owner)}.{name}: gone"
    taken = [*inspect.signature(getattr(owner, name)).parameters]
    if taken != [*params]:
        return f"{_label(owner)}.{name}: takes ({', '.join(taken)}), wardroom passes " \
               f"({', '.join(params)})"
    return None


def attribute(instance: Any, path: str, kind: type | tuple[type, ...]) -> str | None:
    """`instance.path` (dotted: "a.b") exists and is a `kind`."""
    value = instance
    for name in path.split("."):
        if not hasattr(value, name):
            return f"{_label(instance)}.{path}: gone"
        value = getattr(value, name)
    if not isinstance(value, kind):
        return f"{_label(instance)}.{path}: is {type(value).__name__}, wardroom expects " \
               f"{getattr(kind, '__name__', kind)}"
    return None


def keyword(callable_: Any, name: str) -> str | None:
    """`callable_` still accepts the keyword argument `name`."""
    if name not in inspect.signature(callable_).parameters:
        return f"{_label(callable_)}({name}=...): no longer accepted"
    return None


def moved(checks: list[str | list[str | None] | None]) -> str:
    """The failures among `checks`, one line each ("" if none)."""
    flat: list[str | None] = []
    for check in checks:
        flat.extend(check if isinstance(check, list) else [check])
    return "\n".join(line for line in flat if line)
