"""The admin command tree: one parser, used over `ssh … admin` and by `wardroom admin`.

Each group module defines `register(subparsers)` and handlers `async def run(ctx, args) -> int`;
sshd_app/commands/registry.py lists the groups.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len, set_cell_size

from sshd_app.config import Settings
from sshd_app.exit_codes import EXIT_FAILED, EXIT_NOT_PERMITTED, EXIT_OK, EXIT_USAGE
from store.accounts.accounts import Account
from store.errors import Invalid, NotFound, NotPermitted
from store.services import Services
from store.text import sanitize_line

Handler = Callable[["CommandContext", argparse.Namespace], Awaitable[int]]


class UsageError(Exception):
    """Bad command line: exit 2 with usage."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class HelpShown(Exception):
    def __init__(self, text: str) -> None:
        super().__init__("help")
        self.text = text


class CommandFailed(Exception):
    """The command could not be done: exit 1 with this one line; nothing was changed."""


@dataclass
class CommandContext:
    actor: Account  # over SSH the staff account; locally a stand-in named host:<user>
    services: Services
    write: Callable[[str], None]
    write_error: Callable[[str], None]
    read_line: Callable[[], Awaitable[str | None]]
    local: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    settings: Settings | None = None  # the server's, or those `wardroom admin` read

    def out(self, text: str = "") -> None:
        self.write(text + "\n")

    def json(self, value: Any) -> None:
        self.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              max_width: int = 80) -> None:
        """A plain table that fits `max_width` terminal cells: the widest columns are cut."""
        cells = [[sanitize_line(str(c)) for c in row] for row in rows]
        widths = [cell_len(h) for h in headers]
        for row in cells:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], cell_len(cell))
        floors = [min(w, max(cell_len(h), 6)) for w, h in zip(widths, headers, strict=True)]
        while sum(widths) + 2 * (len(widths) - 1) > max_width:
            widest = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
            if widths[widest] <= floors[widest]:
                break
            widths[widest] -= 1

        def line(values: Sequence[str]) -> str:
            parts = []
            for i, value in enumerate(values):
                if cell_len(value) > widths[i]:
                    value = set_cell_size(value, widths[i] - 1) + "…"
                parts.append(value + " " * (widths[i] - cell_len(value)))
            return "  ".join(parts).rstrip()

        self.out(line(headers))
        for row in cells:
            self.out(line(row))
        if not cells:
            self.out("(none)")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting the server process."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, self.format_usage())

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise UsageError(message or "", self.format_usage())

    def print_help(self, file: Any = None) -> None:
        raise HelpShown(self.format_help())


def build_parser() -> argparse.ArgumentParser:
    # The registry imports the group modules, which import this one: it is read when the
    # tree is built, not when this module loads.
    from sshd_app.commands.registry import ADMIN_GROUPS

    parser = _Parser(prog="admin", description="wardroom staff commands.",
                     exit_on_error=False)
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for register in ADMIN_GROUPS:
        register(sub)
    return parser


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def record_id(text: str) -> int:
    """An id argument: a positive whole number that fits SQLite's INTEGER, else a usage error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a positive whole number)")
    return value


async def run_admin(argv: Sequence[str], ctx: CommandContext) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except HelpShown as shown:
        ctx.write(shown.text)
        return EXIT_OK
    except UsageError as error:
        ctx.write_error(f"{error.usage}admin: error: {sanitize_line(str(error))}\n")
        return EXIT_USAGE
    except argparse.ArgumentError as error:
        ctx.write_error(f"{parser.format_usage()}admin: error: {sanitize_line(str(error))}\n")
        return EXIT_USAGE
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        ctx.write_error(parser.format_usage())
        return EXIT_USAGE
    try:
        return await handler(ctx, args)
    except NotPermitted as error:
        ctx.write_error(f"admin: not permitted: {sanitize_line(str(error))}\n")
        return EXIT_NOT_PERMITTED
    except (NotFound, LookupError) as error:
        ctx.write_error(f"admin: not found: {sanitize_line(str(error))}\n")
        return EXIT_FAILED
    except (Invalid, CommandFailed, ValueError) as error:
        ctx.write_error(f"admin: {sanitize_line(str(error))}\n")
        return EXIT_FAILED
