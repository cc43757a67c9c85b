"""docs/admin.md stays true: every admin command it shows is one the tree accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

from sshd_app.commands.framework import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin.md"


def documented_commands() -> list[list[str]]:
    """The words after `admin` in every command line of the document's sh blocks."""
    commands, in_sh = [], False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_sh = line == "```sh"
            continue
        if in_sh and " admin " in line:
            words = shlex.split(line.split("#", 1)[0].split("|")[-1])
            commands.append(words[words.index("admin") + 1:])
    return commands


def test_every_documented_command_parses():
    commands = documented_commands()
    assert len(commands) >= 12
    for words in commands:
        if words and words[0] == "--db":
            words = words[2:]
        if words == ["COMMAND", "…"]:
            continue
        args = build_parser().parse_args(words)
        assert getattr(args, "handler", None) is not None, words
