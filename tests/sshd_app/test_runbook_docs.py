"""docs/backup-runbook.md stays true: every `wardroom keygen|restore` it shows is one the CLI
accepts, and it shows how to open a backup with the standard age tools."""

from __future__ import annotations

import shlex
from pathlib import Path

from sshd_app.cli import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "backup-runbook.md"


def documented_commands() -> list[list[str]]:
    """The command lines of the runbook's sh blocks, continuations joined, up to a redirect."""
    commands, in_sh, pending = [], False, ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("```"):
            in_sh = line.strip() == "```sh"
            continue
        if not in_sh:
            continue
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        words = shlex.split(pending.split("#", 1)[0])
        pending = ""
        cut = next((i for i, word in enumerate(words) if word in ("<", ">")), len(words))
        commands.append(words[:cut])
    return commands


def test_every_keygen_and_restore_shown_parses():
    shown = [words[i:] for words in documented_commands() for i in range(1, len(words))
             if words[i - 1] == "wardroom" and words[i] in ("keygen", "restore")]
    assert {words[0] for words in shown} == {"keygen", "restore"}
    for words in shown:
        args = build_parser().parse_args(words)
        if args.command == "restore":
            assert (args.identity is None) != (args.old_key is None), words


def test_it_shows_a_decryption_with_age_and_rage():
    tools = {words[0] for words in documented_commands()
             if words and "--decrypt" in words and "--identity" in words}
    assert tools == {"age", "rage"}
