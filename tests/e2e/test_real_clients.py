"""The clients patients really use, in a real terminal (tmux): OpenSSH `ssh`, dropbear's
`dbclient`, PuTTY's `plink`. Each logs in with a password, chats both ways with a counsellor
(connected through tests.sshclient) and logs out with ctrl+q.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.test_openssh_login import known_hosts, ssh_command
from tests.e2e.tmux import TmuxPane, tmux_available
from tests.sealed import stored_texts
from tests.sshclient import TerminalClient, connect

EXITED = "client-exit="


def _public_keys(host_keys: Path) -> list[tuple[str, str]]:
    return [tuple(p.read_text().split()[:2]) for p in sorted(host_keys.glob("*.pub"))]


def _openssh(port: int, user: str, home: Path, host_keys: Path) -> str:
    return ssh_command(port, user, known_hosts(home, host_keys, port))


def _dbclient(port: int, user: str, home: Path, host_keys: Path) -> str:
    # dbclient keeps known hosts in ~/.ssh/known_hosts, by host name without the port.
    (home / ".ssh").mkdir(mode=0o700)
    (home / ".ssh" / "known_hosts").write_text(
        "".join(f"127.0.0.1 {kind} {key}\n" for kind, key in _public_keys(host_keys)))
    return f"HOME={home} dbclient -p {port} {user}@127.0.0.1"


def _plink(port: int, user: str, home: Path, host_keys: Path) -> str:
    ed25519 = asyncssh.read_public_key(host_keys / "ssh_host_ed25519_key.pub")
    # -hostkey pins the fingerprint: a different server key is refused, not asked about.
    return (f"HOME={home} plink -ssh -t -P {port} -hostkey {ed25519.get_fingerprint('sha256')}"
            f" {user}@127.0.0.1")


@dataclass(frozen=True)
class RealClient:
    program: str
    package: str
    command: Callable[[int, str, Path, Path], str]
    # PuTTY's anti-spoofing pause after keyboard-interactive prompts: "Press Return".
    confirm_after_login: str | None = None


CLIENTS = {
    "openssh": RealClient("ssh", "openssh-client", _openssh),
    "dbclient": RealClient("dbclient", "dropbear-bin", _dbclient),
    "plink": RealClient("plink", "putty-tools", _plink,
                        confirm_after_login="Press Return to begin session"),
}


async def _booking(wardroom) -> None:
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    await wardroom.services.bookings.create(office, "klara", "bernd", weeks=2)


async def _counsellor_in_room(port: int) -> TerminalClient:
    counsellor = await connect(port, "bernd", PASSWORD)
    await counsellor.wait_for("klara")  # the dashboard, first booking selected
    counsellor.send("\r")
    await counsellor.wait_for("Stationszimmer mit klara")
    return counsellor


@pytest.mark.parametrize("name", list(CLIENTS))
async def test_password_login_chat_both_ways_and_logout(wardroom, tmp_path, host_keys_dir,
                                                         name):
    client = CLIENTS[name]
    if not tmux_available():
        pytest.skip("needs tmux (apt-get install tmux)")
    if shutil.which(client.program) is None:
        pytest.skip(f"{client.program} is not installed (apt-get install {client.package})")
    await _booking(wardroom)
    home = tmp_path / "home"
    home.mkdir()
    command = client.command(wardroom.port, "klara", home, host_keys_dir)
    pane = TmuxPane(f"{command}; echo {EXITED}$?")
    await pane.start()
    try:
        await pane.wait_for("assword")
        await pane.keys(PASSWORD, literal=True)
        await pane.keys("Enter")
        if client.confirm_after_login:
            await pane.wait_for(client.confirm_after_login)
            await pane.keys("Enter")
        await pane.wait_for("Stationszimmer mit bernd")  # one active booking: straight in

        counsellor = await _counsellor_in_room(wardroom.port)
        try:
            await pane.wait_for("bernd (Genesungsberater/in) ist jetzt im Zimmer")
            await pane.keys(f"Grüße aus {name}, mir geht es besser.", literal=True)
            await pane.keys("Enter")
            screen = await counsellor.wait_for(f"Grüße aus {name}, mir geht es besser.")
            assert "Klient/in klara" in screen
            await counsellor.type("Schön zu hören – bis morgen!")
            counsellor.send("\r")
            screen = await pane.wait_for("Schön zu hören – bis morgen!")
            assert "Genesungsberater/in bernd" in screen
            assert all(len(line) <= 80 for line in screen.splitlines())
        finally:
            await counsellor.close()
        assert await stored_texts(wardroom.services) == [
            f"Grüße aus {name}, mir geht es besser.", "Schön zu hören – bis morgen!"]

        await pane.keys("C-q")
        screen = await pane.wait_for(EXITED)
        assert f"{EXITED}0" in screen, screen
    finally:
        await pane.close()
