"""The server log never carries SQL parameters, whatever level an operator sets."""

from __future__ import annotations

import logging

from sshd_app.logging_setup import configure_logging


def test_debug_level_keeps_sql_parameters_out_of_the_log():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(logging.DEBUG)
        assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("asyncssh").getEffectiveLevel() >= logging.WARNING
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
