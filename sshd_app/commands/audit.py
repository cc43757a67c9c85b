"""`admin audit [--since DATE]`: who did what, when, to which ids (never content)."""

from __future__ import annotations

import argparse

from sshd_app.commands.dates import date_argument, stamp
from sshd_app.commands.framework import CommandContext, add_json
from store.clock import berlin_minute, from_iso


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the audit trail of staff actions and logins")
    parser.add_argument("--since", type=date_argument, metavar="DATE",
                        help="only entries from then on; YYYY-MM-DD is midnight, Berlin time")
    add_json(parser)
    parser.set_defaults(handler=show_audit)


async def show_audit(ctx: CommandContext, args: argparse.Namespace) -> int:
    entries = await ctx.services.audit.read(ctx.actor, args.since)
    if args.json:
        ctx.json([{"id": e.id, "at": stamp(from_iso(e.at)), "actor": e.actor,
                   "action": e.action, "targets": _targets(e.target_ids)} for e in entries])
        return 0
    ctx.table(["ID", "WHEN (BERLIN)", "ACTOR", "ACTION", "TARGETS"],
              [[e.id, berlin_minute(from_iso(e.at)), e.actor, e.action, e.target_ids]
               for e in entries])
    return 0


def _targets(target_ids: str) -> list[int | str]:
    return [int(t) if t.isdigit() else t for t in target_ids.split(",") if t]
