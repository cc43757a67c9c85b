"""The operator docs are checked against the code, so they cannot drift from it."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from sshd_app.cli import build_parser
from sshd_app.config import (
    EXPLANATIONS,
    MACHINE_DEFAULTS,
    SETTING_NAMES,
    ConfigError,
    Settings,
    _toml_value,
    env_name,
    load_settings,
)
from tui.app import WardroomApp

DOCS = Path(__file__).resolve().parents[2] / "docs"
OPS_PAGES = ("operator-guide.md", "configuration.md", "architecture.md", "user-guide.de.md",
             "user-guide.en.md")


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_configuration_reference_lists_exactly_the_settings_of_the_code():
    rows = re.findall(r"^\| `([a-z_]+)` \| (`.*?`|[^`|]+?) \| `(WARDROOM_[A-Z_]+)` \| (.*) \|$",
                      _read("configuration.md"), re.MULTILINE)
    # A default that depends on the machine is described, any other written as TOML.
    expected = [(name, MACHINE_DEFAULTS.get(name, f"`{_toml_value(getattr(Settings, name))}`"),
                 env_name(name), EXPLANATIONS[name]) for name in SETTING_NAMES]
    table = "\n".join(f"| `{n}` | {d} | `{e}` | {x} |" for n, d, e, x in expected)
    assert rows == expected, f"docs/configuration.md's table should read:\n{table}"


def test_configuration_examples_are_accepted(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", _read("configuration.md"), re.DOTALL)
    assert blocks
    for block in blocks:
        path = tmp_path / "example.toml"
        path.write_text(block)
        load_settings(str(path), environ={})


def test_configuration_error_examples_are_the_real_messages(tmp_path):
    text = _read("configuration.md")
    config = tmp_path / "wardroom.toml"
    config.write_text("login_timeout_seconds = 300\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(str(config), environ={})
    shown = f"wardroom: {raised.value}".replace(str(config), "/etc/wardroom/wardroom.toml")
    assert shown in text
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"WARDROOM_PQ_ONLY": "maybe"})
    assert f"wardroom: {raised.value}" in text


def _exec_start() -> list[str]:
    line = next(line for line in _read("wardroom.service").splitlines()
                if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_unit_starts_serve_with_flags_the_cli_knows(tmp_path):
    program, *arguments = _exec_start()
    assert program.endswith("/wardroom") and arguments[0] == "serve"
    parsed = build_parser().parse_args(arguments)
    assert parsed.db.startswith("/var/lib/wardroom/")  # the unit's StateDirectory
    assert parsed.host_keys.startswith("/var/lib/wardroom/")


# Directives the unit offers commented out, for the operator to uncomment (port 22, backups).
_COMMENTED_DIRECTIVES = re.findall(r"^#[A-Z][A-Za-z]+=.*$", _read("wardroom.service"),
                                   re.MULTILINE)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("uncommented", ["", *_COMMENTED_DIRECTIVES])
def test_the_unit_has_no_unknown_or_misspelt_directives(tmp_path, uncommented):
    assert len(_COMMENTED_DIRECTIVES) >= 3
    text = _read("wardroom.service")
    if uncommented:
        text = text.replace(uncommented, uncommented.removeprefix("#"))
    unit = tmp_path / "wardroom.service"
    # verify also checks that the program exists; the program is not what is checked here.
    unit.write_text(re.sub(r"^ExecStart=.*$", "ExecStart=/bin/true", text, flags=re.MULTILINE))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=60)
    complaints = [line for line in result.stderr.splitlines() if str(unit) in line]
    assert result.returncode == 0 and not complaints, result.stderr


def _code() -> str:
    folders = [DOCS.parent / folder for folder in ("sshd_app", "store", "tui")]
    return "\n".join(p.read_text(encoding="utf-8") for f in folders for p in f.rglob("*.py"))


def test_every_log_line_in_the_operator_guide_is_logged_by_the_code():
    code = _code()
    rows = re.findall(r"^\| `([a-z_.]+): ([^`]+)`", _read("operator-guide.md"), re.MULTILINE)
    assert len(rows) >= 8
    for logger, message in rows:
        module = DOCS.parent.joinpath(*logger.split(".")).with_suffix(".py")
        assert f'getLogger("{logger}")' in code or module.exists(), logger
        # The literal start of the message, up to the first placeholder (NAME, PATH, N, …).
        literal = re.split(r"\b[A-Z]{1,}\b|…|'", message)[0].strip()
        assert literal and f'"{literal}' in code, (logger, message)


@pytest.mark.parametrize("page", OPS_PAGES)
def test_links_between_the_docs_lead_somewhere(page):
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", _read(page)):
        assert (DOCS / target).exists(), f"{page} links to missing {target}"


def test_user_guides_name_the_keys_the_app_binds():
    bound = {binding.key for binding in WardroomApp.BINDINGS}  # type: ignore[union-attr]
    assert {"f1", "f2", "ctrl+q"} <= bound
    for page, ctrl in (("user-guide.de.md", "Strg+Q"), ("user-guide.en.md", "Ctrl+Q")):
        text = _read(page)
        for key in ("| F1", "| F2", f"| {ctrl} |"):
            assert key in text, (page, key)
    german, english = _read("user-guide.de.md"), _read("user-guide.en.md")
    assert german.count("\n## ") == english.count("\n## ")
    assert german.count("\n|") == english.count("\n|")
