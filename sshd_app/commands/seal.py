"""`admin seal status`: how far the rooms of an upgraded database are sealed (counts only)."""

from __future__ import annotations

import argparse

from sshd_app.commands.framework import CommandContext, add_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "seal", help="sealed rooms: status",
        description="Room text is stored only encrypted to the two participants' keys "
                    "(docs/security-model.md). A database from before sealing is sealed room "
                    "by room at a participant's next login; this shows how far that is.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="rooms still holding text from before sealing")
    add_json(status)
    status.set_defaults(handler=seal_status)


async def seal_status(ctx: CommandContext, args: argparse.Namespace) -> int:
    status = await ctx.services.room_keys.status(ctx.actor)
    if args.json:
        ctx.json({"rooms": status.rooms, "unsealed_rooms": status.unsealed_rooms,
                  "accounts_without_keys": status.accounts_without_keys})
        return 0
    ctx.out(f"{status.rooms} rooms, {status.unsealed_rooms} still holding text from before "
            f"sealing; {status.accounts_without_keys} accounts without a key pair yet "
            "(each is sealed at its next login)")
    return 0
