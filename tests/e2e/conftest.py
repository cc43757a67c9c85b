"""This folder's tests that open `services` run on both engines (tests/postgres.py)."""

import pytest

from tests.postgres import run_on_both_engines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run_on_both_engines(metafunc)
