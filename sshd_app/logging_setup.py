"""Server logging: one line per event on stderr, timestamps in UTC."""

from __future__ import annotations

import logging
import time


def line_formatter() -> logging.Formatter:
    """The one line format; docs/fail2ban/wardroom.conf is written (and tested) against it."""
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    return formatter


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(line_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # asyncssh logs every channel at INFO; keep its warnings only.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG (message text, hashes):
    # never let a debug setting put health data into the log.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
