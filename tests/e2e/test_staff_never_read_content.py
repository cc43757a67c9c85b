"""Staff never read ward-room content: no admin command's output or log line holds message text.

A marker is posted in a room by both parties; then every command of the admin tree runs, over
SSH exec and locally, and none of their stdout, stderr or the server's log contains it.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sshd_app.commands.framework import build_parser
from sshd_app.config import Settings
from store.accounts.roles import Role
from store.backup.key import add_recipient, generate_identity
from store.clock import FrozenClock
from tests.conftest import RunningServer
from tests.sealed import post_as
from tests.sshd_app.admin_cli import STAFF, TRANSPORTS, AdminTransport, staff_transport

MARKER = "MARKER-ward-room-text-7f3a9c"
NOTICE = "# Datenschutzhinweise\n\nEine neue Fassung ohne Inhalte aus Stationszimmern.\n"

# Every command of the tree with the arguments it is run with, in this order (state builds up:
# the booking created here is extended and ended, the account added here is erased).
INVOCATIONS: list[tuple[str, ...]] = [
    ("--help",),
    ("user", "list"), ("user", "list", "--json"),
    ("user", "add", "emil", "--role", "client"),
    ("user", "disable", "emil"), ("user", "enable", "emil"),
    ("user", "reset-password", "emil"), ("user", "reset-2fa", "emil"),
    ("user", "erase", "emil", "--confirm", "emil"),
    ("user", "export", "carla"), ("user", "add", "clara", "--role", "admin"),
    ("user", "grant", "clara", "audit"), ("user", "revoke", "clara", "audit"),
    ("request", "list"), ("request", "list", "--json"),
    ("match", "1", "anna", "--weeks", "2"),
    ("booking", "list"), ("booking", "list", "--json"),
    ("booking", "create", "dora", "bert", "--weeks", "1"),
    ("booking", "extend", "3", "--until", "2027-01-10"),
    ("booking", "end", "3"),
    ("audit",), ("audit", "--json"), ("audit", "--since", "2026-11-01"),
    ("policy", "show"), ("policy", "show", "--json"),
    ("policy", "publish", "-", "--version", "2"),
    ("policy", "status"), ("policy", "status", "--json"),
    ("stats",), ("stats", "--json"),
    ("retention", "status"), ("retention", "status", "--json"),
    ("retention", "run", "--dry-run"), ("retention", "run"),
    ("backup", "list"), ("backup", "create"),
    ("seal", "status"), ("seal", "status", "--json"),
]


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path
        return
    for name, child in subparsers[0].choices.items():
        yield from leaves(child, (*path, name))


def test_every_admin_command_is_searched():
    commands = set(leaves(build_parser()))
    searched = {leaf for leaf in commands for argv in INVOCATIONS if argv[:len(leaf)] == leaf}
    missing = commands - searched
    assert not missing, f"add an invocation to INVOCATIONS for: {sorted(missing)}"


@pytest.fixture
def settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory,
             clock: FrozenClock) -> Settings:
    """Backups configured, so `backup create` and `backup list` really run."""
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    destination = tmp_path_factory.mktemp("backups")
    add_recipient(key_file, generate_identity().recipient, Path(settings.db), (destination,),
                  clock.now())
    settings.backup_destinations = (str(destination),)
    settings.backup_key_file = str(key_file)
    return settings


@pytest.fixture(params=TRANSPORTS)
async def admin(request: pytest.FixtureRequest,
                wardroom: RunningServer) -> AsyncIterator[AdminTransport]:
    """An active booking (carla with anna) whose room holds the marker from both sides, an
    open request from dora, and a second counsellor."""
    async with staff_transport(request.param, wardroom) as transport:
        services = wardroom.services
        staff = await services.accounts.by_username(STAFF)
        assert staff is not None
        for name, role in (("anna", Role.COUNSELLOR), ("bert", Role.COUNSELLOR),
                           ("carla", Role.CLIENT), ("dora", Role.CLIENT)):
            await wardroom.add_account(name, role)
        carla = await services.accounts.by_username("carla")
        anna = await services.accounts.by_username("anna")
        dora = await services.accounts.by_username("dora")
        assert carla and anna and dora
        booking = await services.bookings.create(staff, "carla", "anna", 4)
        await post_as(services, carla, booking.id, f"Ich schreibe {MARKER} hier")
        await post_as(services, anna, booking.id, f"Antwort mit {MARKER}")
        await services.requests.file(dora, "Bitte um Begleitung nach der Reha")
        yield transport


async def test_no_admin_command_shows_message_text(admin, caplog):
    caplog.set_level(logging.DEBUG)
    for argv in INVOCATIONS:
        # Time passes between commands (a backup is named by its second).
        admin.world.clock.advance(timedelta(minutes=1))
        stdin = NOTICE if "publish" in argv else None
        result = await admin.run(*argv, stdin=stdin)
        assert result.returncode == 0, f"{argv}: {result.stderr}"
        assert MARKER not in result.output, f"{argv} showed room content"
    assert MARKER not in caplog.text
