"""`admin policy show|status|publish`: the versions of the privacy notice, who accepted them.

Over SSH the text comes only on standard input (`-`): the server process could read any file
it may (host keys, its environment) and publish it to everyone, so a path is refused.
`ssh ADMIN@HOST admin policy publish - --version 2 < notice.md`. The operator's local
`wardroom admin … policy publish FILE` on the host still reads a file.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sshd_app.commands.framework import CommandContext, CommandFailed, add_json
from sshd_app.exit_codes import EXIT_OK, EXIT_USAGE
from store.accounts.roles import Role
from store.errors import Invalid

MAX_NOTICE_BYTES = 1024 * 1024
_PLURAL = {Role.CLIENT: "clients", Role.COUNSELLOR: "counsellors", Role.ADMIN: "staff"}


def register(subparsers: argparse._SubParsersAction) -> None:
    policy = subparsers.add_parser(
        "policy", help="the privacy notice, its versions and who accepted them (counts)")
    sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)

    show = sub.add_parser("show", help="the current notice and every published version")
    add_json(show)
    show.set_defaults(handler=show_policy)

    status = sub.add_parser(
        "status", help="how many accounts of each role accepted each version (counts only)")
    add_json(status)
    status.set_defaults(handler=policy_status)

    publish = sub.add_parser(
        "publish", help="publish a new version; everyone must accept it at their next login",
        description="Publish a new version of the privacy notice (UTF-8 text, Markdown). "
                    "'-' reads standard input (over SSH only '-': pipe the file in); FILE, a "
                    "path, is read only by `wardroom admin` on the host. The version must be "
                    "newer than the current one.")
    publish.add_argument("file", metavar="FILE",
                         help="- for stdin; a path only with `wardroom admin` on the host")
    publish.add_argument("--version", required=True, metavar="V",
                         help="version number, e.g. 2 or 2.1; higher than the current one")
    add_json(publish)
    publish.set_defaults(handler=publish_policy)


async def show_policy(ctx: CommandContext, args: argparse.Namespace) -> int:
    history = await ctx.services.policy.history(ctx.actor)
    current, _ = history[-1]
    if args.json:
        ctx.json({
            "current": {"version": current.label, "published_at": current.published_at,
                        "text": current.body, "text_en": current.body_en},
            "versions": [{"version": v.label, "published_at": v.published_at,
                          "accepted_by": accepted} for v, accepted in history],
        })
        return EXIT_OK
    ctx.table(("version", "published", "accepted by"),
              [(v.label, v.published_at, accepted) for v, accepted in history])
    ctx.out()
    ctx.out(f"Current version {current.label}:")
    ctx.out()
    ctx.write(current.body)
    return EXIT_OK


async def policy_status(ctx: CommandContext, args: argparse.Namespace) -> int:
    counts = await ctx.services.policy.acceptance_counts(ctx.actor)
    totals = {role: len(await ctx.services.accounts.list(role)) for role in Role}
    current, accepted_current = counts[-1]
    if args.json:
        ctx.json({
            "current": current.label,
            "versions": [{"version": v.label, "published_at": v.published_at,
                          "accepted": {role.value: n[role] for role in Role}}
                         for v, n in counts],
            "not_yet_accepted_current": {role.value: totals[role] - accepted_current[role]
                                         for role in Role},
        })
        return EXIT_OK
    ctx.table(("version", "published", "clients", "counsellors", "staff"),
              [(v.label, v.published_at, *(n[role] for role in Role)) for v, n in counts])
    ctx.out()
    ctx.out(f"Not yet accepted the current version {current.label}: " + ", ".join(
        f"{totals[role] - accepted_current[role]} {_PLURAL[role]}" for role in Role))
    return EXIT_OK


async def publish_policy(ctx: CommandContext, args: argparse.Namespace) -> int:
    if args.file != "-" and not ctx.local:
        ctx.write_error("admin: over SSH the notice comes on standard input: "
                        "policy publish - --version V < FILE; nothing was published\n")
        return EXIT_USAGE
    text = await _read_notice(ctx, args.file)
    version = await ctx.services.policy.publish(ctx.actor, args.version, text)
    if args.json:
        ctx.json({"id": version.id})
    else:
        ctx.out(str(version.id))
    return EXIT_OK


async def _read_notice(ctx: CommandContext, name: str) -> str:
    if name == "-":
        lines: list[str] = []
        size = 0
        while (line := await ctx.read_line()) is not None:
            size += len(line) + 1
            if size > MAX_NOTICE_BYTES:
                raise Invalid("the notice is too long; nothing was published")
            lines.append(line)
        return "\n".join(lines)
    try:
        data = await asyncio.to_thread(_read_file, Path(name))
    except OSError as error:
        raise CommandFailed(f"cannot read {name}: {error.strerror or error}; "
                            "nothing was published") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(f"{name} is not valid UTF-8 text; nothing was published") from error


def _read_file(path: Path) -> bytes:
    """Only a regular file of sensible size: never a device, a pipe or a directory."""
    info = path.stat()
    if not path.is_file():
        raise OSError(0, "not a regular file")
    if info.st_size > MAX_NOTICE_BYTES:
        raise OSError(0, "file too large for a notice")
    return path.read_bytes()
