"""The server process tunes the garbage collector before sessions arrive (in a fresh process:
the test runner's own collector is left alone)."""

from __future__ import annotations

import subprocess
import sys

from sshd_app.collector import THRESHOLDS

PROBE = """
import gc
from sshd_app.collector import THRESHOLDS, tune_for_sessions
tune_for_sessions()
print(gc.get_threshold() == THRESHOLDS, gc.get_freeze_count() > 1000)
"""


def test_start_up_objects_are_frozen_and_young_objects_get_room_to_die():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["True", "True"]
    # Python's default first threshold is 700: far too eager for a heap of sessions.
    assert THRESHOLDS[0] >= 10 * 700
