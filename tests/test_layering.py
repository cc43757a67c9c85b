"""The layers keep pointing down: `store/` knows nothing of the SSH edge, the screens or the
libraries they use, and the screens and the exec commands do not reach into each other.

Read from the source (every import statement, at any depth in a module), so an import hidden
inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> the top-level packages (or dotted prefixes) it must never import
FORBIDDEN = {
    "store": ("tui", "sshd_app", "textual", "asyncssh"),
    "tui": ("sshd_app.commands",),
    "sshd_app/commands": ("tui",),
}


def imported_names(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def breaks(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    lines = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for lineno, name in imported_names(path):
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                lines.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    return lines


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_points_up_or_across(folder):
    found = breaks(folder, FORBIDDEN[folder])
    assert not found, "\n".join(found)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from textual.app import App\n    import asyncssh\n")
    assert [name for _line, name in imported_names(module)] == ["textual.app", "asyncssh"]
