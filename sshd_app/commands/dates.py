"""Dates on the admin command line: ISO 8601 in, read and shown as Europe/Berlin time."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from store.clock import BERLIN, berlin


def date_argument(text: str) -> datetime:
    """YYYY-MM-DD is midnight at the start of that day in Berlin; a date-time without an
    offset is Berlin time; one with an offset is taken as given."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), BERLIN).astimezone(UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """The JSON form of a moment: ISO 8601 with the Berlin offset, to the second."""
    return berlin(moment).isoformat(timespec="seconds")
