"""The dependency lower bounds that SPEC promises are the ones pyproject.toml installs."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
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


# -- the lock file operators and CI install from ------------------------------------------------

LOCK = PYPROJECT.with_name("requirements-lock.txt")


def _locked() -> dict[str, tuple[Requirement, list[str]]]:
    """name -> (the pinned requirement with its marker, its hashes)."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *hashes = [part.strip() for part in line.split(" --hash=")]
        requirement = Requirement(spec.strip())
        entries[requirement.name.lower().replace("_", "-")] = (requirement, hashes)
    return entries


def test_lock_pins_every_package_with_hashes():
    locked = _locked()
    assert len(locked) >= 20
    for name, (requirement, hashes) in locked.items():
        (pin,) = requirement.specifier
        assert pin.operator == "==", name
        assert hashes and all(h.startswith("sha256:") and len(h) == 71 for h in hashes), name


def test_lock_satisfies_pyproject_and_the_security_bounds():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(line) for line in
              project["dependencies"] + project["optional-dependencies"]["test"]]
    locked = _locked()
    for requirement in wanted:
        pinned, _hashes = locked[requirement.name.lower()]
        (pin,) = pinned.specifier
        assert Version(pin.version) in requirement.specifier, (requirement, pin)
    for name, (minimum, _below) in REQUIRED_MINIMUM.items():
        (pin,) = locked[name][0].specifier
        assert Version(pin.version) >= Version(minimum), name


@pytest.mark.skipif(os.environ.get("CI") != "true",
                    reason="CI installs from the lock; a developer's venv may hold newer versions")
def test_ci_runs_on_exactly_the_locked_versions():
    from importlib.metadata import PackageNotFoundError, version

    for name, (requirement, _hashes) in _locked().items():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (pin,) = requirement.specifier
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        assert installed == pin.version, f"{name}: installed {installed}, locked {pin.version}"
