"""Every private asyncssh name in sshd_app/asyncssh_compat.py still exists with the shape used
there; a failure lists each one that moved, one line each."""

from __future__ import annotations

import subprocess
import sys

from tests.library_internals import importable, method, moved


def test_private_modules_and_methods():
    from asyncssh import SSHServerConnection
    from asyncssh.connection import SSHConnection

    failures = moved([
        importable("asyncssh.connection", "SSHConnection"),
        importable("asyncssh.constants", "MSG_KEXINIT"),
        importable("asyncssh.packet", "SSHPacket"),
        method(SSHServerConnection, "validate_public_key", "self", "username", "key_data", "msg",
               "signature"),
        method(SSHConnection, "is_server", "self"),
    ])
    assert not failures, "\n" + failures


def test_the_kexinit_handler_and_the_fields_it_reads():
    """The packet table holds a KEXINIT handler, and the connection's own code still sets the
    fields the wrapped handler reads and writes (they exist only once a connection runs)."""
    import inspect

    from asyncssh.connection import SSHConnection
    from asyncssh.constants import MSG_KEXINIT

    source = inspect.getsource(SSHConnection)
    failures = moved([
        None if MSG_KEXINIT in getattr(SSHConnection, "_packet_handlers", {})
        else "SSHConnection._packet_handlers: has no KEXINIT handler",
        *(None if f"self.{name} =" in source else f"SSHConnection.{name}: no longer set"
          for name in ("_server_kexinit", "_client_kexinit", "_ignore_first_kex")),
    ])
    assert not failures, "\n" + failures


def test_importing_wardroom_patches_nothing():
    """The patches are installed by `serve`, each worker and the test fixtures, not by
    importing: a fresh interpreter that imports the server, the session app and the CLI finds
    Textual and asyncssh as shipped, and patched after the explicit call."""
    probe = """
import contextlib, textual.app
from asyncssh.connection import SSHConnection
from asyncssh.constants import MSG_KEXINIT
import sshd_app.cli, sshd_app.auth, sshd_app.worker, tui.app
from sshd_app.server import install_library_patches

def state():
    return (textual.app.redirect_stdout is contextlib.redirect_stdout,
            hasattr(SSHConnection._packet_handlers[MSG_KEXINIT], "wrapped"))

print(state())
install_library_patches()
print(state())
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split("\n")[:2] == ["(True, False)", "(False, True)"]
