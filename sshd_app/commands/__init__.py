"""Exec commands: the admin tree (one module per group) and the per-account commands."""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_groups() -> None:
    """Import every module of this package once, so each registers its group."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("framework",):
            importlib.import_module(f"{__name__}.{info.name}")
