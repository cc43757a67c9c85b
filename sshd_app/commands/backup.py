"""`admin backup create|list`: encrypted backups in every destination, and when each goes.

Destinations and recipients come from the settings (backup_destinations, backup_key_file):
over SSH the running server's, locally those `wardroom admin` reads. Paths are on the server
host.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from sshd_app.commands.dates import stamp
from sshd_app.commands.framework import CommandContext, CommandFailed, add_json
from sshd_app.config import backup_plan
from sshd_app.exit_codes import EXIT_OK
from store.backup.backups import Backups
from store.clock import berlin_minute


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser("backup", help="encrypted backups: create one now, list them")
    actions = backup.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create", help="back up the database now, to every destination",
        description="Copy the database with SQLite's online backup API, encrypt it to the "
                    "backup recipients with age and write it to every destination; prints "
                    "the backup's id. "
                    "A destination that fails is named on stderr and filled in later by the "
                    "server's schedule.")
    add_json(create)
    create.set_defaults(handler=create_backup)

    listing = actions.add_parser(
        "list", help="every backup: its destinations, age and deletion date",
        description="Every backup found in the destinations, oldest first, with the date it "
                    "will be deleted (Europe/Berlin). Unreachable destinations are named on "
                    "stderr.")
    add_json(listing)
    listing.set_defaults(handler=list_backups)


def _backups(ctx: CommandContext) -> Backups:
    if ctx.settings is None:
        raise CommandFailed("no settings to find the backup destinations in")
    return Backups(ctx.services.db, ctx.services.audit, backup_plan(ctx.settings))


async def create_backup(ctx: CommandContext, args: argparse.Namespace) -> int:
    result = await _backups(ctx).create(ctx.actor)
    for place, why in result.failed.items():
        ctx.write_error(f"admin: warning: destination {place} failed ({why}); the server's "
                        "schedule copies the backup there later\n")
    if args.json:
        ctx.json({"id": result.id})
    else:
        ctx.out(str(result.id))
    return EXIT_OK


async def list_backups(ctx: CommandContext, args: argparse.Namespace) -> int:
    inventory = await _backups(ctx).list(ctx.actor)
    now = ctx.services.clock.now()
    for place, why in inventory.unreachable.items():
        ctx.write_error(f"admin: warning: destination {place} is unreachable ({why})\n")
    if args.json:
        ctx.json([{
            "id": b.id, "created": stamp(b.created_at),
            "age_seconds": int((now - b.created_at).total_seconds()),
            "deletes": stamp(b.deletes_at), "destinations": [str(d) for d in b.destinations],
            "format": b.format,
        } for b in inventory.backups])
        return EXIT_OK
    rows: list[list[object]] = []
    for b in inventory.backups:
        # One destination per line: paths are long, and 80 columns must show them all.
        first, *others = b.destinations
        rows.append([b.id, berlin_minute(b.created_at), _age(now - b.created_at),
                     berlin_minute(b.deletes_at), first])
        rows += [["", "", "", "", place] for place in others]
    ctx.table(["ID", "CREATED (BERLIN)", "AGE", "DELETED (BERLIN)", "DESTINATIONS"], rows)
    return EXIT_OK


def _age(age: timedelta) -> str:
    hours = max(int(age.total_seconds()) // 3600, 0)
    return f"{hours // 24}d {hours % 24:02d}h"
