"""The command registry: every command SPEC names is listed once, every command module is
listed, and the admin tree is the same whatever was imported before it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from sshd_app.commands import registry
from sshd_app.commands.framework import build_parser

# SPEC, "How people connect" and "Admin subcommands", word for word.
SPEC_EXEC_COMMANDS = {"admin", "export"}
SPEC_ADMIN_COMMANDS = [
    ("user", "add"), ("user", "list"), ("user", "disable"), ("user", "enable"),
    ("user", "reset-password"), ("user", "erase"), ("user", "export"), ("user", "grant"),
    ("user", "revoke"), ("request", "list"), ("match",), ("booking", "create"),
    ("booking", "list"), ("booking", "end"), ("booking", "extend"), ("retention", "status"),
    ("retention", "run"), ("stats",), ("audit",), ("policy", "show"), ("policy", "publish"),
    ("policy", "status"), ("backup", "create"), ("backup", "list"),
]
COMMANDS_DIR = Path(registry.__file__).parent
# The tree's toolkit and helpers: modules that define no command.
NOT_COMMANDS = {"__init__", "framework", "registry", "dates"}


def _tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every runnable command path of the admin tree, e.g. ("user", "add")."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return {path}
    return {leaf for name, child in subparsers[0].choices.items()
            for leaf in _tree(child, (*path, name))}


def test_the_exec_commands_are_the_ones_spec_names():
    assert set(registry.EXEC_COMMANDS) == SPEC_EXEC_COMMANDS


def test_every_admin_command_spec_names_is_in_the_tree():
    tree = _tree(build_parser())
    missing = [" ".join(words) for words in SPEC_ADMIN_COMMANDS if words not in tree]
    assert not missing, f"SPEC names admin commands the tree lacks: {missing}"


def test_every_command_module_is_listed_in_the_registry():
    listed = {handler.__module__ for handler in registry.EXEC_COMMANDS.values()}
    listed |= {register.__module__ for register in registry.ADMIN_GROUPS}
    modules = {f"sshd_app.commands.{path.stem}" for path in COMMANDS_DIR.glob("*.py")
               if path.stem not in NOT_COMMANDS}
    assert modules == listed
    assert len(registry.ADMIN_GROUPS) == len(set(registry.ADMIN_GROUPS))


def _help_after_importing(module: str) -> str:
    code = (f"import {module}\n"
            "from sshd_app.commands.framework import build_parser\n"
            "print(build_parser().format_help())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_the_tree_is_the_same_over_ssh_and_on_the_host():
    """The server imports the backup group early (its schedule checks the settings); the
    order of `admin --help` must not depend on that, as it did when groups registered
    themselves on import."""
    assert _help_after_importing("sshd_app.server") == _help_after_importing("sshd_app.cli")
