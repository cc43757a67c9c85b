"""`admin stats [--days N]`: the anonymous access statistics, as aggregates only."""

from __future__ import annotations

import argparse

from sshd_app.commands.framework import CommandContext, add_json
from sshd_app.exit_codes import EXIT_OK
from store.statistics import MIN_COUNT

DEFAULT_DAYS = 30


def register(subparsers: argparse._SubParsersAction) -> None:
    stats = subparsers.add_parser(
        "stats", help="screen views and visits per day, typical paths (aggregates only)",
        description="Anonymous access statistics: views per screen per day, visits per day "
                    "and the most frequent steps from one screen to the next. Days are "
                    "Europe/Berlin dates; the window ends today. Counts below "
                    f"{MIN_COUNT} are not shown (in JSON: a day's visits are null).")
    stats.add_argument("--days", type=int, default=DEFAULT_DAYS, metavar="N",
                       help=f"how many days back, today included (default {DEFAULT_DAYS})")
    add_json(stats)
    stats.set_defaults(handler=show_stats)


async def show_stats(ctx: CommandContext, args: argparse.Namespace) -> int:
    report = await ctx.services.statistics.report(ctx.actor, args.days)
    if args.json:
        ctx.json(report.as_json())
        return EXIT_OK
    ctx.out(f"Access statistics {report.first_day} to {report.last_day} (Europe/Berlin)")
    ctx.out()
    ctx.out("Visits per day")
    ctx.table(("date", "visits"), [(d.date, "<" + str(MIN_COUNT) if d.visits is None
                                    else d.visits) for d in report.visits if d.visits != 0])
    ctx.out()
    ctx.out("Views per screen per day")
    ctx.table(("date", "screen", "views"), [(v.date, v.screen, v.views) for v in report.views])
    ctx.out()
    ctx.out("Typical paths")
    ctx.table(("from", "to", "count"), [(p.source, p.target, p.count) for p in report.paths])
    ctx.out()
    ctx.out(f"Counts below {MIN_COUNT} are not shown: they could describe one person.")
    return EXIT_OK
