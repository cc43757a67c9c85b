"""`wardroom serve --demo`: a living ward room on a new database, one minute after cloning.

Seeds fixed demo accounts (their password is printed, so never use --demo with real people's
data) and refuses any database that holds an account not created here.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from store.accounts.roles import Role
from store.services import Services
from tui.ssh_command import ssh_command

DEMO_PASSWORD = "demo-passwort"
DEMO_ACCOUNTS = (
    ("demo-admin", Role.ADMIN, "staff; add 'admin --help' for the staff commands"),
    ("demo-beraterin", Role.COUNSELLOR, "counsellor: dashboard, Enter opens the room"),
    ("demo-klientin", Role.CLIENT, "client: lands straight in her ward room"),
    ("demo-neu", Role.CLIENT, "client with an open request, waiting to be matched"),
)
DEMO_NAMES = frozenset(name for name, _role, _what in DEMO_ACCOUNTS)
DEMO_CONVERSATION = (
    ("demo-klientin", "Guten Morgen! Die erste Woche zu Hause war anstrengender als gedacht."),
    ("demo-beraterin", "Guten Morgen. Das ist nach der Klinik ganz normal. Was war am "
                       "schwersten?"),
    ("demo-klientin", "Die Treppen. Und dass ich so schnell müde werde."),
    ("demo-beraterin", "Dann planen wir kleine Schritte: jeden Tag ein Stockwerk mehr.\n"
                       "Schreiben Sie mir morgen, wie es ging?"),
)


class DemoRefused(Exception):
    """The database holds accounts that are not the demo's: it may hold real people's data."""


async def prepare_demo(services: Services) -> None:
    """Seed a new database; leave an already seeded demo as it is; refuse anything else."""
    accounts = await services.accounts.list()
    strangers = {a.username for a in accounts} - DEMO_NAMES
    if strangers:
        raise DemoRefused("--demo refused: this database holds accounts that are not demo "
                          "accounts; start the demo with a new --db file")
    if not accounts:
        await _seed(services)


async def _seed(services: Services) -> None:
    made = {}
    current = await services.policy.current()
    for name, role, _what in DEMO_ACCOUNTS:
        made[name] = await services.accounts.create(name, role, DEMO_PASSWORD)
        await services.policy.accept(made[name], current)
        # The demo shows the service in use: its people have noted their recovery codes.
        login = await services.accounts.authenticate(name, DEMO_PASSWORD)
        assert login is not None
        await services.account_keys.recovery_code_shown(login.keys)
    request = await services.requests.file(
        made["demo-klientin"], "Nach der Reha fällt mir der Alltag schwer; ich möchte "
                               "Begleitung für die ersten Wochen zu Hause.")
    booking = await services.bookings.create(
        made["demo-admin"], "demo-klientin", "demo-beraterin", weeks=4,
        start=services.clock.now() - timedelta(days=1), request_id=request.id)
    for sender, text in DEMO_CONVERSATION:
        login = await services.accounts.authenticate(sender, DEMO_PASSWORD)
        assert login is not None
        await services.rooms.post(login.account, booking.id, text, login.keys)
    await services.requests.file(made["demo-neu"], "Ich bin seit einer Woche aus dem "
                                                   "Krankenhaus zurück und suche Unterstützung.")


def print_logins(address: str) -> None:
    """The demo's logins, as commands for `address` (HOST:PORT, Settings.ssh_address)."""
    lines = [f"wardroom demo: every demo account's password is {DEMO_PASSWORD!r}"]
    for name, _role, what in DEMO_ACCOUNTS:
        lines.append(f"  {ssh_command(address, name)}    # {what}")
    lines.append(f"  {ssh_command(address, 'register')}    # register a new client account")
    print("\n".join(lines), file=sys.stdout, flush=True)
