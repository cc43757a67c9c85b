"""End to end with OpenSSH's own `ssh` in tmux: log in, look at the screen, log out."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.tmux import TmuxPane, tmux_available

pytestmark = pytest.mark.skipif(
    not (tmux_available() and shutil.which("ssh")),
    reason="needs OpenSSH's ssh and tmux (apt-get install openssh-client tmux)")


def known_hosts(tmp_path: Path, host_keys: Path, port: int) -> Path:
    """Trust exactly this server's host keys, so ssh checks them strictly."""
    lines = [f"[127.0.0.1]:{port} {p.read_text().split()[0]} {p.read_text().split()[1]}"
             for p in sorted(host_keys.glob("*.pub"))]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(lines) + "\n")
    return path


def ssh_command(port: int, user: str, known: Path) -> str:
    return (f"ssh -F /dev/null -p {port} -o UserKnownHostsFile={known} "
            f"-o StrictHostKeyChecking=yes -o PubkeyAuthentication=no "
            f"-o PreferredAuthentications=keyboard-interactive,password {user}@127.0.0.1")


async def _log_in(pane: TmuxPane, password: str) -> None:
    await pane.wait_for("assword")
    await pane.keys(password, literal=True)
    await pane.keys("Enter")


async def test_openssh_login_screen_and_logout(wardroom, tmp_path, host_keys_dir):
    await wardroom.add_account("kim", Role.COUNSELLOR)
    known = known_hosts(tmp_path, host_keys_dir, wardroom.port)
    pane = TmuxPane(ssh_command(wardroom.port, "kim", known))
    await pane.start()
    try:
        await _log_in(pane, PASSWORD)
        screen = await pane.wait_for("Datenschutz")
        if "Annehmen" in screen:  # a new account first accepts the privacy notice
            await pane.keys("a")
        await pane.wait_for("kim (Genesungsberater/in)")
        # The footer shows the keys; it may arrive in a later write than the dashboard.
        screen = await pane.wait_for("Abmelden")
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        await pane.resize(200, 50)
        for _ in range(100):  # until the app has redrawn for the new size
            wide = await pane.capture()
            if max(len(line) for line in wide.splitlines()) > 80:
                break
            await asyncio.sleep(0.1)
        assert max(len(line) for line in wide.splitlines()) > 80  # it used the room
        assert "kim (Genesungsberater/in)" in wide and "Abmelden" in wide
        await pane.keys("C-q")
        await pane.wait_for("closed")
    finally:
        await pane.close()


async def test_openssh_wrong_password_is_refused(wardroom, tmp_path, host_keys_dir):
    await wardroom.add_account("kim", Role.COUNSELLOR)
    known = known_hosts(tmp_path, host_keys_dir, wardroom.port)
    pane = TmuxPane(ssh_command(wardroom.port, "kim", known))
    await pane.start()
    try:
        for attempt in range(1, 4):
            for _ in range(200):  # the next prompt, not the previous one still on screen
                if (await pane.capture()).count("assword:") >= attempt:
                    break
                await asyncio.sleep(0.1)
            await pane.keys("not-the-password", literal=True)
            await pane.keys("Enter")
        # LANG is sent only after login: German first, then English, in plain ASCII.
        screen = await pane.wait_for("Disconnected from")
        said = "".join(line.rstrip("\n") for line in screen.splitlines())  # tmux wraps at 80
        assert ("Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie kurz und melden "
                "Sie sich dann neu an. / Too many failed login attempts.") in said
        assert "kim (" not in screen
    finally:
        await pane.close()
