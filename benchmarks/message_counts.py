"""Textual messages dispatched by a `wardroom serve` started by a benchmark, counted by type
in the server and each of its workers (see benchmarks/textual_messages/sitecustomize.py)."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path

_HOOK = Path(__file__).parent / "textual_messages"


def count_in_servers_started_now(folder: Path) -> None:
    """Servers this process starts from now on count their messages into `folder`."""
    os.environ["BENCH_MESSAGE_COUNTS"] = str(folder)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(_HOOK), *filter(None, [os.environ.get("PYTHONPATH")])])


async def counted(folder: Path) -> Counter[str]:
    """The counts so far, summed over the processes (after the writers' next round)."""
    await asyncio.sleep(0.5)
    return _read(folder)


def _read(folder: Path) -> Counter[str]:
    total: Counter[str] = Counter()
    for path in folder.glob("*.json"):
        total.update(json.loads(path.read_text()))
    return total


def print_per_message(counts: Counter[str], delivered: int, top: int = 12) -> None:
    print(f"Textual messages dispatched: {sum(counts.values()) / delivered:.1f} per delivered "
          f"message; the most frequent:")
    for name, count in counts.most_common(top):
        print(f"  {count / delivered:6.2f}  {name}")
