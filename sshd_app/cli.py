"""The `wardroom` command: serve, create-admin, and the local admin commands."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sshd_app import __version__
from sshd_app.config import (
    ConfigError,
    Settings,
    describe,
    load_settings,
    storage_limits,
    write_default_config,
)
from sshd_app.logging_setup import configure_logging
from store.accounts.accounts import AccountExists
from store.accounts.passwords import MIN_PASSWORD_LENGTH, PasswordVault, WeakPassword
from store.accounts.roles import Role
from store.accounts.usernames import InvalidUsername
from store.clock import Clock
from store.database import DatabaseError
from store.database_lock import DatabaseInUse, holding
from store.hub.hub import Hub
from store.services import Services

if TYPE_CHECKING:
    from store.hub.node_bus import NodeBus

log = logging.getLogger("wardroom")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wardroom", description="wardroom: recovery counselling in the terminal, over SSH."
    )
    parser.add_argument("--version", action="version", version=f"wardroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the SSH server")
    serve.add_argument("--listen", metavar="HOST:PORT", help="default 127.0.0.1:2222")
    serve.add_argument("--db", metavar="PATH", help="SQLite database (default wardroom.db)")
    serve.add_argument("--host-keys", metavar="DIR", help="host key folder (default host_keys/)")
    serve.add_argument("--config", metavar="FILE", help="TOML configuration file")
    serve.add_argument("--demo", action="store_true",
                       help="seed demo accounts and a living ward room (new database only)")
    serve.add_argument("--workers", metavar="N",
                       help="server processes sharing the port (default: the number of cores, "
                            f"{Settings.workers} here)")

    admin = sub.add_parser("create-admin", help="create the first staff account")
    admin.add_argument("name", metavar="NAME")
    admin.add_argument("--db", metavar="PATH")
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")

    config = sub.add_parser("config", help="show the effective settings")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    show = config_sub.add_parser("show", help="each setting, its value and where it came from")
    for flag, metavar in (("--config", "FILE"), ("--db", "PATH"), ("--listen", "HOST:PORT"),
                          ("--host-keys", "DIR"), ("--workers", "N")):
        show.add_argument(flag, metavar=metavar)
    show.add_argument("--json", action="store_true", help="as a JSON object")

    keygen = sub.add_parser(
        "keygen", help="make a backup identity: print it once, add only its recipient to the "
                       "recipients file")
    keygen.add_argument("--key-file", metavar="FILE",
                        help="the recipients file (default: backup_key_file of the settings); "
                             "outside the database directory and the destinations")
    keygen.add_argument("--recipient", metavar="AGE1…",
                        help="add this existing age recipient instead of making an identity")
    keygen.add_argument("--db", metavar="PATH")
    keygen.add_argument("--config", metavar="FILE")

    restore = sub.add_parser(
        "restore", help="restore a backup with the server stopped, then replay erasures "
                        "and retention")
    restore.add_argument("backup", metavar="BACKUP", help="a wardroom-<id>.backup file")
    restore.add_argument("--db", metavar="PATH")
    restore.add_argument("--identity", metavar="FILE",
                         help="the offline age identity file ('-': read it from standard "
                              "input)")
    restore.add_argument("--old-key", metavar="FILE",
                         help="for a backup made before backups were age files: the old "
                              "backup key file")
    restore.add_argument("--config", metavar="FILE")
    restore.add_argument("--without-ledger", action="store_true",
                         help="the database is lost: restore without replaying its erasure "
                              "ledger (see docs/backup-runbook.md)")

    sub.add_parser("admin", add_help=False,
                   help="staff commands against the database on this host: "
                        "wardroom admin [--db PATH] COMMAND … (see: wardroom admin --help)")
    return parser


def _split_admin(argv: list[str]) -> tuple[str | None, list[str]]:
    """`wardroom admin [--db PATH] …`: take --db, hand everything else to the admin tree."""
    db, rest, words = None, argv[1:], []
    while rest:
        word = rest.pop(0)
        if word == "--db" and rest:
            db = rest.pop(0)
        elif word.startswith("--db="):
            db = word.split("=", 1)[1]
        else:
            words.append(word)
    return db, words


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    configure_logging()
    if argv and argv[0] == "admin":
        db, words = _split_admin(argv)
        try:
            settings = load_settings(flags={"db": db})
            with holding(settings.db):
                return asyncio.run(local_admin(settings, words))
        except ConfigError as error:
            print(f"wardroom: {error}", file=sys.stderr)
            return 2
        except DatabaseInUse as error:
            print(f"wardroom: {error}", file=sys.stderr)
            return 1
        except DatabaseError as error:
            print(f"wardroom: {error}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            settings = load_settings(args.config, flags=_serve_flags(args))
            with holding(settings.db):
                return asyncio.run(serve(settings, demo=args.demo))
        if args.command == "create-admin":
            settings = load_settings(flags={"db": args.db})
            with holding(settings.db):
                return asyncio.run(create_admin(settings, args.name, args.password_stdin))
        if args.command == "config":
            settings = load_settings(args.config, flags=_serve_flags(args))
            sys.stdout.write(describe(settings, as_json=args.json))
            return 0
        if args.command == "keygen":
            from sshd_app.keygen_and_restore import keygen

            return keygen(load_settings(args.config, flags={"db": args.db,
                                                            "backup_key_file": args.key_file}),
                          args.recipient)
        if args.command == "restore":
            from sshd_app.keygen_and_restore import restore_backup

            return asyncio.run(restore_backup(load_settings(args.config, flags={"db": args.db}),
                                              Path(args.backup), args.identity, args.old_key,
                                              args.without_ledger))
    except ConfigError as error:
        print(f"wardroom: {error}", file=sys.stderr)
        return 2
    except DatabaseInUse as error:
        print(f"wardroom: {error}", file=sys.stderr)
        return 1
    except DatabaseError as error:  # a wrong URL, no server, refused credentials
        print(f"wardroom: {error}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def _serve_flags(args: argparse.Namespace) -> dict[str, str | None]:
    """The flags of `serve`, which `config show` takes too, to show what serve would use."""
    return {"listen": args.listen, "db": args.db, "host_keys": args.host_keys,
            "workers": args.workers}


async def serve(settings: Settings, demo: bool = False) -> int:
    from sshd_app.collector import tune_for_sessions
    from sshd_app.demo import print_logins
    from sshd_app.server import WardroomServer, install_library_patches, stop_requested
    from sshd_app.workers import WorkerPool
    from store.hub.relay import RelayHub, hub_socket_path

    install_library_patches()
    written = write_default_config(settings)
    if written is not None:
        log.info("wrote the default configuration to %s (all settings commented out)", written)
    elif settings.config_file is not None:
        log.info("configuration from %s", settings.config_file)
    # The relay links this process's hub with the workers' (which serve the sessions then,
    # while this one runs the schedules) and with `wardroom admin` run on the host.
    relay = RelayHub()
    services = await Services.open(settings.db, hub=relay, limits=storage_limits(settings))
    bus = await link_nodes(relay, services)
    await relay.listen(hub_socket_path(settings.db))
    if demo:
        from sshd_app.demo import DemoRefused, prepare_demo

        try:
            await prepare_demo(services)
        except DemoRefused as refused:
            print(f"wardroom: {refused}", file=sys.stderr)
            await relay.close()
            if bus is not None:
                await bus.close()
            await services.close()
            return 1
        if settings.sources.get("second_factor_required", "default") == "default":
            # The demo is for looking around in a minute; its passwords are public anyway.
            settings.second_factor_required = False
            settings.sources["second_factor_required"] = "--demo"
            log.warning("demo: second factor not required (set second_factor_required to "
                        "keep it)")
    server = (WardroomServer(settings, services) if settings.workers == 1
              else WorkerPool(settings, services, settings.workers))
    stop = stop_requested()
    try:
        await server.start()
        if demo:
            # Only now: an `ssh` typed as soon as the logins show must find the port open.
            print_logins(server.settings.ssh_address)
        tune_for_sessions()
        lost = bus.lost if bus is not None else asyncio.Event()
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(lost.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        if lost.is_set():
            # Deaf to the other nodes, this one would show rooms that miss their messages:
            # it stops, users are told, and the supervisor starts it again.
            log.error("lost the connection that links this node to the others: stopping")
        log.info("shutting down")
        await server.stop()
    finally:
        await relay.close()
        if bus is not None:
            await bus.close()
        await services.close()
    return 1 if bus is not None and bus.lost.is_set() and not stop.is_set() else 0


async def link_nodes(hub: Hub, services: Services, listens: bool = True) -> NodeBus | None:
    """On PostgreSQL: link this node's hub with the other nodes' (None on SQLite)."""
    if services.db.backend != "postgresql":
        return None
    from store.hub.node_bus import NodeBus

    return await NodeBus.link(hub, services.db.target, services.rooms.sealed_message,
                              listens=listens)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password (at least {MIN_PASSWORD_LENGTH} characters): ")
    if getpass.getpass("Repeat password: ") != first:
        raise WeakPassword("mismatch")
    return first


async def create_admin(settings: Settings, name: str, password_stdin: bool) -> int:
    services = await Services.open(settings.db)
    try:
        try:
            password = _read_password(password_stdin)
            account = await services.accounts.create(name, Role.ADMIN, password)
        except InvalidUsername:
            print("wardroom: invalid username: use 3-32 of a-z 0-9 . _ -", file=sys.stderr)
            return 1
        except WeakPassword:
            print(f"wardroom: password refused: at least {MIN_PASSWORD_LENGTH} characters, "
                  "typed the same twice", file=sys.stderr)
            return 1
        except AccountExists:
            print(f"wardroom: username {name!r} is not available", file=sys.stderr)
            return 1
        print(account.id)
        log.info("created admin account %d", account.id)
        return 0
    finally:
        await services.close()


async def local_admin(settings: Settings, words: list[str], *, clock: Clock | None = None,
                      vault: PasswordVault | None = None) -> int:
    """`wardroom admin …` on the host: the same tree, acting as the local operator."""
    from sshd_app.commands.framework import CommandContext, run_admin
    from store.accounts.accounts import Account
    from store.accounts.scopes import ALL_SCOPES
    from store.hub.relay import LinkedHub

    # Linked to a running server, so what the command changes reaches open sessions at once
    # (a counsellor whose booking ended, a disabled or erased account).
    hub = await LinkedHub.to_server_of(settings.db)
    services = await Services.open(settings.db, clock=clock, vault=vault, hub=hub,
                                   limits=storage_limits(settings))
    # On PostgreSQL the sessions of every node hear it through the database instead.
    bus = await link_nodes(hub, services, listens=False)
    try:
        operator = Account(id=0, username=f"host:{getpass.getuser()}", role=Role.ADMIN,
                           must_change_password=False, disabled=False, language="en",
                           created_at="", scopes=ALL_SCOPES)

        async def read_line() -> str | None:
            line = sys.stdin.readline()
            return line.rstrip("\r\n") if line else None

        ctx = CommandContext(actor=operator, services=services, local=True,
                             write=sys.stdout.write, write_error=sys.stderr.write,
                             read_line=read_line, settings=settings)
        return await run_admin(words, ctx)
    finally:
        if bus is not None:
            await bus.close()
        await services.close()
        if isinstance(hub, LinkedHub):
            await hub.close()


if __name__ == "__main__":
    os._exit(main())
