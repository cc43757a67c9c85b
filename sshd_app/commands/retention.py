"""`admin retention …`: which ended ward rooms are deleted when, and running the deletion now."""

from __future__ import annotations

import argparse

from sshd_app.commands.dates import stamp
from sshd_app.commands.framework import CommandContext, add_json
from store.clock import berlin_minute


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retention", help="deletion of ended ward rooms: status, run",
        description="Ended ward rooms are deleted irrecoverably at booking end + the client's "
                    "window (14, 21 or 56 days). The server does this by itself every few "
                    "minutes; these commands show and trigger it.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    status = actions.add_parser("status", help="every ended room and when it is deleted")
    add_json(status)
    status.set_defaults(handler=retention_status)

    run = actions.add_parser("run", help="delete every room past its deletion date now")
    run.add_argument("--dry-run", action="store_true",
                     help="only say what would be deleted; change nothing")
    add_json(run)
    run.set_defaults(handler=retention_run)


async def retention_status(ctx: CommandContext, args: argparse.Namespace) -> int:
    schedule = await ctx.services.retention_task.status(ctx.actor)
    if args.json:
        ctx.json([{"booking": s.booking_id, "ended": stamp(s.ended),
                   "deletes_at": stamp(s.deletes_at), "due": s.due} for s in schedule])
        return 0
    ctx.table(["BOOKING", "ENDED (BERLIN)", "DELETED AT (BERLIN)", "STATUS"],
              [[s.booking_id, berlin_minute(s.ended), berlin_minute(s.deletes_at),
                "due now" if s.due else "waiting"] for s in schedule])
    return 0


async def retention_run(ctx: CommandContext, args: argparse.Namespace) -> int:
    result = await ctx.services.retention_task.run_now(ctx.actor, dry_run=args.dry_run)
    others = result.others
    if args.json:
        document: dict[str, object] = {"dry_run": args.dry_run, "rooms": result.rooms,
                                       "messages": result.messages}
        if others is not None:
            document.update(requests=others.requests, accounts=others.accounts,
                            audit_entries=others.audit_entries,
                            ledger_entries=others.ledger_entries)
        ctx.json(document)
        return 0
    verb = "would delete" if args.dry_run else "deleted"
    ctx.out(f"{verb} {len(result.rooms)} rooms with {result.messages} messages")
    if others is not None and (others.requests or others.accounts or others.audit_entries
                               or others.ledger_entries):
        ctx.out(f"deleted {len(others.requests)} unmatched requests, {len(others.accounts)} "
                f"unused client accounts, {others.audit_entries} audit entries and "
                f"{others.ledger_entries} erasure ledger entries past their limits")
    return 0
