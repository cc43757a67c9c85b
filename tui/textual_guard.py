"""Neutralises the Textual behaviours that assume one app owns the whole process.

`App._process_messages` wraps every app in `redirect_stdout/redirect_stderr`, which swaps the
process-wide `sys.stdout`. With many apps in one server their enter/exit interleave and leave
`sys.stdout` pointing at a dead app's capture, so the server's own output vanishes.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import textual.app


def _no_redirect(_target: Any) -> nullcontext[None]:
    return nullcontext()


def install() -> None:
    textual.app.redirect_stdout = _no_redirect  # type: ignore[assignment]
    textual.app.redirect_stderr = _no_redirect  # type: ignore[assignment]
