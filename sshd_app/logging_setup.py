"""Server logging: one line per event on stderr, timestamps in UTC."""

from __future__ import annotations

import logging
import time


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # asyncssh logs every channel at INFO; keep its warnings only.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
