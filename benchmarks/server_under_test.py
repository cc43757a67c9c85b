"""What the benchmarks that start `wardroom serve` share: its settings, --workers, host keys,
the table header."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sshd_app.host_keys import ensure_host_keys

# Counsellors would first enrol a second factor, and every login comes from 127.0.0.1: neither
# the enrolment nor the per-address limits are what is measured here.
BENCH_CONFIG = ("second_factor_required = false\nconnection_rate_per_address = 1000\n"
                "max_pending_logins_per_address = 1000\n")


def config_file(folder: Path) -> Path:
    path = folder / "bench.toml"
    path.write_text(BENCH_CONFIG)
    return path


def worker_flag(workers: int | None) -> tuple[str, ...]:
    """`--workers N`, or nothing for the server's default (and for servers older than it)."""
    return () if workers is None else ("--workers", str(workers))


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, nargs="+", default=[None],
                        help="one run per count (default: the server's default)")


def host_keys() -> Path:
    keys = Path(tempfile.mkdtemp()) / "keys"
    ensure_host_keys(keys)
    return keys


def print_header(header: tuple[str, ...]) -> None:
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
