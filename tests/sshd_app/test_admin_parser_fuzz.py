"""Random command lines into the admin tree: a clean exit code every time, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sshd_app.commands.framework import CommandContext, run_admin
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.services import Services
from tests.conftest import PASSWORD, START

WORDS = ["user", "add", "list", "disable", "enable", "reset-password", "reset-2fa", "erase",
         "request", "match", "booking", "create", "end", "extend", "audit", "policy", "show",
         "publish", "stats", "retention", "run", "status", "backup", "--json", "--role",
         "client", "counsellor", "admin", "--weeks", "--start", "--until", "--confirm",
         "--days", "--dry-run", "--version", "--password-stdin", "--help", "-h", "1", "0",
         "-1", "99999999999999999999", "2026-13-45", "2026-12-01", "anna", "kim", "boss",
         "--", "-", "=", "--json=1", "\x00", "\x1b[2J", "\u202e", "[/]"]
ARGV = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=7)
CLEAN_EXITS = {0, 1, 2, 77}


class Harness:
    """One event loop and database for all examples: each example is one admin command."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        self.services = self.loop.run_until_complete(
            Services.open(folder / "fuzz.db", clock=FrozenClock(START), vault=vault))
        self.actor = self.loop.run_until_complete(
            self.services.accounts.create("boss", Role.ADMIN, PASSWORD))
        for name, role in (("anna", Role.CLIENT), ("kim", Role.COUNSELLOR)):
            self.loop.run_until_complete(self.services.accounts.create(name, role, PASSWORD))

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        out: list[str] = []
        err: list[str] = []

        async def no_stdin() -> str | None:
            return None

        ctx = CommandContext(actor=self.actor, services=self.services, write=out.append,
                             write_error=err.append, read_line=no_stdin)
        status = self.loop.run_until_complete(asyncio.wait_for(run_admin(argv, ctx), 30))
        return status, "".join(out), "".join(err)

    def close(self) -> None:
        self.loop.run_until_complete(self.services.close())
        self.loop.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    built = Harness(tmp_path)
    yield built
    built.close()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=ARGV)
def test_random_argv_gets_a_clean_exit(harness: Harness, argv: list[str]):
    status, _out, err = harness.run(argv)
    assert status in CLEAN_EXITS, (argv, status, err)
    assert "Traceback" not in err
    assert "\x1b" not in err and "\u202e" not in err  # echoed input is sanitised

