"""The exit codes of every command (SPEC): the one place they are defined."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # refused or failed; one line on stderr says why, and nothing was changed
EXIT_USAGE = 2
EXIT_NOT_PERMITTED = 77  # outside the account's role or staff scopes
