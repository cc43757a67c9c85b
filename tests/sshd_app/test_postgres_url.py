"""`db = "postgresql://…"`: a database wardroom cannot use stops `serve` (and every other
command) with one clear line and exit 2, before anything listens, and never shows the
password it was given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from store.backends.postgres import with_database
from tests.postgres import maintenance_url
from tests.server_process import free_port


def _serve(db: str, cwd: Path, host_keys: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}
    done = subprocess.run(
        [sys.executable, "-m", "sshd_app.cli", "serve", "--listen", f"127.0.0.1:{port}",
         "--db", db, "--host-keys", str(host_keys)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    return done, port


def _error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("wardroom: ")]


@pytest.mark.parametrize("url, reason", [
    ("postgresql://wardroom:s3cret@127.0.0.1:1/wardroom", "Connect call failed"),
    ("postgresql://wardroom:s3cret@no-such-host.invalid/wardroom", "no-such-host.invalid"),
    ("postgresql://wardroom:s3cret@127.0.0.1:notaport/wardroom", "notaport"),
], ids=["unreachable", "unknown host", "malformed"])
def test_a_database_wardroom_cannot_reach_stops_serve_with_one_line(url, reason, tmp_path,
                                                                    host_keys_dir):
    done, _ = _serve(url, tmp_path, host_keys_dir)
    assert done.returncode == 2, done.stderr
    lines = _error_lines(done)
    assert len(lines) == 1 and "cannot use the PostgreSQL database" in lines[0], done.stderr
    assert reason in lines[0]
    assert "s3cret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert "listening" not in done.stderr


def test_a_database_that_does_not_exist_stops_serve(tmp_path, host_keys_dir):
    url = with_database(maintenance_url(), "wardroom_no_such_database")
    done, _ = _serve(url, tmp_path, host_keys_dir)
    assert done.returncode == 2, done.stderr
    (line,) = _error_lines(done)
    assert 'database "wardroom_no_such_database" does not exist' in line
