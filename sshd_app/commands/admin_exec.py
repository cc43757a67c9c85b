"""`ssh NAME@HOST admin …`: the admin tree over SSH, for staff accounts only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sshd_app.commands.framework import CommandContext, run_admin
from sshd_app.exit_codes import EXIT_NOT_PERMITTED
from store.accounts.roles import Role

if TYPE_CHECKING:
    from sshd_app.auth import ConnectionIdentity
    from sshd_app.exec_router import ExecIO
    from sshd_app.server import WardroomServer


async def admin_over_ssh(argv: list[str], identity: ConnectionIdentity,
                         server: WardroomServer, io: ExecIO) -> int:
    services = server.services
    # Read afresh: one connection can carry many commands (ssh ControlMaster), and an account
    # disabled, erased or demoted since it logged in must not keep its powers.
    logged_in = identity.account
    account = await services.accounts.get(logged_in.id) if logged_in else None
    if account is None or account.role is not Role.ADMIN or account.disabled:
        who = logged_in.username if logged_in else "?"
        await services.audit.write(who, "admin.denied")
        io.write_error("admin: not permitted: staff commands are for staff accounts only\n")
        return EXIT_NOT_PERMITTED
    if account.must_change_password:
        # A one-time password opens the terminal's password change, not the staff commands.
        await services.audit.write(account.username, "admin.denied", account.id)
        io.write_error("admin: not permitted: first replace your one-time password "
                       "(log in with ssh -t)\n")
        return EXIT_NOT_PERMITTED
    ctx = CommandContext(actor=account, services=services,
                         write=io.write, write_error=io.write_error, read_line=io.read_line,
                         settings=server.settings)
    return await run_admin(argv, ctx)
