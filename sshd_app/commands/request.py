"""`admin request list`: clients' open requests (Anliegen), to match them with a counsellor."""

from __future__ import annotations

import argparse

from sshd_app.commands.dates import stamp
from sshd_app.commands.framework import CommandContext, add_json
from store.clock import berlin_minute, from_iso
from store.text import sanitize


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("request", help="clients' open requests")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="open requests, oldest first (then: admin match)")
    add_json(listing)
    listing.set_defaults(handler=list_requests)


async def list_requests(ctx: CommandContext, args: argparse.Namespace) -> int:
    requests = await ctx.services.requests.staff_listing(ctx.actor)
    if args.json:
        ctx.json([{"id": r.id, "client": r.client_username,
                   "filed": stamp(from_iso(r.created_at)), "text": sanitize(r.body)}
                  for r in requests])
        return 0
    # One line per request: the table shows the start of the text, --json all of it.
    ctx.table(["ID", "CLIENT", "FILED (BERLIN)", "REQUEST"],
              [[r.id, r.client_username, berlin_minute(from_iso(r.created_at)),
                " ".join(r.body.split())] for r in requests])
    return 0
