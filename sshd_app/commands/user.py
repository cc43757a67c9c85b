"""`admin user …`: add, list, disable, enable and erase accounts and reset their passwords.

Each action is one `actions.add_parser(...)` in `register` plus one handler below.
"""

from __future__ import annotations

import argparse

from sshd_app.commands.dates import stamp
from sshd_app.commands.framework import CommandContext, CommandFailed, add_json
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.clock import berlin_minute, from_iso

ROLES = [role.value for role in Role]
SCOPES = [scope.value for scope in Scope]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "user", help="accounts: add, list, disable, enable, reset-password, reset-2fa, erase, "
                     "export, grant, revoke",
        description="Manage accounts. Passwords are never taken from the command line.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create an account and print its id")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=ROLES, required=True)
    _password_stdin(add)
    add_json(add)
    add.set_defaults(handler=add_user)

    listing = actions.add_parser("list", help="list accounts")
    listing.add_argument("--role", choices=ROLES)
    add_json(listing)
    listing.set_defaults(handler=list_users)

    disable = actions.add_parser("disable", help="lock an account and end its sessions now")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(handler=disable_user)

    enable = actions.add_parser("enable", help="unlock a disabled account")
    enable.add_argument("name", metavar="NAME")
    enable.set_defaults(handler=enable_user)

    reset = actions.add_parser("reset-password", help="set a new password for an account")
    reset.add_argument("name", metavar="NAME")
    _password_stdin(reset)
    reset.set_defaults(handler=reset_password)

    erase = actions.add_parser(
        "erase", help="erase a client and all its data irrecoverably (objection by letter)",
        description="Erase a client account with its requests, bookings, ward rooms and "
                    "messages, irrecoverably; its sessions end. Nothing happens unless "
                    "--confirm repeats NAME.")
    erase.add_argument("name", metavar="NAME")
    erase.add_argument("--confirm", metavar="NAME", help="NAME again, to confirm")
    erase.set_defaults(handler=erase_user)

    reset_2fa = actions.add_parser(
        "reset-2fa", help="remove an account's second factor (lost device); it enrols again "
                          "at its next login")
    reset_2fa.add_argument("name", metavar="NAME")
    reset_2fa.set_defaults(handler=reset_second_factor)

    export = actions.add_parser(
        "export", help="an account's data as JSON, for a request received by post (audited)",
        description="Print what the account's own export holds (SPEC: Export), for a request "
                    "received by post. Ward rooms are listed, but staff cannot read them: "
                    "each is marked sealed.")
    export.add_argument("name", metavar="NAME")
    export.set_defaults(handler=export_user)

    for action, doing in (("grant", "give a staff account a scope"),
                          ("revoke", "take a scope from a staff account")):
        change = actions.add_parser(
            action, help=doing,
            description="Scopes: " + ", ".join(SCOPES) + ". You grant only scopes you hold, "
                        "and never change your own.")
        change.add_argument("name", metavar="NAME")
        change.add_argument("scope", metavar="SCOPE", choices=SCOPES)
        change.set_defaults(handler=change_scope, granted=action == "grant")


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true",
        help="read the password from the first line of standard input; without it a "
             "one-time password is printed that must be changed at the next login")


async def _read_password(ctx: CommandContext, wanted: bool) -> str | None:
    if not wanted:
        return None
    line = await ctx.read_line()
    if line is None:
        raise CommandFailed("no password on standard input")
    return line


def _hand_over(ctx: CommandContext, username: str, one_time: str, *, beside_json: bool) -> None:
    """Show a generated password once; next to JSON it goes to stderr, so JSON never holds it."""
    text = (f"one-time password for {username}: {one_time} "
            f"(shown once; it must be changed at the next login)\n")
    (ctx.write_error if beside_json else ctx.write)(text)


async def add_user(ctx: CommandContext, args: argparse.Namespace) -> int:
    password = await _read_password(ctx, args.password_stdin)
    account, one_time = await ctx.services.account_admin.add(
        ctx.actor, args.name, Role(args.role), password)
    if args.json:
        ctx.json({"id": account.id})
    else:
        ctx.out(str(account.id))
    if one_time is not None:
        _hand_over(ctx, account.username, one_time, beside_json=args.json)
    return 0


def _status(account: Account) -> str:
    if account.disabled:
        return "disabled"
    return "change-pw" if account.must_change_password else "active"


async def list_users(ctx: CommandContext, args: argparse.Namespace) -> int:
    role = Role(args.role) if args.role else None
    accounts = await ctx.services.account_admin.roster(ctx.actor, role)
    if args.json:
        ctx.json([{
            "id": a.id, "username": a.username, "role": a.role.value, "disabled": a.disabled,
            "must_change_password": a.must_change_password,
            "scopes": sorted(a.scopes),
            "created": stamp(from_iso(a.created_at)),
        } for a in accounts])
        return 0
    ctx.table(["ID", "USERNAME", "ROLE", "STATUS", "CREATED (BERLIN)"],
              [[a.id, a.username, a.role.value, _status(a), berlin_minute(from_iso(a.created_at))]
               for a in accounts])
    return 0


async def disable_user(ctx: CommandContext, args: argparse.Namespace) -> int:
    await ctx.services.account_admin.disable(ctx.actor, args.name)
    ctx.out(f"account {args.name} disabled")
    return 0


async def enable_user(ctx: CommandContext, args: argparse.Namespace) -> int:
    await ctx.services.account_admin.enable(ctx.actor, args.name)
    ctx.out(f"account {args.name} enabled")
    return 0


async def reset_password(ctx: CommandContext, args: argparse.Namespace) -> int:
    password = await _read_password(ctx, args.password_stdin)
    one_time = await ctx.services.account_admin.reset_password(ctx.actor, args.name, password)
    if one_time is None:
        ctx.out(f"password of {args.name} changed")
    else:
        _hand_over(ctx, args.name, one_time, beside_json=False)
    return 0


async def reset_second_factor(ctx: CommandContext, args: argparse.Namespace) -> int:
    await ctx.services.second_factors.reset(ctx.actor, args.name)
    ctx.out(f"second factor of {args.name} removed; it is set up again at the next login")
    return 0


async def erase_user(ctx: CommandContext, args: argparse.Namespace) -> int:
    if args.confirm is None:
        raise CommandFailed("nothing was erased: repeat the username with --confirm NAME")
    await ctx.services.erasure.erase_client(ctx.actor, args.name, args.confirm)
    ctx.out(f"account {args.name} erased with all its data")
    return 0


async def change_scope(ctx: CommandContext, args: argparse.Namespace) -> int:
    scope = Scope(args.scope)
    if args.granted:
        await ctx.services.account_admin.grant(ctx.actor, args.name, scope)
        ctx.out(f"{args.name} now has the scope {scope.value}")
    else:
        await ctx.services.account_admin.revoke(ctx.actor, args.name, scope)
        ctx.out(f"{args.name} no longer has the scope {scope.value}")
    return 0


async def export_user(ctx: CommandContext, args: argparse.Namespace) -> int:
    async for chunk in ctx.services.export.for_staff(ctx.actor, args.name):
        ctx.write(chunk)
    return 0
