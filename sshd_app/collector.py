"""Python's garbage collector set for a server that holds many long-lived sessions.

Measured (benchmarks/chat.py, 100 sessions in one process, about 2 million objects): with the
default thresholds every few seconds a collection walked all of them, up to 1.5 s in which no
session was served, and a third of the CPU per message went to it. Larger thresholds let the
short-lived objects of each screen update die young instead of being promoted and walked again.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 20, 100)


def tune_for_sessions() -> None:
    """Call once the server is set up, before sessions arrive."""
    # What start-up created (modules, stylesheets, services) lives as long as the process:
    # moved out of the collector's sight, it is never walked again.
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
