"""Counts the Textual messages a server process dispatches, by type (benchmarks only).

Loaded by Python at start-up when this folder is on PYTHONPATH, in `wardroom serve` and each of
its workers alike (they inherit the environment); benchmarks/message_counts.py puts it there.
It uses Textual's own hook for tests (every task the server starts copies the context it is set
in here), and a thread writes the counts to `$BENCH_MESSAGE_COUNTS/<pid>.json` a few times a
second, as a server killed at the end of a benchmark writes nothing on its way out.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

from textual.message import Message
from textual.message_pump import message_hook_context_var

_folder = os.environ.get("BENCH_MESSAGE_COUNTS")
_counts: Counter[str] = Counter()


def _count(message: Message) -> None:
    _counts[type(message).__qualname__] += 1


def _write_every_moment(path: Path) -> None:
    while True:
        time.sleep(0.2)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(dict(_counts)))
        partial.replace(path)  # whole or not at all for the reader


if _folder:
    message_hook_context_var.set(_count)
    threading.Thread(target=_write_every_moment, args=(Path(_folder) / f"{os.getpid()}.json",),
                     daemon=True).start()
