"""Every command wardroom runs, listed once: nothing registers itself by being imported.

`ssh NAME@HOST WORD …` runs `EXEC_COMMANDS[WORD]`. `admin …`, over SSH and as `wardroom admin`
on the host, runs the one tree built from `ADMIN_GROUPS` (sshd_app/commands/framework.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from sshd_app.commands import (
    admin_exec,
    audit,
    backup,
    booking,
    export,
    match,
    policy,
    request,
    retention,
    seal,
    stats,
    user,
)

if TYPE_CHECKING:
    from sshd_app.auth import ConnectionIdentity
    from sshd_app.exec_router import ExecIO
    from sshd_app.server import WardroomServer

ExecHandler = Callable[[list[str], "ConnectionIdentity", "WardroomServer", "ExecIO"],
                       Awaitable[int]]
GroupRegister = Callable[[argparse._SubParsersAction], None]

EXEC_COMMANDS: Mapping[str, ExecHandler] = MappingProxyType({
    "admin": admin_exec.admin_over_ssh,
    "export": export.export_own_data,
})

# In the order `admin --help` lists them.
ADMIN_GROUPS: tuple[GroupRegister, ...] = (
    audit.register,
    backup.register,
    booking.register,
    match.register,
    policy.register,
    request.register,
    retention.register,
    seal.register,
    stats.register,
    user.register,
)
