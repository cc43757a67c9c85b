"""Dates on the admin command line: ISO 8601 in, read and shown as Europe/Berlin time."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from store.clock import BERLIN, berlin

# Far enough apart for any booking or audit query, and far from datetime's limits, so adding a
# booking's weeks or converting to UTC can never overflow.
FIRST_YEAR, LAST_YEAR = 1970, 9000


def date_argument(text: str) -> datetime:
    """YYYY-MM-DD is midnight at the start of that day in Berlin; a date-time without an
    offset is Berlin time; one with an offset is taken as given."""
    try:
        moment = datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: use a year from {FIRST_YEAR} to {LAST_YEAR}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """The JSON form of a moment: ISO 8601 with the Berlin offset, to the second."""
    return berlin(moment).isoformat(timespec="seconds")
