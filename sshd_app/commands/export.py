"""`ssh NAME@HOST export`: the account's own data as one JSON document on stdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sshd_app.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from sshd_app.auth import ConnectionIdentity
    from sshd_app.exec_router import ExecIO
    from sshd_app.server import WardroomServer


async def export_own_data(argv: list[str], identity: ConnectionIdentity,
                          server: WardroomServer, io: ExecIO) -> int:
    if argv:
        io.write_error("usage: export  (takes no arguments; prints your data as JSON)\n")
        return EXIT_USAGE
    assert identity.account is not None  # the router runs commands for accounts only
    # Read afresh: the account may have been erased or disabled since this login.
    account = await server.services.accounts.get(identity.account.id)
    if account is None or account.disabled:
        io.write_error("export: this account is closed.\n")
        return EXIT_FAILED
    # A one-time password is known to the staff member who set it: its keys open no room
    # here, so every room is listed as sealed; the rest is hers to read now.
    keys = None if account.must_change_password else identity.keys
    if keys is not None:
        await server.services.rooms.settle(account, keys)
    async for chunk in server.services.export.chunks(account, keys):
        io.write(chunk)
        await io.drain()
    return EXIT_OK
