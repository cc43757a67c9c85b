"""The dependency lower bounds that SPEC promises are the ones pyproject.toml installs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
# SPEC, "Security defaults": versions below these carry known advisories.
# name: (required minimum, the release just below it that must be refused)
REQUIRED_MINIMUM = {"asyncssh": ("2.24.1", "2.24.0"), "cryptography": ("48.0.1", "48.0.0")}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {Requirement(line).name.lower(): Requirement(line)
            for line in project["dependencies"]}


def test_security_bounds_are_enforced():
    requirements = _requirements()
    for name, (minimum, below) in REQUIRED_MINIMUM.items():
        spec = requirements[name].specifier
        assert Version(minimum) in spec, f"{name}: {spec} refuses the required {minimum}"
        assert Version(below) not in spec, f"{name}: {spec} still admits {below}"
        assert Version("0.0.1") not in spec, f"{name}: {spec} has no lower bound"


def test_installed_versions_meet_the_bounds():
    from importlib.metadata import version

    for name, (minimum, _below) in REQUIRED_MINIMUM.items():
        assert Version(version(name)) >= Version(minimum), name


def test_second_factor_libraries_are_declared():
    requirements = _requirements()
    assert "pyotp" in requirements and "segno" in requirements
