"""`admin match REQUEST_ID COUNSELLOR --weeks N`: turn a client's open request into a booking."""

from __future__ import annotations

import argparse

from sshd_app.commands.framework import CommandContext, add_json, record_id


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "match", help="book a counsellor for an open request; prints the booking id",
        description="Create a booking from a client's open request; it starts now.")
    parser.add_argument("request_id", metavar="REQUEST_ID", type=record_id)
    parser.add_argument("counsellor", metavar="COUNSELLOR")
    parser.add_argument("--weeks", type=int, required=True, metavar="N",
                        help="length of the booking in weeks")
    add_json(parser)
    parser.set_defaults(handler=match)


async def match(ctx: CommandContext, args: argparse.Namespace) -> int:
    services = ctx.services
    request = await services.requests.read(ctx.actor, args.request_id)
    booking = await services.bookings.create(ctx.actor, request.client_username,
                                             args.counsellor, args.weeks, request_id=request.id)
    if args.json:
        ctx.json({"id": booking.id})
    else:
        ctx.out(str(booking.id))
    return 0
