"""`admin booking …`: create, list, end and extend bookings (who and when; never room content)."""

from __future__ import annotations

import argparse

from sshd_app.commands.dates import date_argument, stamp
from sshd_app.commands.framework import CommandContext, add_json, record_id
from store.clock import berlin_minute


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("booking", help="bookings: create, list, end, extend")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create", help="book a counsellor for a client (e.g. after a phone intake)",
        description="Create a booking and print its id. DATE is ISO 8601, Berlin time.")
    create.add_argument("client", metavar="CLIENT")
    create.add_argument("counsellor", metavar="COUNSELLOR")
    create.add_argument("--weeks", type=int, required=True, metavar="N")
    create.add_argument("--start", type=date_argument, metavar="DATE",
                        help="when it starts (default: now); YYYY-MM-DD is midnight, Berlin")
    add_json(create)
    create.set_defaults(handler=create_booking)

    listing = actions.add_parser("list", help="current, upcoming and recently ended bookings")
    add_json(listing)
    listing.set_defaults(handler=list_bookings)

    end = actions.add_parser("end", help="end a booking now; the counsellor loses access")
    end.add_argument("booking_id", metavar="ID", type=record_id)
    end.set_defaults(handler=end_booking)

    extend = actions.add_parser("extend", help="move a booking's end later")
    extend.add_argument("booking_id", metavar="ID", type=record_id)
    extend.add_argument("--until", type=date_argument, required=True, metavar="DATE",
                        help="the new end; YYYY-MM-DD is midnight at its start, Berlin time")
    extend.set_defaults(handler=extend_booking)


async def create_booking(ctx: CommandContext, args: argparse.Namespace) -> int:
    booking = await ctx.services.bookings.create(ctx.actor, args.client, args.counsellor,
                                                 args.weeks, start=args.start)
    if args.json:
        ctx.json({"id": booking.id})
    else:
        ctx.out(str(booking.id))
    return 0


async def list_bookings(ctx: CommandContext, args: argparse.Namespace) -> int:
    bookings = await ctx.services.bookings.staff_listing(ctx.actor)
    now = ctx.services.clock.now()
    if args.json:
        ctx.json([{
            "id": b.id, "client": b.client_username, "counsellor": b.counsellor_username,
            "start": stamp(b.starts_at), "end": stamp(b.ends_at), "state": b.state(now).value,
            "ended_early": b.ended_early,
        } for b in bookings])
        return 0
    ctx.table(["ID", "STATE", "START (BERLIN)", "END (BERLIN)", "CLIENT", "COUNSELLOR"],
              [[b.id, b.state(now).value, berlin_minute(b.starts_at), berlin_minute(b.ends_at),
                b.client_username, b.counsellor_username] for b in bookings])
    return 0


async def end_booking(ctx: CommandContext, args: argparse.Namespace) -> int:
    booking = await ctx.services.bookings.end(ctx.actor, args.booking_id)
    ctx.out(f"booking {booking.id} ended {berlin_minute(booking.ends_at)} (Europe/Berlin)")
    return 0


async def extend_booking(ctx: CommandContext, args: argparse.Namespace) -> int:
    booking = await ctx.services.bookings.extend(ctx.actor, args.booking_id, args.until)
    ctx.out(f"booking {booking.id} now ends {berlin_minute(booking.ends_at)} (Europe/Berlin)")
    return 0
